"""Power simulations of the registered hypotheses (the names of ``hs.hypotheses``).

Between-person hypotheses draw the latent variables of the ``between`` design
(:func:`hormonestats.simulate.latent.latent_between`, effects of ``DEFAULT_EFFECTS["between"]``,
estimates in score points) and test the key term of the hypothesis's analysis model by OLS
(:data:`BETWEEN_OLS`: outcome, regressors, key column) or, for
``testosterone_aromatization``, by the joint-significance test of the mediation. The
within-person hypotheses use the ``mixed`` family's two-stage test with the cycle design's
settings (:data:`WITHIN_DEFAULTS`); the allopregnanolone mediation the ``mediation`` family
in SD units (:data:`ALLO_DEFAULTS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import numpy as np

from .batched import PowerSpec, mediation_result, ols_key_test, ols_tests, scaled
from .design_power import DESIGN_HYPOTHESES, design_spec
from .families import check_effects, spec_mediation, spec_mixed
from .latent import latent_between, resolve_effects, truth_between

__all__ = ["ALLO_DEFAULTS", "BETWEEN_OLS", "HYPOTHESES", "WITHIN_DEFAULTS", "hypothesis_spec"]

#: Registered hypotheses (the names of :mod:`hormonestats.models.hypotheses`): name -> (family,
#: outcome, key term, predicted sign, description). Between-person hypotheses are simulated
#: from :func:`hormonestats.simulate.latent.latent_between` (effects of
#: ``DEFAULT_EFFECTS["between"]``, estimates in score points); the within-person ones from
#: the cycle design's model (``WITHIN_DEFAULTS``), the allopregnanolone mediation from a
#: standardised model (``ALLO_DEFAULTS``, SD units).
HYPOTHESES = {
    "estradiol_oxytocin": (
        "moderation",
        "rmet_total",
        "oxytocin:log_estradiol",
        1,
        "estradiol scales the effect of intranasal oxytocin on RMET",
    ),
    "testosterone_aromatization": (
        "mediation",
        "iri_ec",
        "indirect",
        1,
        "testosterone -> estradiol -> empathic concern",
    ),
    "progesterone_anxiety": (
        "regression",
        "pss_total",
        "log_progesterone",
        -1,
        "progesterone lowers anxiety/stress (PSS-10)",
    ),
    "progesterone_allopregnanolone_anxiety": (
        "mediation",
        "anxiety",
        "indirect",
        -1,
        "progesterone -> allopregnanolone -> anxiety (standardised)",
    ),
    "cortisol_oxytocin": (
        "moderation",
        "rmet_total",
        "oxytocin:log_cortisol",
        -1,
        "cortisol dampens the effect of intranasal oxytocin on RMET",
    ),
    "oxtr_genotype": (
        "gxe",
        "rmet_total",
        "oxytocin:rs53576_gg",
        0,
        "oxytocin x rs53576 (GG vs A-carriers) on RMET, with Keller (2014) "
        "covariate interactions (female x oxytocin, female x genotype)",
    ),
    "estradiol_within_person": (
        "mixed",
        "rmet_total",
        "log_estradiol_within",
        1,
        "within-person estradiol slope on RMET across the cycle",
    ),
    "progesterone_anxiety_within_person": (
        "mixed",
        "anxiety",
        "log_progesterone_within",
        -1,
        "within-person progesterone slope on anxiety across the cycle (SD units)",
    ),
    "progesterone_within_person": (
        "mixed",
        "rmet_total",
        "log_progesterone_within",
        0,
        "within-person progesterone slope on RMET across the cycle",
    ),
    **DESIGN_HYPOTHESES,
}

#: Within-person hypotheses: effect per log unit (outcome SD units), the within-person SD of
#: the log hormone (measured in the cycle design's simulated data: E2 about 0.40, P4 about
#: 0.83), visits per woman (2 cycles x 4), the share of outcome variance between persons, and
#: the outcome scale (RMET SD 3.6 points; anxiety in SD units).
WITHIN_DEFAULTS = {
    "estradiol_within_person": {"effect": 0.15, "x_sd": 0.40, "n_obs": 8, "icc": 0.5, "scale": 3.6},
    "progesterone_within_person": {
        "effect": -0.10, "x_sd": 0.83, "n_obs": 8, "icc": 0.5, "scale": 3.6,
    },
    "progesterone_anxiety_within_person": {
        "effect": -0.15,
        "x_sd": 0.83,
        "n_obs": 8,
        "icc": 0.5,
        "scale": 1.0,
    },
}
#: Allopregnanolone mediation in SD units: progesterone -> allopregnanolone (a) is strong
#: (allopregnanolone is its metabolite), allopregnanolone -> anxiety (b) small; developers'
#: choices.
ALLO_DEFAULTS = {"a": 0.5, "b": -0.15, "direct": 0.0}


def _moderation_columns(lat, hormone):
    return [lat["female"], lat["oxytocin"], lat[hormone], lat["oxytocin"] * lat[hormone]]


def _progesterone_columns(lat):
    return [lat["female"], lat["log_progesterone"]]


def _oxtr_columns(lat):
    f, ot, gg = lat["female"], lat["oxytocin"], lat["rs53576_gg"]
    return [f, ot, gg, ot * gg, f * ot, f * gg]


#: OLS-tested between-person hypotheses: name -> (latent outcome, regressors after the
#: intercept as a function of the latent variables, index of the key column in the design).
BETWEEN_OLS = {
    "estradiol_oxytocin": ("rmet", partial(_moderation_columns, hormone="log_estradiol"), 4),
    "cortisol_oxytocin": ("rmet", partial(_moderation_columns, hormone="log_cortisol"), 4),
    "progesterone_anxiety": ("pss", _progesterone_columns, 2),
    "oxtr_genotype": ("rmet", _oxtr_columns, 4),
}


def _draw_between_ols(rng, n, size, alpha, *, eff, outcome, columns, key, true_value):
    lat = latent_between(rng, n, eff, size=size, outcomes=(outcome,))
    return ols_key_test(columns(lat), lat[outcome], key, true_value, alpha)


def _draw_aromatization(rng, n, size, alpha, *, eff, true_value):
    lat = latent_between(rng, n, eff, size=size, outcomes=("iri_ec",))
    female, log_t, log_e2 = lat["female"], lat["log_testosterone"], lat["log_estradiol"]
    one = np.ones(female.shape)
    a = ols_tests(np.stack([one, female, log_t], axis=2), log_e2, [2], alpha)[0]
    b = ols_tests(np.stack([one, female, log_t, log_e2], axis=2), lat["iri_ec"], [3], alpha)[0]
    return mediation_result(rng, a, b, true_value, alpha)


def hypothesis_spec(name: str, effects: Mapping | None) -> PowerSpec:
    """The :class:`~hormonestats.simulate.batched.PowerSpec` of a registered hypothesis."""
    if name in DESIGN_HYPOTHESES:
        return design_spec(name, effects)
    if name in WITHIN_DEFAULTS:
        cfg = dict(WITHIN_DEFAULTS[name])
        cfg.update(phi=0.0, x_phi=0.0)  # visits weeks apart: no serial correlation by default
        check_effects(cfg, effects, repr(name),
                      allowed=("effect", "x_sd", "n_obs", "icc", "phi", "x_phi"))
        inner = spec_mixed(
            name,
            {"x": cfg["effect"]},
            {"n_obs": cfg["n_obs"], "icc": cfg["icc"], "slope_sd": 0.0, "x_sd": cfg["x_sd"],
             "phi": cfg["phi"], "x_phi": cfg["x_phi"]},
        )
        return scaled(inner, HYPOTHESES[name][2], cfg["scale"])
    if name == "progesterone_allopregnanolone_anxiety":
        eff = dict(ALLO_DEFAULTS)
        check_effects(eff, effects, repr(name))
        return spec_mediation(name, eff, {})

    eff = resolve_effects("between", effects)
    truth = truth_between(eff)
    _, outcome, term, _, _ = HYPOTHESES[name]
    if name in BETWEEN_OLS:
        latent, columns, key = BETWEEN_OLS[name]
        true_value = float(truth["models"][outcome]["coef"][term])
        draw = partial(_draw_between_ols, eff=eff, outcome=latent, columns=columns, key=key,
                       true_value=true_value)
    else:  # testosterone_aromatization
        true_value = float(truth["mediation"]["indirect"])
        draw = partial(_draw_aromatization, eff=eff, true_value=true_value)
    return PowerSpec(name=name, term=term, true_value=true_value, draw=draw)

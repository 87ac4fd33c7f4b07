"""Power simulations of the designs' hypotheses: crossover, dyads, stress reactivity.

Each takes its defaults from the matching design of :func:`hormonestats.simulate_study`
(:data:`hormonestats.simulate.latent.DEFAULT_EFFECTS`), so the power of a canned analysis is
planned on the model its bundled study was drawn from:

* ``oxytocin_crossover``: the ``crossover`` family's exact 2x2 analysis (period differences)
  with the crossover design's drug effect (0.25 SD), period effect (0.10 SD) and ICC (0.5);
  estimates in RMET points (SD 3.6). ``n``: participants (both sequences).
* ``oxytocin_actor`` / ``oxytocin_partner``: couples drawn as in the dyadic design (log
  oxytocin SD 0.6, partners' r 0.2; residuals correlated 0.3 within the couple; actor 0.2 and
  partner 0.1 outcome SD per log unit), analysed by the APIM for indistinguishable members
  with compound-symmetric residuals. That model is fitted exactly by ordinary least squares on
  the couples' sums and differences (the transformation that diagonalises the compound
  symmetry; Kenny, Kashy & Cook 2006, ch. 3): actor = (b_sum + b_diff) / 2, partner = (b_sum -
  b_diff) / 2, tested with t on 2n - 3 df as ``nlme::gls``. Estimates in IRI points (SD 4).
  ``n``: couples.
* ``oxytocin_cortisol_reactivity`` / ``oxytocin_cortisol_peak``: the ``two_group`` t-test in SD
  units of the reactivity index, with the stress-test design's oxytocin effect on the log
  response amplitude standardised by its SD (-0.2 / 0.35). The AUCi is not on the log scale, so
  this is an approximation; give ``d`` from a pilot where one exists.
* ``estradiol_oxytocin_items``: RMET item responses (36 items, every participant answers every
  item; half the participants given oxytocin) drawn by
  :func:`~hormonestats.simulate.trials.simulate_rmet_items` with log estradiol of SD 0.55
  (saliva), and fitted as the hypothesis is tested: a binomial GLMM of accuracy on oxytocin x
  estradiol with crossed subject and item intercepts (Laplace, Wald z). Effects on the log-odds
  scale per natural-log unit of estradiol (``interaction`` 0.3 by default: an assumption, not
  an estimate); intercept 1.0 (about 73% correct) and SDs of subjects (0.5) and items (0.8)
  near the bundled example study's. ``n``: participants. Each simulated study is a full GLMM
  fit, so this power is slower than the closed-form ones.
"""

from __future__ import annotations

from functools import partial

import numpy as np
from scipy import stats

from .batched import PowerSpec, ols_tests, result, scaled
from .families import check_effects, spec_crossover, spec_two_group

__all__ = ["DESIGN_DEFAULTS", "DESIGN_HYPOTHESES", "apim_sum_difference", "design_spec"]

#: name -> (family, outcome, key term, predicted sign, description), as
#: :data:`hormonestats.simulate.hypothesis_models.HYPOTHESES`.
DESIGN_HYPOTHESES = {
    "oxytocin_crossover": ("crossover", "rmet_total", "treatment", 1,
                           "drug effect of intranasal oxytocin in a 2x2 crossover (RMET points)"),
    "oxytocin_actor": ("apim", "iri_ec", "actor", 1,
                       "actor effect of log oxytocin in couples (IRI points per log unit)"),
    "oxytocin_partner": ("apim", "iri_ec", "partner", 1,
                         "partner effect of log oxytocin in couples (IRI points per log unit)"),
    "oxytocin_cortisol_reactivity": ("regression", "cortisol_auc_i", "group", -1,
                                     "oxytocin arm vs placebo on cortisol AUCi (SD units)"),
    "oxytocin_cortisol_peak": ("regression", "cortisol_peak_reactivity", "group", -1,
                               "oxytocin arm vs placebo on the peak increase (SD units)"),
    "estradiol_oxytocin_items": ("item_glmm", "rmet_items", "oxytocin:estradiol", 1,
                                 "oxytocin x log estradiol on RMET item accuracy (log-odds per "
                                 "log unit; crossed subjects and items)"),
}

#: Effects and settings each design hypothesis simulates with (overridable by ``effects``).
DESIGN_DEFAULTS = {
    "oxytocin_crossover": {"effect": 0.25, "period": 0.10, "icc": 0.5},
    "oxytocin_actor": {"actor": 0.20, "partner": 0.10, "x_sd": 0.6, "x_r": 0.2, "rho": 0.3},
    "oxytocin_partner": {"actor": 0.20, "partner": 0.10, "x_sd": 0.6, "x_r": 0.2, "rho": 0.3},
    "oxytocin_cortisol_reactivity": {"d": -0.2 / 0.35},
    "oxytocin_cortisol_peak": {"d": -0.2 / 0.35},
    "estradiol_oxytocin_items": {"interaction": 0.3, "oxytocin": 0.2, "estradiol": 0.1,
                                 "intercept": 1.0, "sd_subject": 0.5, "sd_item": 0.8,
                                 "sd_estradiol": 0.55, "n_items": 36},
}

_RMET_SD, _IRI_SD = 3.6, 4.0


def apim_sum_difference(x: np.ndarray, y: np.ndarray, which: str, alpha: float):
    """Actor or partner effect of stacked couples ``x, y`` of shape (size, n, 2), by OLS on the
    sums and differences (the exact REML fit of the compound-symmetric APIM): (estimate,
    SE, p, CI low, CI high), each of shape (size,), t on 2n - 3 df."""
    n = x.shape[1]
    xs, xd = x.sum(-1), x[..., 0] - x[..., 1]
    ys, yd = y.sum(-1), y[..., 0] - y[..., 1]
    one = np.ones(xs.shape)
    bs, ses, *_ = ols_tests(np.stack([one, xs], axis=2), ys, [1], alpha)[0]
    bd, sed, *_ = ols_tests(xd[..., None], yd, [0], alpha)[0]
    sign = 1.0 if which == "actor" else -1.0
    est = (bs + sign * bd) / 2
    se = np.sqrt(ses**2 + sed**2) / 2
    df = 2 * n - 3
    q = stats.t.ppf(1 - alpha / 2, df)
    pval = 2 * stats.t.sf(np.abs(est / se), df)
    return est, se, pval, est - q * se, est + q * se


def _draw_apim(rng, n, size, alpha, *, actor, partner, x_sd, x_r, rho, which, scale):
    cov_x = x_sd**2 * np.array([[1.0, x_r], [x_r, 1.0]])
    x = rng.multivariate_normal([0.0, 0.0], cov_x, size=(size, n))  # (size, n, 2)
    e = rng.multivariate_normal([0.0, 0.0], [[1.0, rho], [rho, 1.0]], size=(size, n))
    y = scale * (actor * x + partner * x[..., ::-1] + e)
    est, _se, pval, lo, hi = apim_sum_difference(x, y, which, alpha)
    truth = scale * (actor if which == "actor" else partner)
    return result(est, pval, lo, hi, truth, alpha)


def design_spec(name: str, effects) -> PowerSpec:
    """The :class:`~hormonestats.simulate.batched.PowerSpec` of a design hypothesis."""
    cfg = dict(DESIGN_DEFAULTS[name])
    check_effects(cfg, effects, repr(name))
    family = DESIGN_HYPOTHESES[name][0]
    if family == "item_glmm":
        from .trial_power import FAMILY_OPTIONS, spec_trial_level

        opts = {**FAMILY_OPTIONS["rmet_items"], "term": "oxytocin:estradiol",
                **{k: cfg[k] for k in ("intercept", "sd_subject", "sd_item", "sd_estradiol")},
                "n_items": int(cfg["n_items"])}
        eff = {"oxytocin": cfg["oxytocin"], "estradiol": cfg["estradiol"],
               "oxytocin:estradiol": cfg["interaction"]}
        return spec_trial_level("rmet_items", name, eff, opts)
    if family == "crossover":
        inner = spec_crossover(name, {"treatment": cfg["effect"], "period": cfg["period"],
                                      "carryover": 0.0}, {"icc": cfg["icc"]})
        return scaled(inner, "treatment", _RMET_SD)
    if family == "regression":  # the arm's coefficient: the two-group t-test
        return spec_two_group(name, {"d": cfg["d"]}, {})
    which = DESIGN_HYPOTHESES[name][2]
    draw = partial(_draw_apim, actor=cfg["actor"], partner=cfg["partner"], x_sd=cfg["x_sd"],
                   x_r=cfg["x_r"], rho=cfg["rho"], which=which, scale=_IRI_SD)
    return PowerSpec(name, which, _IRI_SD * cfg[which], draw, {})

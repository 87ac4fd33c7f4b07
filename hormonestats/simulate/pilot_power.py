"""Power simulations parameterised by a pilot (:func:`hormonestats.simulate.pilot.pilot_parameters`).

:func:`pilot_spec` builds the power simulation of a registered hypothesis from the pilot's
estimates. The effect of interest is given once, either in the outcome's own units
(``effect_scale="raw"``) or standardised (``"standardised"``), and is stated both ways:

========================  =======================================  ================================
kind (hypotheses)         raw effect                               standardised effect
========================  =======================================  ================================
moderation (arm x         difference of the arms' slopes, outcome  residual SDs of the outcome per
hormone), regression      units per natural-log unit of the        SD of the (error-free) log
(hormone slope)           (error-free) hormone                     hormone
gxe (arm x rs53576 GG)    difference of the oxytocin effect        residual SDs of the outcome
                          between GG and A carriers, outcome units
mediation                 b path: outcome units per log unit of    residual SDs of the outcome per
                          the mediator hormone (a from the pilot)  SD of the log mediator
within (cycle)            within-person slope per log unit         within-person residual SDs per
                                                                   within-person SD of the hormone
crossover                 drug effect, outcome units               outcome SDs
apim (couples)            actor or partner effect per log unit     residual SDs per SD of the log
                                                                   hormone
two_group (TSST)          arm difference of the reactivity index   SDs within the arms
========================  =======================================  ================================

Measurement error is simulated, not assumed away: the log hormone is drawn error-free with
the variance the pilot's replicate wells leave after the assay error (reliability ``R_h``), and
measured with that error added, so its slope is attenuated by ``R_h`` (regression dilution);
the outcome is drawn as a true score plus measurement error of variance ``(1 - alpha) var(Y)``
(its Cronbach's alpha). Repeated samples share a person effect with the pilot's ICC (cycle,
crossover) and couples share a couple effect with the pilot's within-couple ICC. Readings
below the pilot's LOD are replaced by LOD/sqrt(2), as the default processing does. The
effect the measured hormone carries (``raw x R_h``; the within-person reliability for
within-person slopes; for couples the sum's and difference's attenuations combined) is the
``true_value`` of the power table: what the test's estimate targets, so ``coverage`` says
whether its interval covers that value. For the mediations ``true_value`` is the indirect
effect ``a x b`` of the error-free hormones, so ``coverage`` there shows the bias that
measurement error leaves in the estimate.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from ..errors import HormoneStatsError
from .batched import PowerSpec, mediation_result, ols_key_test, ols_tests, result, scaled
from .design_power import apim_sum_difference
from .families import spec_crossover, spec_mixed, spec_two_group
from .pilot import PilotParameters, pilot_parameters

__all__ = ["PILOT_HYPOTHESES", "PILOT_REFUSED", "pilot_spec"]

#: Hypotheses a pilot can parameterise: name -> (kind, roles: predictor/mediator..., outcome).
PILOT_HYPOTHESES = {
    "estradiol_oxytocin": ("moderation", ("estradiol",), "outcome"),
    "cortisol_oxytocin": ("moderation", ("cortisol",), "outcome"),
    "progesterone_anxiety": ("regression", ("progesterone",), "anxiety"),
    "oxtr_genotype": ("gxe", (), "outcome"),
    "testosterone_aromatization": ("mediation", ("testosterone", "estradiol"), "outcome"),
    "progesterone_allopregnanolone_anxiety": ("mediation", ("progesterone", "allopregnanolone"),
                                              "anxiety"),
    "estradiol_within_person": ("within", ("estradiol",), "outcome"),
    "progesterone_within_person": ("within", ("progesterone",), "outcome"),
    "progesterone_anxiety_within_person": ("within", ("progesterone",), "anxiety"),
    "oxytocin_crossover": ("crossover", (), "outcome"),
    "oxytocin_actor": ("apim", ("oxytocin",), "outcome"),
    "oxytocin_partner": ("apim", ("oxytocin",), "outcome"),
    "oxytocin_cortisol_reactivity": ("two_group", (), "cortisol_reactivity"),
    "oxytocin_cortisol_peak": ("two_group", (), "cortisol_peak_increase"),
}

#: Hypotheses whose power a pilot cannot set, and why (anything not in PILOT_HYPOTHESES).
PILOT_REFUSED = ("model families given as a spec (their effects are in SD units by "
                 "definition: give them with effects=); hypotheses added after this list "
                 "(their simulator has no pilot parameterisation yet)")

_SQRT2_LOG = 0.5 * math.log(2.0)


def _measured(rng, true, err_sd, log_lod):
    """The measured log hormone: true + assay error, LOD/sqrt(2) below the pilot's LOD."""
    obs = true + err_sd * rng.standard_normal(true.shape) if err_sd > 0 else true
    return np.where(obs < log_lod, log_lod - _SQRT2_LOG, obs)


def _outcome_noise(rng, shape, resid_sd, meas_sd):
    """Residual of the observed outcome: true-score residual plus measurement error
    (``meas_sd``; the true-score part keeps the total at ``resid_sd``)."""
    meas = min(meas_sd, resid_sd)
    true_sd = math.sqrt(resid_sd**2 - meas**2)
    return true_sd * rng.standard_normal(shape) + meas * rng.standard_normal(shape)


def _meas_sd(params: PilotParameters, out) -> float:
    """SD of the outcome's measurement error: ``sd * sqrt(1 - alpha)``."""
    return float(out["sd"]) * math.sqrt(1 - params.reliability(out))


def _hormone(params: PilotParameters, role: str):
    """(row, sd of the error-free log hormone, assay error SD, reliability)."""
    h = params.hormone(role)
    rel = params.reliability(h)
    sd = float(h["sd_log"])
    return h, sd * math.sqrt(rel), sd * math.sqrt(1 - rel), rel


def _outcome_sd(out) -> float:
    within = float(out.get("sd_within_arm", np.nan))
    return within if np.isfinite(within) else float(out["sd"])


# ------------------------------------------------------------------ between-person draws
def _draw_between(rng, n, size, alpha, *, kind, mu, sd_t, err_sd, log_lod, b_main, b_key,
                  truth, resid_sd, meas_sd):
    z = rng.normal(0.0, sd_t, size=(size, n))
    m = _measured(rng, mu + z, err_sd, log_lod)
    e = _outcome_noise(rng, (size, n), resid_sd, meas_sd)
    if kind == "regression":
        return ols_key_test([m], b_key * z + e, 1, truth, alpha)
    arm = rng.permuted(np.tile(np.arange(n) % 2, (size, 1)).astype(float), axis=1)
    y = b_main * z + b_key * arm * z + e
    return ols_key_test([arm, m, arm * m], y, 3, truth, alpha)


def _between(name, kind, params, roles, outcome_role, effect, scale):
    h, sd_t, err_sd, rel = _hormone(params, roles[0])
    out = params.outcome(outcome_role)
    sd_y = _outcome_sd(out)
    r = params.correlation(h["column"], out["column"])
    b_obs = r * sd_y / float(h["sd_log"])
    b_true = b_obs / rel  # regression dilution undone: the slope on the error-free hormone
    resid_sd = math.sqrt(max(sd_y**2 - (b_true * sd_t) ** 2, 1e-6 * sd_y**2))
    raw = effect if scale == "raw" else effect * resid_sd / sd_t
    draw = partial(_draw_between, kind=kind, mu=float(h["mean_log"]), sd_t=sd_t, err_sd=err_sd,
                   log_lod=float(h["log_lod"]), b_main=b_true if kind == "moderation" else 0.0,
                   b_key=raw, truth=raw * rel, resid_sd=resid_sd,
                   meas_sd=_meas_sd(params, out))
    term = f"oxytocin:{h['column']}" if kind == "moderation" else h["column"]
    units = (f"{out['column']} points per natural-log unit of {h['analyte']}"
             + (" (difference of the arms' slopes)" if kind == "moderation" else ""))
    std_units = (f"residual SDs of {out['column']} ({resid_sd:.3g} points) per SD of log "
                 f"{h['analyte']} ({sd_t:.3g}, error-free)")
    return (PowerSpec(name, term, raw * rel, draw),
            _stated(raw, raw * sd_t / resid_sd, units, std_units, rel, h["analyte"]))


def _draw_gxe(rng, n, size, alpha, *, p_female, p_gg, b_key, resid_sd, meas_sd):
    arm = rng.permuted(np.tile(np.arange(n) % 2, (size, 1)).astype(float), axis=1)
    gg = (rng.random((size, n)) < p_gg).astype(float)
    y = b_key * arm * gg + _outcome_noise(rng, (size, n), resid_sd, meas_sd)
    if 0 < p_female < 1:
        f = (rng.random((size, n)) < p_female).astype(float)
        return ols_key_test([f, arm, gg, arm * gg, f * arm, f * gg], y, 4, b_key, alpha)
    return ols_key_test([arm, gg, arm * gg], y, 3, b_key, alpha)


def _gxe(name, params, outcome_role, effect, scale):
    out = params.outcome(outcome_role)
    if "gg_share" not in params.facts:
        raise HormoneStatsError("the pilot has no rs53576 genotypes (column rs53576_add_A): "
                                "oxtr_genotype needs the genotype frequencies")
    resid_sd = _outcome_sd(out)
    raw = effect if scale == "raw" else effect * resid_sd
    draw = partial(_draw_gxe, p_female=params.facts.get("female_share", 0.0),
                   p_gg=params.facts["gg_share"], b_key=raw, resid_sd=resid_sd,
                   meas_sd=_meas_sd(params, out))
    return (PowerSpec(name, "oxytocin:rs53576_gg", raw, draw),
            _stated(raw, raw / resid_sd, f"{out['column']} points (oxytocin effect in GG minus "
                    "A carriers)", f"residual SDs of {out['column']} ({resid_sd:.3g} points)"))


def _draw_mediation(rng, n, size, alpha, *, x, m, a, b, direct, resid_sd, meas_sd, truth):
    xt = rng.normal(0.0, x["sd_t"], size=(size, n))
    mt = a * xt + rng.normal(0.0, m["resid"], size=(size, n))
    y = direct * xt + b * mt + _outcome_noise(rng, (size, n), resid_sd, meas_sd)
    xo = _measured(rng, x["mu"] + xt, x["err"], x["lod"])
    mo = _measured(rng, m["mu"] + mt, m["err"], m["lod"])
    one = np.ones(xo.shape)
    pa = ols_tests(np.stack([one, xo], axis=2), mo, [1], alpha)[0]
    pb = ols_tests(np.stack([one, xo, mo], axis=2), y, [2], alpha)[0]
    return mediation_result(rng, pa, pb, truth, alpha)


def _mediation(name, params, roles, outcome_role, effect, scale):
    (hx, sdx, errx, relx), (hm, sdm, errm, relm) = (_hormone(params, r) for r in roles)
    out = params.outcome(outcome_role)
    sd_y = _outcome_sd(out)
    rxm = params.correlation(hx["column"], hm["column"])
    rxy = params.correlation(hx["column"], out["column"])
    rmy = params.correlation(hm["column"], out["column"])
    a = rxm * float(hm["sd_log"]) / float(hx["sd_log"]) / relx
    beta = np.linalg.solve([[1.0, rxm], [rxm, 1.0]], [rxy, rmy])
    direct = float(beta[0]) * sd_y / float(hx["sd_log"])
    r2 = float(np.clip(beta @ np.array([rxy, rmy]), 0.0, 0.99))
    resid_sd = sd_y * math.sqrt(1 - r2)
    raw = effect if scale == "raw" else effect * resid_sd / sdm
    x = {"sd_t": sdx, "err": errx, "mu": float(hx["mean_log"]), "lod": float(hx["log_lod"])}
    m = {"resid": math.sqrt(max(sdm**2 - (a * sdx) ** 2, 1e-6 * sdm**2)), "err": errm,
         "mu": float(hm["mean_log"]), "lod": float(hm["log_lod"])}
    draw = partial(_draw_mediation, x=x, m=m, a=a, b=raw, direct=direct, resid_sd=resid_sd,
                   meas_sd=_meas_sd(params, out), truth=a * raw)
    units = (f"{out['column']} points per natural-log unit of {hm['analyte']} (b path; a = "
             f"{a:.3g} log {hm['analyte']} per log {hx['analyte']} from the pilot, indirect "
             f"a*b = {a * raw:.3g})")
    return (PowerSpec(name, "indirect", a * raw, draw),
            _stated(raw, raw * sdm / resid_sd, units,
                    f"residual SDs of {out['column']} ({resid_sd:.3g}) per SD of log "
                    f"{hm['analyte']} ({sdm:.3g}, error-free)", relm, hm["analyte"]))


# ----------------------------------------------------------------- repeated-measures draws
def _within(name, params, roles, outcome_role, effect, scale):
    h = params.hormone(roles[0])
    out = params.outcome(outcome_role)
    hw, yw = params.within(h["column"]), params.within(out["column"])
    sd_y, icc = float(out["sd"]), float(np.clip(yw["icc"], 0.0, 0.95))
    x_sd = float(hw["sd_within"])
    err = float(h.get("error_var", np.nan))
    err = err if np.isfinite(err) else 0.0  # no replicate wells: no assay error known
    lam = float(np.clip(1 - err / x_sd**2, 0.05, 1.0))  # within-person reliability
    sd_t = x_sd * math.sqrt(lam)
    resid_w = sd_y * math.sqrt(1 - icc)
    raw = effect if scale == "raw" else effect * resid_w / sd_t
    beta = raw / sd_y  # outcome-SD units, as the mixed family
    # y | measured x: slope beta * lam, extra residual beta^2 var_t (1 - lam); rescaled by c
    c = math.sqrt(1 + beta**2 * sd_t**2 * (1 - lam))
    inner = spec_mixed(name, {"x": beta * lam / c},
                       {"n_obs": max(3, int(round(float(yw["n_per_subject"])))),
                        "icc": icc / c**2, "slope_sd": 0.0, "x_sd": x_sd})
    spec = scaled(inner, f"{h['column']}_within", sd_y * c)
    return spec, _stated(raw, raw * sd_t / resid_w,
                         f"{out['column']} points per natural-log unit of {h['analyte']} "
                         "within a person",
                         f"within-person residual SDs of {out['column']} ({resid_w:.3g}) per "
                         f"within-person SD of log {h['analyte']} ({sd_t:.3g}, error-free)",
                         lam, h["analyte"])


def _crossover(name, params, outcome_role, effect, scale):
    out = params.outcome(outcome_role)
    sd_y = float(out["sd"])
    icc = float(np.clip(params.within(out["column"])["icc"], 0.0, 0.95))
    raw = effect if scale == "raw" else effect * sd_y
    inner = spec_crossover(name, {"treatment": raw / sd_y, "period": 0.0, "carryover": 0.0},
                           {"icc": icc})
    return scaled(inner, "treatment", sd_y), _stated(
        raw, raw / sd_y, f"{out['column']} points (oxytocin minus placebo, within person)",
        f"SDs of {out['column']} ({sd_y:.3g} points; ICC {icc:.2f} from the pilot)")


def _draw_apim(rng, n, size, alpha, *, actor, partner, sd_t, err_sd, x_r, rho, resid_sd,
               which, truth):
    cov_x = sd_t**2 * np.array([[1.0, x_r], [x_r, 1.0]])
    x = rng.multivariate_normal([0.0, 0.0], cov_x, size=(size, n))
    e = rng.multivariate_normal([0.0, 0.0], resid_sd**2 * np.array([[1.0, rho], [rho, 1.0]]),
                                size=(size, n))
    y = actor * x + partner * x[..., ::-1] + e
    xo = x + err_sd * rng.standard_normal(x.shape)
    est, _se, pval, lo, hi = apim_sum_difference(xo, y, which, alpha)
    return result(est, pval, lo, hi, truth, alpha)


def _apim_measured(eff, which, sd_t, err_sd, x_r) -> float:
    """What the sum/difference APIM estimates from measured hormones: the sum's slope is
    attenuated by var(x1 + x2) / (that + 2 err), the difference's by its own ratio."""
    v_sum, v_diff, err = 2 * sd_t**2 * (1 + x_r), 2 * sd_t**2 * (1 - x_r), 2 * err_sd**2
    b_sum = (eff["actor"] + eff["partner"]) * v_sum / (v_sum + err)
    b_diff = (eff["actor"] - eff["partner"]) * v_diff / (v_diff + err)
    return (b_sum + b_diff) / 2 if which == "actor" else (b_sum - b_diff) / 2


def _apim(name, params, roles, outcome_role, effect, scale):
    from .design_power import DESIGN_HYPOTHESES

    which = DESIGN_HYPOTHESES[name][2]
    h, sd_t, err_sd, rel = _hormone(params, roles[0])
    out = params.outcome(outcome_role)
    icc = dict(zip(params.dyad_icc["column"], params.dyad_icc["icc"]))
    if h["column"] not in icc or out["column"] not in icc:
        raise HormoneStatsError(f"{name} needs a couples pilot (a dyad_id column pairing "
                                f"partners); this pilot is a {params.design} design")
    x_r = float(np.clip(icc[h["column"]] / rel, -0.9, 0.9))
    rho = float(np.clip(icc[out["column"]], -0.9, 0.9))
    sd_y = float(out["sd"])
    other = "partner" if which == "actor" else "actor"
    b_other = params.facts.get(other, 0.0) / rel
    resid_sd = math.sqrt(max(sd_y**2 - b_other**2 * sd_t**2, 1e-6 * sd_y**2))
    raw = effect if scale == "raw" else effect * resid_sd / sd_t
    eff = {which: raw, other: b_other}
    whose = "own" if which == "actor" else "partner's"
    draw = partial(_draw_apim, actor=eff["actor"], partner=eff["partner"], sd_t=sd_t,
                   err_sd=err_sd, x_r=x_r, rho=rho, resid_sd=resid_sd, which=which,
                   truth=_apim_measured(eff, which, sd_t, err_sd, x_r))
    return PowerSpec(name, which, _apim_measured(eff, which, sd_t, err_sd, x_r), draw), _stated(
        raw, raw * sd_t / resid_sd,
        f"{out['column']} points per natural-log unit of the {whose} {h['analyte']} "
        f"({other} effect {b_other:.3g} from the pilot)",
        f"residual SDs of {out['column']} ({resid_sd:.3g}) per SD of log {h['analyte']} "
        f"({sd_t:.3g}, error-free)", rel, h["analyte"])


def _two_group(name, params, outcome_role, effect, scale):
    out = params.outcome(outcome_role)
    sd = _outcome_sd(out)
    raw = effect if scale == "raw" else effect * sd
    return scaled(spec_two_group(name, {"d": raw / sd}, {}), "group", sd), _stated(
        raw, raw / sd, f"{out['column']} units (oxytocin minus placebo arm)",
        f"SDs of {out['column']} within the arms ({sd:.3g})")


# ---------------------------------------------------------------------------- the entry
def _stated(raw, std, units, std_units, rel=1.0, analyte=None) -> dict:
    note = (f"; the measured {analyte} carries {rel:.3g} of it (reliability)"
            if analyte is not None and rel < 1 else "")
    return {"effect_raw": float(raw), "effect_standardised": float(std),
            "effect_units": f"raw: {units}; standardised: {std_units}{note}"}


def _check_design(name: str, kind: str, params: PilotParameters) -> None:
    """Refuse a pilot whose design cannot set the hypothesis's simulation, saying why."""
    why = None
    repeated = len(params.icc) > 0
    if kind in ("moderation", "regression", "gxe", "mediation", "two_group") and repeated:
        why = ("it is a between-person hypothesis (one row per person) and the pilot has "
               "repeated rows per person: use a between-person pilot")
    elif kind in ("moderation", "gxe", "two_group") and "arm_share" not in params.facts:
        why = "it needs an oxytocin arm (a 0/1 oxytocin_arm column) and the pilot has none"
    elif kind == "crossover" and "sequence" not in params.mapping and params.design != \
            "crossover":
        why = "it needs a crossover pilot (two periods per person, a sequence)"
    elif kind == "within" and not repeated:
        why = "it needs a pilot with several observations per person (a cycle study)"
    if why is not None:
        raise HormoneStatsError(f"power of {name} from this pilot ({params.design} design): "
                                f"{why}")


def pilot_spec(name: str, pilot, effect: float, effect_scale: str = "raw") -> tuple:
    """The power simulation of ``name`` with the pilot's parameters, and its effect both ways.

    Returns ``(spec, effects)`` where ``effects`` is a dict with ``effect_raw`` (outcome
    units, see the module's table), ``effect_standardised`` and ``effect_units`` (the words).
    """
    if name not in PILOT_HYPOTHESES:
        raise HormoneStatsError(
            f"power from a pilot is available for {', '.join(PILOT_HYPOTHESES)}; {name!r} "
            f"is not: {PILOT_REFUSED}")
    if effect_scale not in ("raw", "standardised"):
        raise HormoneStatsError(
            f"effect_scale must be 'raw' or 'standardised', got {effect_scale!r}")
    params = pilot_parameters(pilot)
    kind, roles, outcome_role = PILOT_HYPOTHESES[name]
    _check_design(name, kind, params)
    effect = float(effect)
    if kind in ("moderation", "regression"):
        return _between(name, kind, params, roles, outcome_role, effect, effect_scale)
    if kind == "gxe":
        return _gxe(name, params, outcome_role, effect, effect_scale)
    if kind == "mediation":
        return _mediation(name, params, roles, outcome_role, effect, effect_scale)
    if kind == "within":
        return _within(name, params, roles, outcome_role, effect, effect_scale)
    if kind == "crossover":
        return _crossover(name, params, outcome_role, effect, effect_scale)
    if kind == "apim":
        return _apim(name, params, roles, outcome_role, effect, effect_scale)
    return _two_group(name, params, outcome_role, effect, effect_scale)

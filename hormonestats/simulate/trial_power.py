"""Power of trial- and item-level designs analysed with a generalized mixed model: trust-game
choices (``trust_trials``) and RMET item responses (``rmet_items``), simulated by
:mod:`hormonestats.simulate.trials` and each fitted with ``hs.mixed(..., family="binomial")``
(the default analysis: Laplace restricted likelihood, Wald z test of the key term). ``n``
counts persons. Each simulated study is a full
GLMM fit (a fraction of a second), so these families are slower than the closed-form ones.
"""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np

from ..errors import HormoneStatsError
from ..models.glmm.api import fit_generalized
from ..models.lmm.fit import MixedModelWarning
from .batched import PowerSpec, result
from .trials import simulate_rmet_items, simulate_trust_trials

TRUST_FORMULA = "choice ~ oxytocin + face_trust + (1 | subject) + (1 | face)"
RMET_FORMULA = "correct ~ oxytocin * estradiol + (1 | subject) + (1 | item)"

#: effects (log-odds) and options of the trial-level power families
FAMILIES = {
    "trust_trials": {"oxytocin": 0.5, "face_trust": 0.6},
    "rmet_items": {"oxytocin": 0.2, "estradiol": 0.1, "oxytocin:estradiol": 0.15},
}
FAMILY_OPTIONS = {
    "trust_trials": {"n_trials": 40, "n_faces": 20, "intercept": -0.2, "sd_subject": 1.0,
                     "sd_face": 0.5, "term": "oxytocin"},
    "rmet_items": {"n_items": 36, "intercept": 1.0, "sd_subject": 0.5, "sd_item": 0.8,
                   "sd_estradiol": 1.0, "term": "oxytocin:estradiol"},
}


def _draw(rng, n, size, alpha, *, simulate, formula, term, truth):
    est, pval, lo, hi = (np.full(size, np.nan) for _ in range(4))
    for i in range(size):
        data, _ = simulate(n, seed=rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MixedModelWarning)
            res = fit_generalized(data, formula, "binomial", conf_level=1 - alpha)
        row = res.table.set_index("term").loc[term]
        est[i], pval[i], lo[i], hi[i] = (row["estimate"], row["p_value"], row["conf_low"],
                                         row["conf_high"])
    return result(est, pval, lo, hi, truth, alpha)


def spec_trial_level(family: str, name: str, eff: dict, opts: dict) -> PowerSpec:
    """The :class:`PowerSpec` of ``trust_trials`` or ``rmet_items``."""
    term = str(opts["term"])
    if term not in eff:
        raise HormoneStatsError(f"{family}: term must be one of {', '.join(eff)}, got {term!r}")
    if family == "trust_trials":
        effects = {k: float(opts[k]) for k in ("intercept", "sd_subject", "sd_face")} | eff
        simulate = partial(_trust, n_trials=int(opts["n_trials"]),
                           n_faces=int(opts["n_faces"]), effects=effects)
        formula = TRUST_FORMULA
    else:
        effects = {k: float(opts[k]) for k in ("intercept", "sd_subject", "sd_item",
                                               "sd_estradiol")} | eff
        simulate = partial(_rmet, n_items=int(opts["n_items"]), effects=effects)
        formula = RMET_FORMULA
    draw = partial(_draw, simulate=simulate, formula=formula, term=term, truth=eff[term])
    return PowerSpec(name, term, eff[term], draw, opts)


def _trust(n, *, n_trials, n_faces, effects, seed):
    return simulate_trust_trials(n, n_trials, n_faces, effects, seed=seed)


def _rmet(n, *, n_items, effects, seed):
    return simulate_rmet_items(n, n_items, effects, seed=seed)

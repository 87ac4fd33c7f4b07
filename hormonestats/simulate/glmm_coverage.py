"""Coverage of the fixed-effect intervals of the generalized mixed model over simulated trust
games (persons x trials crossed with partners' faces; logistic, crossed random intercepts).

Each simulated game is fitted once; its estimates, standard errors and the denominator degrees of
freedom of every fixed effect are kept, so one run gives the coverage of the Wald z intervals and
of the small-sample t intervals (:mod:`hormonestats.models.glmm.ddf`) side by side.
"""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np
import pandas as pd
from scipy import stats

from ..options import ExecutionOptions
from ..parallel import map_tasks
from .trials import simulate_trust_trials

FORMULA = "choice ~ oxytocin + face_trust + (1 | subject) + (1 | face)"
TERMS = ("Intercept", "oxytocin", "face_trust")


def _one_game(design: dict, seed, reml: bool = True) -> list[tuple]:
    from ..models.glmm.api import fit_generalized
    from ..models.lmm.fit import MixedModelWarning

    data, truth = simulate_trust_trials(**design, seed=np.random.default_rng(seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MixedModelWarning)
        res = fit_generalized(data, FORMULA, "binomial", reml=reml, df_method="between-within")
    t = res.table.set_index("term")
    return [(term, truth["intercept" if term == "Intercept" else term],
             float(t.loc[term, "estimate"]), float(t.loc[term, "std_error"]),
             float(t.loc[term, "df"]), bool(res.converged)) for term in TERMS]


def trust_game_estimates(n_sim: int = 2000, n_subjects: int = 30, n_trials: int = 40,
                         n_faces: int = 20, reml: bool = True, execution=None) -> pd.DataFrame:
    """Fit ``n_sim`` simulated trust games (``reml``: the restricted likelihood, the default of
    :func:`hormonestats.mixed`; False: maximum likelihood as glmer); one row per game and fixed
    effect: ``sim, term, truth, estimate, std_error, df, converged``. Reproducible from
    ``execution.seed`` whatever ``execution.n_jobs``."""
    ex = ExecutionOptions.coerce(execution)
    design = {"n_subjects": n_subjects, "n_trials": n_trials, "n_faces": n_faces}
    out = map_tasks(partial(_one_game, reml=bool(reml)), [design] * int(n_sim), seed=ex.seed, n_jobs=ex.n_jobs,
                    scheduler=ex.scheduler, progress=ex.progress, label="trust games")
    rows = [(i, *r) for i, game in enumerate(out) for r in game]
    return pd.DataFrame(rows, columns=["sim", "term", "truth", "estimate", "std_error", "df",
                                       "converged"])


def interval_coverage(estimates: pd.DataFrame, conf_level: float = 0.95) -> pd.DataFrame:
    """Per term: the share of games whose interval covers the truth, for the Wald z interval
    (``wald``) and the t interval on the model's denominator df (``t_df``), with the Monte
    Carlo standard error of a share at the nominal level (``mc_se``)."""
    z = stats.norm.ppf(0.5 + conf_level / 2)
    tq = stats.t.ppf(0.5 + conf_level / 2, estimates["df"])
    err = (estimates["estimate"] - estimates["truth"]).abs()
    d = estimates.assign(wald=err <= z * estimates["std_error"],
                         t_df=err <= tq * estimates["std_error"])
    g = d.groupby("term", sort=False)
    out = g[["wald", "t_df"]].mean()
    out["df_median"] = g["df"].median()
    out["n_sim"] = g.size()
    out["mc_se"] = np.sqrt(conf_level * (1 - conf_level) / out["n_sim"])
    return out.reset_index()

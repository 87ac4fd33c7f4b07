"""Parametric bootstrap of a generalized mixed model (lme4's ``bootMer`` with ``use.u = FALSE``,
``confint(method = "boot", boot.type = "perc")``): new random effects and new responses are
drawn from the fitted model, the model is refitted to each simulated data set, and the
percentiles of the refitted estimates are the intervals (Efron & Tibshirani 1993, ch. 13).

Each replicate gets its own seed from one ``SeedSequence`` (:func:`hormonestats.parallel
.map_tasks`), so the draws are the same with one worker or many.
"""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np
import pandas as pd

from ...errors import ModelError
from ...options import ExecutionOptions
from ...parallel import map_tasks
from .fit import fit_glmm
from .pirls import PenalisedSystem


def simulate_response(system: PenalisedSystem, beta, theta, rng) -> np.ndarray:
    """One response drawn from the model at ``(beta, theta)``: random effects ``b = Lambda u``
    with ``u ~ N(0, I)`` per level, then binomial proportions, Poisson or negative binomial
    counts given the linear predictor."""
    eta = system.offset + system.X @ np.asarray(beta, float)
    for blk, lam in zip(system.blocks, system.lambdas(theta)):
        b = rng.standard_normal((blk.n_levels, blk.q)) @ lam.T
        eta = eta + (blk.Z * b[np.asarray(blk.codes)]).sum(axis=1)
    fam = system.family.with_theta(np.exp(theta[-1])) if system.n_extra else system.family
    mu = fam.linkinv(eta)
    if fam.name == "binomial":
        n = system.trials
        return rng.binomial(n.astype(int), mu) / np.where(n > 0, n, 1)
    if fam.name == "poisson":
        return rng.poisson(mu).astype(float)
    return rng.negative_binomial(fam.theta, fam.theta / (fam.theta + mu)).astype(float)


def parameter_names(fit) -> list[str]:
    """Fixed effects, then ``sd(group: term)`` of each random-effect term (and the negative
    binomial's ``theta``): the columns of the bootstrap draws."""
    out = list(fit.names)
    for group, names, _, _ in fit.blocks:
        out += [f"sd({group}: {t})" for t in names]
    if fit.family.extra:
        out.append("theta")
    return out


def _parameters(fit) -> np.ndarray:
    sds = [np.sqrt(np.diag(c)) for c in fit.covs]
    extra = [fit.family.theta] if fit.family.extra else []
    return np.concatenate([fit.beta, *sds, extra])


def _replicate(_task, seed, *, system, beta, theta, names, n_agq, reml):
    """Refit to one simulated response: the parameters and whether the fit converged (NaN
    parameters where the refit failed)."""
    rng = np.random.default_rng(seed)
    y = simulate_response(system, beta, theta, rng)
    sim = PenalisedSystem(y, system.X, system.blocks, system.family, system.trials,
                          system.offset)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = fit_glmm(sim, names, n_agq, reml=reml)
    except (ModelError, np.linalg.LinAlgError, FloatingPointError):
        return None, False
    return _parameters(fit), bool(fit.converged)


def bootstrap_draws(result, n: int = 1000, execution=None) -> pd.DataFrame:
    """``n`` parametric-bootstrap replicates of ``result`` (a GLMMResult): one row each, the
    parameters of :func:`parameter_names` and ``converged``; a failed refit is a row of NaN."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ModelError(f"n (bootstrap replicates) must be a positive whole number, got {n!r}")
    ex = ExecutionOptions.coerce(execution)
    fit, system = result.fit, result._system
    func = partial(_replicate, system=system, beta=fit.beta, theta=fit.theta,
                   names=list(fit.names), n_agq=fit.n_agq, reml=fit.reml)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        out = map_tasks(func, list(range(int(n))), seed=ex.seed, n_jobs=ex.n_jobs,
                        scheduler=ex.scheduler, progress=ex.progress,
                        label="parametric bootstrap")
    cols = parameter_names(fit)
    values = np.array([p if p is not None else np.full(len(cols), np.nan) for p, _ in out])
    draws = pd.DataFrame(values, columns=cols)
    draws["converged"] = [c for _, c in out]
    return draws


def percentile_intervals(result, draws: pd.DataFrame, conf_level: float) -> pd.DataFrame:
    """Percentile intervals (R's ``quantile`` type 7, as ``boot.ci``'s percentile method of
    ``confint.merMod``) of every parameter: ``term, estimate, boot_se, conf_low, conf_high,
    n_boot`` (refits that succeeded)."""
    est = _parameters(result.fit)
    a = (1 - conf_level) / 2
    rows = []
    for name, e in zip(parameter_names(result.fit), est):
        v = draws[name].to_numpy(float)
        v = v[np.isfinite(v)]
        lo, hi = (np.quantile(v, [a, 1 - a]) if len(v) else (np.nan, np.nan))
        rows.append((name, float(e), float(np.std(v, ddof=1)) if len(v) > 1 else np.nan,
                     float(lo), float(hi), len(v)))
    return pd.DataFrame(rows, columns=["term", "estimate", "boot_se", "conf_low", "conf_high",
                                       "n_boot"])

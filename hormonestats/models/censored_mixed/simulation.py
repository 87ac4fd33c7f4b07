"""Bias and coverage of the censored mixed model against LOD/sqrt(2) substitution, by
simulation (Lubin et al. 2004 show the substitution's bias; Hornung & Reed 1990 the rule).

A within-person study: ``n_subjects`` persons, ``n_samples`` readings each, the log hormone
``y = b0 + b1 x + u_i + e`` (``x`` varies within person, ``u_i ~ N(0, sd_subject^2)``,
``e ~ N(0, sigma^2)``), readings below a fixed LOD set at the ``share_below`` quantile of the
marginal distribution of ``y``. Each study is fitted twice: the censored likelihood and the
Gaussian mixed model (maximum likelihood) on readings with the below-LOD values replaced by
``log(LOD / sqrt(2))``. Run through :func:`hormonestats.parallel.map_tasks`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .fit import maximise
from .likelihood import CensoredSystem

__all__ = ["lod_study", "simulate_within"]


def simulate_within(rng, n_subjects=40, n_samples=8, share_below=0.3, beta=(0.2, 0.5),
                    sd_subject=0.8, sigma=0.6):
    """(X, codes, latent y, LOD) of one simulated study."""
    sid = np.repeat(np.arange(n_subjects), n_samples)
    x = rng.normal(size=len(sid))
    y = beta[0] + beta[1] * x + rng.normal(0, sd_subject, n_subjects)[sid] + rng.normal(
        0, sigma, len(sid))
    sd_marginal = np.sqrt(beta[1] ** 2 + sd_subject**2 + sigma**2)
    lod = beta[0] + sd_marginal * stats.norm.ppf(share_below)
    return np.column_stack([np.ones(len(sid)), x]), sid, y, lod


def _fit_slope(X, codes, g, lo, hi, n_agq):
    fit = maximise(CensoredSystem(X, np.ones((len(lo), 1)), codes, g, lo, hi, n_agq))
    return fit.theta[1], float(np.sqrt(fit.cov[1, 1])), fit.converged


def lod_study(task, seed_seq) -> dict:
    """One simulated study (``task``: keyword arguments of :func:`simulate_within` plus
    ``n_agq``): slope estimate, SE and 95% coverage by the censored likelihood and by LOD/sqrt(2)
    substitution."""
    task = dict(task)
    n_agq = task.pop("n_agq", 5)
    rng = np.random.default_rng(seed_seq)
    X, codes, y, lod = simulate_within(rng, **task)
    truth = task.get("beta", (0.2, 0.5))[1]
    g = int(codes.max()) + 1
    below = y < lod
    lo = np.where(below, -np.inf, y)
    hi = np.where(below, lod, y)
    b_c, se_c, ok_c = _fit_slope(X, codes, g, lo, hi, n_agq)
    sub = np.where(below, lod - 0.5 * np.log(2.0), y)
    b_s, se_s, ok_s = _fit_slope(X, codes, g, sub, sub, 1)
    z = stats.norm.ppf(0.975)
    return {"share_below": float(below.mean()), "censored": b_c, "censored_se": se_c,
            "censored_covers": bool(abs(b_c - truth) <= z * se_c), "censored_ok": ok_c,
            "sqrt2": b_s, "sqrt2_se": se_s, "sqrt2_covers": bool(abs(b_s - truth) <= z * se_s),
            "sqrt2_ok": ok_s}


def summarise(rows, truth: float = 0.5) -> pd.DataFrame:
    """Relative bias and coverage of each method over the studies."""
    d = pd.DataFrame(rows)
    out = []
    for m in ("censored", "sqrt2"):
        out.append({"method": m, "mean_share_below": d.share_below.mean(),
                    "relative_bias": (d[m].mean() - truth) / truth,
                    "mc_se_bias": d[m].std() / np.sqrt(len(d)) / truth,
                    "coverage": d[f"{m}_covers"].mean(), "converged": d[f"{m}_ok"].mean()})
    return pd.DataFrame(out)

"""Inference for a specification curve under the null (Simonsohn, Simmons & Nelson 2020).

For every specification the null is imposed on its own data: the key estimate's contribution is
taken out of the outcome, ``y* = y - b x_key``, so that specification's estimate is exactly 0
on the observed data. Each null draw resamples participants with replacement, the same
participants for every specification, and refits every specification on its null data. Three
statistics of the curve are compared with their null distributions:

* the median estimate (one-sided in the predicted direction; two-sided for an exploratory
  hypothesis);
* the share of specifications significant at ``alpha`` in the predicted direction (in either
  direction for an exploratory hypothesis);
* the share of specifications whose estimate has the predicted sign (the observed median's
  sign for an exploratory hypothesis).

``p = (#{null >= observed} + 1) / (B + 1)``. The refits are frequency-weighted least squares
(a resample with repeated participants is the same fit as ordinary least squares on the
expanded data), batched over the draws, so the whole family of specifications costs a few
matrix products per draw. Only specifications fitted by ordinary least squares (the
moderation, gxe and regression families) can be resampled this way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["null_inference"]

_CHUNK = 256


def _null_fits(design, counts: np.ndarray):
    """(estimates, p-values) of one specification's key term over the null draws."""
    X, y, j, ids_index = design
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    y0 = y - beta[j] * X[:, j]
    W = counts[:, ids_index]  # draws x rows: how often each row's participant was drawn
    est = np.full(len(W), np.nan)
    pval = np.full(len(W), np.nan)
    p = X.shape[1]
    for start in range(0, len(W), _CHUNK):
        w = W[start:start + _CHUNK]
        xtwx = np.einsum("bi,ij,ik->bjk", w, X, X)
        xtwy = np.einsum("bi,ij,i->bj", w, X, y0)
        dfres = w.sum(axis=1) - p
        ok = (dfres > 0) & (np.linalg.matrix_rank(xtwx) == p)
        if not ok.any():
            continue
        inv = np.linalg.inv(xtwx[ok])
        b = np.einsum("bjk,bk->bj", inv, xtwy[ok])
        resid = y0[None, :] - b @ X.T
        sigma2 = (w[ok] * resid**2).sum(axis=1) / dfres[ok]
        se = np.sqrt(sigma2 * inv[:, j, j])
        t = b[:, j] / se
        idx = np.arange(start, start + len(w))[ok]
        est[idx] = b[:, j]
        pval[idx] = 2 * stats.t.sf(np.abs(t), dfres[ok])
    return est, pval


def _curve_stats(est: np.ndarray, pval: np.ndarray, sign: int, alpha: float):
    """Median estimate, share significant in the direction, share with the sign (per row)."""
    with np.errstate(invalid="ignore"):
        median = np.nanmedian(est, axis=-1)
        valid = np.isfinite(est)
        n = valid.sum(axis=-1)
        direction = np.sign(est) == sign if sign else np.ones_like(valid)
        significant = (pval < alpha) & direction & valid
        share_sig = significant.sum(axis=-1) / n
        share_dir = ((np.sign(est) == sign) & valid).sum(axis=-1) / n if sign else np.nan
    return median, share_sig, share_dir


def null_inference(table: pd.DataFrame, designs, *, predicted_sign: int, alpha: float,
                   n_null: int, seed) -> tuple[pd.DataFrame | None, str]:
    """Simonsohn et al. (2020) tests of a specification curve; (table, note for the reader)."""
    tested = (table["status"] == "tested").to_numpy()
    usable = [i for i in range(len(table)) if tested[i] and designs[i] is not None]
    if not usable:
        return None, ("No inference under the null: this hypothesis's model is not fitted by "
                      "ordinary least squares (null resampling covers moderation, gxe and "
                      "regression).")
    left_out = int(tested.sum()) - len(usable)
    ids = np.unique(np.concatenate([designs[i][3] for i in usable]))
    position = {s: k for k, s in enumerate(ids)}
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(len(ids), np.full(len(ids), 1 / len(ids)), size=n_null)
    counts = counts.astype(float)
    est = np.empty((n_null, len(usable)))
    pval = np.empty((n_null, len(usable)))
    for k, i in enumerate(usable):
        X, y, j, subj = designs[i]
        rows = np.array([position[s] for s in subj])
        est[:, k], pval[:, k] = _null_fits((X, y, j, rows), counts)
    obs_est = table["estimate"].to_numpy()[usable]
    obs_p = table["p_value"].to_numpy()[usable]
    sign = int(predicted_sign)
    dir_sign = sign if sign else int(np.sign(np.median(obs_est)) or 1)
    o_med, o_sig, _ = _curve_stats(obs_est, obs_p, sign, alpha)
    _, _, o_dir = _curve_stats(obs_est, obs_p, dir_sign, alpha)
    n_med, n_sig, _ = _curve_stats(est, pval, sign, alpha)
    _, _, n_dir = _curve_stats(est, pval, dir_sign, alpha)
    if sign:
        extreme_med = sign * n_med >= sign * o_med
    else:
        extreme_med = np.abs(n_med) >= abs(o_med)

    def p_of(extreme):
        extreme = extreme[np.isfinite(n_med)]
        return float((extreme.sum() + 1) / (len(extreme) + 1))

    rows = [
        {"test": "median estimate", "observed": float(o_med),
         "null_median": float(np.nanmedian(n_med)), "p_value": p_of(extreme_med)},
        {"test": "share significant" + (" in the predicted direction" if sign else ""),
         "observed": float(o_sig), "null_median": float(np.nanmedian(n_sig)),
         "p_value": p_of(n_sig >= o_sig)},
        {"test": ("share in the predicted direction" if sign
                       else "share in the observed median's direction"),
         "observed": float(o_dir), "null_median": float(np.nanmedian(n_dir)),
         "p_value": p_of(n_dir >= o_dir)},
    ]
    out = pd.DataFrame(rows).assign(n_null=n_null, n_specifications=len(usable))
    note = (f"Inference under the null: {n_null} resamples of the {len(ids)} participants with "
            "the null imposed on every specification (Simonsohn, Simmons & Nelson 2020); "
            "p = (#{null >= observed} + 1) / (B + 1).")
    if left_out:
        note += f" {left_out} tested specifications without an OLS design were left out."
    return out, note

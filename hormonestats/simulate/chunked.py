"""Power simulations above ``MAX_N``: one data set drawn in row chunks, fitted from its moments.

Below :data:`~hormonestats.simulate.batched.MAX_N` a simulated data set is drawn as one
batch (:func:`~hormonestats.simulate.batched.run_chunk`). Above it, the families whose test
is least squares (``two_group``, ``correlation``, ``moderation``, ``mediation``,
``crossover`` and the OLS-tested registered hypotheses) draw each data set in blocks of
:data:`STREAM_ROWS` rows, block ``b`` of simulation ``s`` from its own random stream (the
SeedSequence of the chunk of simulations, extended by ``(s, b)``), and accumulate the
cross-products ``Z'Z`` of the columns ``Z = [1, regressors..., outcome(s)]`` over chunks of
:data:`CHUNK_ROWS` rows. ``Z'Z`` holds every sufficient statistic of an OLS fit (``X'X``,
``X'y``, ``y'y`` and ``n``), so the estimate, its standard error and the test follow exactly,
and memory stays at one chunk (a few tens of MB) whatever ``n`` is. The draws depend on the
block, not on the chunk: a different chunk size changes the numbers only by the rounding of
the sums.

Two row-level changes against the one-batch path, neither changing the model: a balanced
2-group or 2-arm assignment is made by row position (rows are exchangeable, so an OLS fit is
the same as for a random permutation), and the registered hypotheses' oxytocin arm is
balanced within each block of :data:`STREAM_ROWS` rows (permuted-block randomisation).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .batched import mediation_result, result

__all__ = ["CHUNK_ROWS", "STREAM_ROWS", "ChunkedFit", "run_chunked", "moments"]

#: Rows drawn from one random stream (one block); fixed, so numbers do not depend on chunking.
STREAM_ROWS = 65_536
#: Rows held in memory at once (a whole number of blocks).
CHUNK_ROWS = 4 * STREAM_ROWS


@dataclass(frozen=True)
class ChunkedFit:
    """How a power simulation is drawn in chunks and tested from its moments.

    ``rows(rng, start, stop, n)`` returns the columns ``Z`` (``stop - start`` rows) of rows
    ``start:stop`` of a data set of ``n`` rows; ``kind`` is ``"ols"`` (one fit: ``fits[0]``
    is ``(regressor columns, outcome column, key column)``), ``"mediation"`` (fits a and b,
    joint-significance test) or ``"correlation"`` (Pearson's r of columns 1 and 2).
    """

    rows: Callable
    kind: str
    fits: Sequence = ()
    true_value: float = 0.0

    def run(self, n: int, size: int, alpha: float, seed_seq, **kw) -> dict:
        """``size`` simulations of ``n`` rows each (:func:`run_chunked`)."""
        return run_chunked(self, n, size, alpha, seed_seq, **kw)


def _stream(seed_seq, s: int, b: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(
        seed_seq.entropy, spawn_key=(*seed_seq.spawn_key, s, b)))


def moments(fit: ChunkedFit, n: int, seed_seq, s: int, *, chunk_rows: int = CHUNK_ROWS,
            stream_rows: int = STREAM_ROWS) -> np.ndarray:
    """``Z'Z`` of simulation ``s``'s data set of ``n`` rows, accumulated chunk by chunk."""
    if chunk_rows % stream_rows:
        raise ValueError("chunk_rows must be a whole number of stream_rows blocks")
    total = None
    for c0 in range(0, n, chunk_rows):
        c1 = min(n, c0 + chunk_rows)
        z = np.concatenate([
            fit.rows(_stream(seed_seq, s, b0 // stream_rows), b0, min(c1, b0 + stream_rows), n)
            for b0 in range(c0, c1, stream_rows)])
        zz = z.T @ z
        total = zz if total is None else total + zz
    return total


def _ols(m: np.ndarray, xcols, ycol, key, alpha):
    """(est, se, p, lo, hi) of the key coefficient from the cross-products ``m``
    (``xcols`` None: all columns but the last, which is the outcome)."""
    if xcols is None:
        xcols, ycol = list(range(m.shape[0] - 1)), m.shape[0] - 1
    xtx = m[np.ix_(xcols, xcols)]
    xty = m[xcols, ycol]
    n, p = m[0, 0], len(xcols)
    try:
        inv = np.linalg.inv(xtx)
    except np.linalg.LinAlgError:
        return (math.nan,) * 5
    beta = inv @ xty
    df = n - p
    s2 = max(m[ycol, ycol] - beta @ xty, 0.0) / df
    k = list(xcols).index(key)
    est, se = beta[k], math.sqrt(s2 * inv[k, k])
    crit = stats.t.ppf(1 - alpha / 2, df)
    return est, se, 2 * stats.t.sf(abs(est / se), df), est - crit * se, est + crit * se


def _one(fit: ChunkedFit, m: np.ndarray, alpha: float, mc_rng) -> dict:
    arr = np.atleast_1d
    if fit.kind == "ols":
        est, _, pval, lo, hi = _ols(m, *fit.fits[0], alpha)
        return result(arr(est), arr(pval), arr(lo), arr(hi), fit.true_value, alpha)
    if fit.kind == "mediation":
        a, b = (tuple(arr(v) for v in _ols(m, *f, alpha)) for f in fit.fits)
        return mediation_result(mc_rng, a, b, fit.true_value, alpha)
    n = m[0, 0]  # correlation of columns 1 and 2
    sxx = m[1, 1] - m[0, 1] ** 2 / n
    syy = m[2, 2] - m[0, 2] ** 2 / n
    sxy = m[1, 2] - m[0, 1] * m[0, 2] / n
    r = sxy / math.sqrt(sxx * syy)
    tval = r * math.sqrt((n - 2) / (1 - r * r))
    pval = 2 * stats.t.sf(abs(tval), n - 2)
    z, zc = math.atanh(r), stats.norm.ppf(1 - alpha / 2) / math.sqrt(n - 3)
    return result(arr(r), arr(pval), arr(math.tanh(z - zc)), arr(math.tanh(z + zc)),
                  fit.true_value, alpha)


def run_chunked(fit: ChunkedFit, n: int, size: int, alpha: float, seed_seq, **kw) -> dict:
    """``size`` simulations of ``n`` rows each, drawn in chunks (see the module's text)."""
    n_blocks = -(-n // kw.get("stream_rows", STREAM_ROWS))
    parts = [_one(fit, moments(fit, n, seed_seq, s, **kw), alpha, _stream(seed_seq, s, n_blocks))
             for s in range(size)]
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


# ------------------------------------------------------------------ rows of each family
def _first_half(start, stop, n):
    return (np.arange(start, stop) < n // 2).astype(float)


def rows_two_group(rng, start, stop, n, *, d):
    g = _first_half(start, stop, n)
    return np.column_stack([np.ones(stop - start), g, d * g + rng.standard_normal(stop - start)])


def rows_correlation(rng, start, stop, n, *, r):
    m = stop - start
    x = rng.standard_normal(m)
    y = r * x + math.sqrt(1 - r * r) * rng.standard_normal(m)
    return np.column_stack([np.ones(m), x, y])


def rows_moderation(rng, start, stop, n, *, bx, bm, bxm, r_xm, binary):
    m_ = stop - start
    if binary:
        x = _first_half(start, stop, n)
        m = r_xm * (2 * x - 1) + math.sqrt(1 - r_xm**2) * rng.standard_normal(m_)
    else:
        x = rng.standard_normal(m_)
        m = r_xm * x + math.sqrt(1 - r_xm**2) * rng.standard_normal(m_)
    y = bx * x + bm * m + bxm * x * m + rng.standard_normal(m_)
    return np.column_stack([np.ones(m_), x, m, x * m, y])


def rows_mediation(rng, start, stop, n, *, a_, b_, c_):
    k = stop - start
    x = rng.standard_normal(k)
    m = a_ * x + rng.standard_normal(k)
    y = c_ * x + b_ * m + rng.standard_normal(k)
    return np.column_stack([np.ones(k), x, m, y])


def rows_crossover(rng, start, stop, n, *, tau, period, carry, icc):
    k = stop - start
    ab = _first_half(start, stop, n)
    seq = 2 * ab - 1
    sd_w = math.sqrt(1 - icc)
    s = math.sqrt(icc) * rng.standard_normal(k)
    y1 = s + tau * ab + sd_w * rng.standard_normal(k)
    y2 = s + tau * (1 - ab) + period + carry * ab + sd_w * rng.standard_normal(k)
    return np.column_stack([np.ones(k), seq, y1 - y2])


def rows_between(rng, start, stop, n, *, eff, outcomes, columns):
    """Columns of a registered between-person hypothesis: 1, ``columns(latent)``, outcomes."""
    from .latent import latent_between

    lat = latent_between(rng, stop - start, eff, size=1, outcomes=outcomes)
    cols = [np.ones(stop - start), *(c[0] for c in columns(lat)),
            *(lat[o][0] for o in outcomes)]
    return np.column_stack(cols)

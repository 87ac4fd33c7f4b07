"""The profiled deviance at many ``theta`` at once (finite-difference gradients and Hessians,
the Satterthwaite derivatives): the same arithmetic as :meth:`.pls.PLSDeviance.factor` for
the common designs (at most two random effects per level of the largest grouping factor; other
grouping factors with a random intercept only), with the per-level work of all points in one
array and one matrix product. Numerically the same as evaluating the points one by one.
"""

from __future__ import annotations

import numpy as np

LOG2PI = float(np.log(2 * np.pi))


def supported(eng) -> bool:
    """Whether :func:`factor_many` handles this engine's design."""
    return eng._outer is not None and all(eng.blocks[i].q == 1 for i in eng.b2)


def _lambda1(eng, thetas, dtype):
    K = len(thetas)
    lam = np.zeros((K, eng.q1, eng.q1), dtype=dtype)
    off = 0
    for i in eng.b1:
        r, c = eng.tri[i]
        lam[:, off + r, off + c] = thetas[:, eng.theta_slices[i]]
        off += eng.blocks[i].q
    return lam


def factor_many(eng, thetas):
    """(ld1, L, ok) for the rows of ``thetas``: the block-1 log-determinant, the lower
    Cholesky factors of the reduced systems (K x m x m) and which points are positive
    definite."""
    thetas = np.atleast_2d(np.asarray(thetas, float))
    K, m = len(thetas), eng.m
    D = eng._data()[2]
    C1, counts, P = eng._outer_data()
    dtype = np.longdouble if eng.precise else float
    lam = _lambda1(eng, thetas, dtype)
    ok = np.ones(K, bool)
    if eng.q1 == 1:
        l2 = lam[:, 0, 0, None] ** 2
        a = l2 * C1[None, :, 0, 0] + 1.0
        ld1 = np.log(a) @ counts
        S = (l2 / a) @ P[0]
    else:
        m00, m10, m11 = lam[:, 0, 0, None], lam[:, 1, 0, None], lam[:, 1, 1, None]
        c00, c01, c11 = C1[None, :, 0, 0], C1[None, :, 1, 0], C1[None, :, 1, 1]
        a = m00 * m00 * c00 + 2 * m00 * m10 * c01 + m10 * m10 * c11 + 1.0
        b = m11 * (m00 * c01 + m10 * c11)
        c = m11 * m11 * c11 + 1.0
        det = a * c - b * b
        ok &= ~np.any((det <= 0) | (a <= 0), axis=1)
        det = np.where(det > 0, det, 1.0)
        i00, i01, i11 = c / det, -b / det, a / det
        w00 = m00 * m00 * i00
        w01 = m00 * (i00 * m10 + i01 * m11)
        w11 = (m10 * i00 + m11 * i01) * m10 + (m10 * i01 + m11 * i11) * m11
        ld1 = np.log(det) @ counts
        S = w00 @ P[0] + w01 @ P[1] + w11 @ P[2]
    iu = np.triu_indices(m)
    M = np.empty((K, m, m), dtype=S.dtype)
    M[:, iu[0], iu[1]] = S
    M[:, iu[1], iu[0]] = S
    M = D[None] - M
    if eng.q2:
        s = np.ones((K, m))
        off = 0
        for i, size in zip(eng.b2, eng.q2_sizes):
            s[:, off : off + size] = thetas[:, eng.theta_slices[i]]
            off += size
        M = np.asarray(M, float)
        M = s[:, :, None] * M * s[:, None, :]
        idx = np.arange(eng.q2)
        M[:, idx, idx] += 1.0
    M = np.asarray(M, float)
    M[~ok] = np.eye(m)
    try:
        L = np.linalg.cholesky(M)
    except np.linalg.LinAlgError:
        L = np.zeros_like(M)
        for k in range(K):
            try:
                L[k] = np.linalg.cholesky(M[k])
            except np.linalg.LinAlgError:
                ok[k] = False
                L[k] = np.eye(m)
    dg = np.diagonal(L, axis1=1, axis2=2)
    ok &= np.all(dg[:, : eng.q2 + eng.p] > 0, axis=1)
    eng.n_eval += K
    return np.asarray(ld1, float), L, ok


def _pieces_many(eng, thetas):
    ld1, L, ok = factor_many(eng, thetas)
    dg = np.diagonal(L, axis1=1, axis2=2)
    q2, p = eng.q2, eng.p
    with np.errstate(divide="ignore", invalid="ignore"):
        ldL2 = ld1 + 2.0 * np.log(dg[:, :q2]).sum(axis=1)
        ldRX2 = 2.0 * np.log(dg[:, q2 : q2 + p]).sum(axis=1)
    r2 = np.maximum(dg[:, -1] ** 2, 1e-300)
    return ldL2, ldRX2, r2, L, ok


def profiled_many(eng, thetas) -> np.ndarray:
    """:meth:`.pls.PLSDeviance.profiled` at each row of ``thetas`` (inf where not positive
    definite)."""
    ldL2, ldRX2, r2, _, ok = _pieces_many(eng, thetas)
    if eng.reml:
        nmp = eng.n - eng.p
        out = ldL2 + ldRX2 + nmp * (1.0 + LOG2PI + np.log(r2 / nmp))
    else:
        out = ldL2 + eng.n * (1.0 + LOG2PI + np.log(r2 / eng.n))
    return np.where(ok, out, np.inf)


def state_many(eng, thetas):
    """:meth:`.pls.PLSDeviance.state` at each row of ``thetas``: (a, r2, U) stacked; raises
    ValueError if a point is not positive definite."""
    ldL2, ldRX2, r2, L, ok = _pieces_many(eng, thetas)
    if not ok.all():
        raise ValueError("a point is not positive definite")
    q2, p = eng.q2, eng.p
    inv = np.linalg.inv(L[:, q2 : q2 + p, q2 : q2 + p])
    U = np.swapaxes(inv, 1, 2) @ inv
    return ldL2 + (ldRX2 if eng.reml else 0.0), r2, U

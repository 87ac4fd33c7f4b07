"""Kenward & Roger (1997) small-sample inference for fixed effects, as pbkrtest computes it
(Halekoh & Hojsgaard 2014): the bias-adjusted covariance of the fixed effects and the
denominator df of a linear contrast.

The marginal covariance is written linearly in its parameters, ``V = sum_r gamma_r G_r``: for
each random-effect term one ``G_r = Z_t (I (x) E_ij) Z_t'`` per distinct element of the term's
covariance matrix, and ``I`` for the residual. Two computations give the same numbers (to
rounding): dense in the rows (``n x n`` matrices), used when the random effects are at least as
many as the rows (up to :data:`MAX_ROWS` rows); and through the random effects
(:func:`kr_pieces_lowrank`), used otherwise: with ``V = sigma^2 (I + Z F F' Z')`` the Woodbury
identity turns every trace and product into matrices of the size of the random effects ``Q``
(``Z'Z``, ``Z'X``) and ``n x p`` products, so memory grows with ``Q^2``, not ``n^2``; there the
limit is :data:`MAX_RANDOM` random effects, whatever the number of rows.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from ...errors import ModelError

MAX_ROWS = 4000
MAX_RANDOM = 6000


def _z_dense(block) -> np.ndarray:
    n = len(block.codes)
    Z = np.zeros((n, block.n_levels * block.q))
    cols = block.codes[:, None] * block.q + np.arange(block.q)[None, :]
    Z[np.arange(n)[:, None], cols] = block.Z
    return Z


def kr_pieces(X: np.ndarray, blocks, covs, sigma2: float, Phi: np.ndarray):
    """(adjusted covariance PhiA, list of P_r, W) for :func:`kr_df`: through the random
    effects (:func:`kr_pieces_lowrank`; the same numbers to rounding) when they are fewer than
    the rows, else dense in the rows (up to :data:`MAX_ROWS` rows)."""
    n = X.shape[0]
    n_random = sum(b.n_levels * b.q for b in blocks)
    if n_random < n or n > MAX_ROWS:
        return kr_pieces_lowrank(X, blocks, covs, sigma2, Phi)
    return _kr_pieces_dense(X, blocks, covs, sigma2, Phi)


def _kr_pieces_dense(X: np.ndarray, blocks, covs, sigma2: float, Phi: np.ndarray):
    n = X.shape[0]
    G, V = [], sigma2 * np.eye(n)
    for b, cv in zip(blocks, covs):
        Z = _z_dense(b)
        V += Z @ np.kron(np.eye(b.n_levels), cv) @ Z.T
        for i in range(b.q):
            for j in range(i + 1):
                E = np.zeros((b.q, b.q))
                E[i, j] = E[j, i] = 1.0
                Zi = Z.reshape(n, b.n_levels, b.q)
                # Z (I (x) E) Z' without forming the Kronecker product
                left = Zi @ E  # (n, levels, q)
                G.append(np.einsum("nlq,mlq->nm", left, Zi))
    G.append(np.eye(n))
    Vinv = np.linalg.inv(V)
    VX = Vinv @ X
    H = [g @ Vinv for g in G]
    HX = [h @ X for h in H]
    P = [-(o.T @ VX) for o in HX]
    k = len(G)
    Q = {}
    for r in range(k):
        for s in range(r, k):
            Q[r, s] = HX[r].T @ Vinv @ HX[s]
            Q[s, r] = Q[r, s].T
    info = np.empty((k, k))
    for r in range(k):
        PhiP = Phi @ P[r]
        for s in range(r, k):
            info[r, s] = info[s, r] = (
                np.sum(H[r].T * H[s]) - 2 * np.sum(Phi * Q[r, s]) + np.sum(PhiP * (P[s] @ Phi))
            )
    return _adjusted(Phi, P, Q, info)


def _adjusted(Phi, P, Q, info):
    """PhiA = Phi + 2 Phi U Phi (Kenward & Roger 1997, eq. 5), with W = 2 info^-1."""
    k = len(P)
    W = 2 * np.linalg.pinv(info)
    U = np.zeros_like(Phi)
    for r in range(k):
        for s in range(k):
            U += W[r, s] * (Q[r, s] - P[r] @ Phi @ P[s])
    PhiA = Phi + 2 * Phi @ U @ Phi
    return PhiA, P, W


def kr_df(L: np.ndarray, Phi: np.ndarray, P, W) -> float:
    """Kenward-Roger denominator df of the single contrast ``L @ beta`` (pbkrtest's
    ``Lb_ddf`` with q = 1)."""
    L = np.atleast_2d(L)
    q = 1
    Theta = L.T @ np.linalg.solve(L @ Phi @ L.T, L)
    TP = Theta @ Phi
    k = len(P)
    A1 = A2 = 0.0
    u = [TP @ P[i] @ Phi for i in range(k)]
    for i in range(k):
        for j in range(i, k):
            e = 1.0 if i == j else 2.0
            A1 += e * W[i, j] * np.trace(u[i]) * np.trace(u[j])
            A2 += e * W[i, j] * np.sum(u[i] * u[j].T)
    B = (A1 + 6 * A2) / (2 * q)
    g = ((q + 1) * A1 - (q + 4) * A2) / ((q + 2) * A2)
    den = 3 * q + 2 * (1 - g)
    c1, c2, c3 = g / den, (q - g) / den, (q + 2 - g) / den
    v0 = 1 + c1 * B
    v1 = 1 - c2 * B
    v2 = 1 - c3 * B
    v0 = 0.0 if abs(v0) < 1e-10 else v0
    rho = (1 / q) * ((1 - A2 / q) / v1) ** 2 * v0 / v2
    return float(4 + (q + 2) / (q * rho - 1))


def _kr_a1_a2(Theta: np.ndarray, Phi: np.ndarray, P, W) -> tuple[float, float]:
    TP = Theta @ Phi
    k = len(P)
    u = [TP @ P[i] @ Phi for i in range(k)]
    A1 = A2 = 0.0
    for i in range(k):
        for j in range(i, k):
            e = 1.0 if i == j else 2.0
            A1 += e * W[i, j] * np.trace(u[i]) * np.trace(u[j])
            A2 += e * W[i, j] * np.sum(u[i] * u[j].T)
    return float(A1), float(A2)


def kr_ftest(L: np.ndarray, Phi: np.ndarray, PhiA: np.ndarray, P, W, beta: np.ndarray):
    """Kenward-Roger F test of ``L beta = 0`` as pbkrtest's ``KRmodcomp`` computes it.

    Returns ``(F unscaled, F scaling, q, ddf)``: the Wald statistic with the adjusted covariance
    ``PhiA`` divided by ``q = rank(L)``, the scaling factor ``lambda`` (the F statistic is their
    product) and the denominator df.
    """
    L = np.atleast_2d(np.asarray(L, float))
    q = int(np.linalg.matrix_rank(L))
    Theta = L.T @ np.linalg.solve(L @ Phi @ L.T, L)
    A1, A2 = _kr_a1_a2(Theta, Phi, P, W)
    B = (A1 + 6 * A2) / (2 * q)
    g = ((q + 1) * A1 - (q + 4) * A2) / ((q + 2) * A2)
    den = 3 * q + 2 * (1 - g)
    c1, c2, c3 = g / den, (q - g) / den, (q + 2 - g) / den
    v0, v1, v2 = 1 + c1 * B, 1 - c2 * B, 1 - c3 * B
    v0 = 0.0 if abs(v0) < 1e-10 else v0
    ratio = (1 - A2 / q) / v1 if v1 != 0 else 0.0
    rho = (1 / q) * ratio**2 * v0 / v2
    ddf = 4 + (q + 2) / (q * rho - 1)
    scale = 1.0 if abs(ddf - 2) < 1e-2 else ddf * (1 - A2 / q) / (ddf - 2)
    Lb = L @ beta
    wald = float(Lb @ np.linalg.solve(L @ PhiA @ L.T, Lb))
    return wald / q, float(scale), q, float(ddf)


def _z_sparse(blocks) -> sparse.csr_matrix:
    """``Z`` of all terms (columns level-major within each term, as ``_z_dense``)."""
    parts = []
    for b in blocks:
        n = len(b.codes)
        cols = (b.codes[:, None] * b.q + np.arange(b.q)[None, :]).ravel()
        rows = np.repeat(np.arange(n), b.q)
        parts.append(sparse.csr_matrix((np.asarray(b.Z, float).ravel(), (rows, cols)),
                                       shape=(n, b.n_levels * b.q)))
    return sparse.hstack(parts, format="csr")


def kr_pieces_lowrank(X: np.ndarray, blocks, covs, sigma2: float, Phi: np.ndarray):
    """The pieces of :func:`_kr_pieces_dense` without any ``n x n`` matrix.

    ``V^-1 = sigma^-2 (I - Z F S^-1 F' Z')`` with ``F F' = D / sigma^2`` and ``S = I + F'Z'ZF``;
    then ``Z'V^-1 = sigma^-2 M Z'`` with ``M = I - Z'Z F S^-1 F'``, and every term of the
    information, ``P_r`` and ``Q_rs`` is a product of ``Z'Z``, ``Z'X``, ``M`` and the sparse
    ``E_r`` (one element of a term's covariance, repeated over its levels).
    """
    n, p = X.shape
    Z = _z_sparse(blocks)
    Qn = Z.shape[1]
    if Qn > MAX_RANDOM:
        raise ModelError(
            f"Kenward-Roger df are offered up to {MAX_RANDOM} random effects (this model has "
            f"{Qn}); use df_method='satterthwaite'."
        )
    F = np.zeros((Qn, Qn))
    offsets, o = [], 0
    for b, cv in zip(blocks, covs):
        w, v = np.linalg.eigh(np.asarray(cv, float) / sigma2)
        f = v * np.sqrt(np.clip(w, 0, None))
        for lv in range(b.n_levels):
            s0 = o + lv * b.q
            F[s0:s0 + b.q, s0:s0 + b.q] = f
        offsets.append(o)
        o += b.n_levels * b.q
    ZtZ = (Z.T @ Z).toarray()
    ZtX = np.asarray(Z.T @ X)
    S = np.eye(Qn) + F.T @ ZtZ @ F
    Sinv_Ft = np.linalg.solve(S, F.T)
    M = np.eye(Qn) - ZtZ @ F @ Sinv_Ft
    s2 = sigma2
    A = M @ ZtX / s2  # Z'V^-1 X
    B = M @ ZtZ / s2  # Z'V^-1 Z
    B = (B + B.T) / 2
    WX = (X - Z @ (F @ (Sinv_Ft @ ZtX))) / s2  # V^-1 X
    ZtWWX = M @ A / s2  # Z'V^-2 X
    ZtWWZ = M @ ZtZ @ M.T / s2**2  # Z'V^-2 Z
    XtWWX = WX.T @ WX
    WWX = (WX - Z @ (F @ (Sinv_Ft @ (Z.T @ WX)))) / s2
    XtWWWX = WX.T @ WWX
    T = Sinv_Ft @ ZtZ @ F  # tr(U) and tr(U^2) of U = Z F S^-1 F' Z'
    tr_WW = (n - 2 * np.trace(T) + np.sum(T * T.T)) / s2**2

    E_list = []  # (offset, q, levels, i, j) of each variance parameter of the random terms
    for b, off in zip(blocks, offsets):
        for i in range(b.q):
            for j in range(i + 1):
                E_list.append((off, b.q, b.n_levels, i, j))

    def apply_E(e, Mx):
        """E_r @ Mx for E_r = I_levels (x) (e_i e_j' + e_j e_i') within one term."""
        off, q, lev, i, j = e
        out = np.zeros_like(Mx)
        blk = Mx[off:off + lev * q].reshape(lev, q, -1)
        res = np.zeros_like(blk)
        res[:, i] += blk[:, j]
        if i != j:
            res[:, j] += blk[:, i]
        out[off:off + lev * q] = res.reshape(lev * q, -1)
        return out

    k = len(E_list) + 1
    EA = [apply_E(e, A) for e in E_list]  # E_r Z'V^-1 X
    EB = [apply_E(e, B) for e in E_list]  # E_r Z'V^-1 Z
    P = [-(A.T @ ea) for ea in EA] + [-XtWWX]
    Q = {}
    for r in range(k - 1):
        for s in range(r, k - 1):
            Q[r, s] = EA[r].T @ B @ EA[s]
            Q[s, r] = Q[r, s].T
        Q[r, k - 1] = EA[r].T @ ZtWWX
        Q[k - 1, r] = Q[r, k - 1].T
    Q[k - 1, k - 1] = XtWWWX
    info = np.empty((k, k))
    tr = np.empty((k, k))
    for r in range(k - 1):
        for s in range(r, k - 1):
            tr[r, s] = tr[s, r] = np.sum(EB[r].T * EB[s])
        tr[r, k - 1] = tr[k - 1, r] = np.sum(apply_E(E_list[r], ZtWWZ).diagonal())
    tr[k - 1, k - 1] = tr_WW
    for r in range(k):
        PhiP = Phi @ P[r]
        for s in range(r, k):
            info[r, s] = info[s, r] = (
                tr[r, s] - 2 * np.sum(Phi * Q[r, s]) + np.sum(PhiP * (P[s] @ Phi))
            )
    return _adjusted(Phi, P, Q, info)

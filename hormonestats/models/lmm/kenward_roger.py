"""Kenward & Roger (1997) small-sample inference for fixed effects, as pbkrtest computes it
(Halekoh & Hojsgaard 2014): the bias-adjusted covariance of the fixed effects and the
denominator df of a linear contrast.

The marginal covariance is written linearly in its parameters, ``V = sum_r gamma_r G_r``: for
each random-effect term one ``G_r = Z_t (I (x) E_ij) Z_t'`` per distinct element of the term's
covariance matrix, and ``I`` for the residual. The computation is dense in the number of rows, so
it is offered for designs of up to :data:`MAX_ROWS` rows.
"""

from __future__ import annotations

import numpy as np

from ...errors import ModelError

MAX_ROWS = 4000


def _z_dense(block) -> np.ndarray:
    n = len(block.codes)
    Z = np.zeros((n, block.n_levels * block.q))
    cols = block.codes[:, None] * block.q + np.arange(block.q)[None, :]
    Z[np.arange(n)[:, None], cols] = block.Z
    return Z


def kr_pieces(X: np.ndarray, blocks, covs, sigma2: float, Phi: np.ndarray):
    """(adjusted covariance PhiA, list of P_r, W) for :func:`kr_df`."""
    n = X.shape[0]
    if n > MAX_ROWS:
        raise ModelError(
            f"Kenward-Roger df are computed densely and offered up to {MAX_ROWS} rows (this "
            f"model has {n}); use df_method='satterthwaite'."
        )
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

"""The penalised least squares (PLS) deviance of a linear mixed model (Bates, Maechler, Bolker &
Walker 2015, J Stat Softw 67(1), section 3).

With relative covariance factor ``Lambda(theta)`` (random effects ``b = Lambda u``,
``u ~ N(0, sigma^2 I)``), the profiled deviance follows from the Cholesky factor of the augmented
cross-product matrix of ``[Z Lambda | X | y]`` with ``I`` added on the random-effect block:
``ldL2`` (log-determinant of ``Lambda' Z' Z Lambda + I``), ``ldRX2`` (of the fixed-effect block
after eliminating ``u``) and the penalised residual sum of squares ``r2`` (the last pivot squared).

Structure used for speed. The random-effect terms that share the grouping factor with the most
levels form *block 1*: ``Lambda' Z' Z Lambda + I`` is block-diagonal there (one small block per
level), so it is factored level by level in vectorised form. Everything else (terms of other
grouping factors, crossed or nested, then ``X`` and ``y``) forms the dense remainder ``W``; block 1
is eliminated from it by a Schur complement, and the remainder (``q2 + p + 1`` square) is factored
densely. A single grouping factor therefore costs ``O(levels * q1^2 * (p + 1))`` per evaluation;
crossed designs with a small second factor (plates, batches) stay almost as cheap, and nested
designs put the inner factor (most levels) in block 1. Two crossed factors that both have
thousands of levels are beyond this dense remainder (:data:`MAX_DENSE`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg, sparse

from ...errors import ModelError

LOG2PI = float(np.log(2 * np.pi))
MAX_DENSE = 5000  # random effects outside block 1, factored densely
MAX_CROSS = 60_000_000  # entries of the block-1 x remainder cross-product
MAX_OUTER = 8_000_000  # entries of the precomputed per-level products (q1 <= 2)


@dataclass
class ReBlock:
    """One random-effect term: ``codes`` (level of each row), ``Z`` columns (n x q), names."""

    group: str
    codes: np.ndarray
    n_levels: int
    Z: np.ndarray
    names: tuple
    correlated: bool = True

    @property
    def q(self) -> int:
        return self.Z.shape[1]

    @property
    def n_theta(self) -> int:
        return self.q * (self.q + 1) // 2


def _tril_colmajor(q: int):
    """Row and column indices of a lower triangle in lme4's order (column by column)."""
    rows, cols = [], []
    for c in range(q):
        for r in range(c, q):
            rows.append(r)
            cols.append(c)
    return np.array(rows, int), np.array(cols, int)


def block_lambdas(blocks, tri, theta_slices, theta) -> list[np.ndarray]:
    """Each block's relative covariance factor Lambda (lower triangle filled from ``theta``,
    column-major as lme4's); shared by the Gaussian and the generalized engine."""
    out = []
    for b, (r, c), sl in zip(blocks, tri, theta_slices):
        lam = np.zeros((b.q, b.q))
        lam[r, c] = theta[sl]
        out.append(lam)
    return out


def _block_diag_ld(mats):
    q = sum(m.shape[0] for m in mats)
    out = np.zeros((q, q), dtype=mats[0].dtype)
    o = 0
    for m in mats:
        k = m.shape[0]
        out[o : o + k, o : o + k] = m
        o += k
    return out


class PLSDeviance:
    """Cross-products once; deviance, estimates and covariances as functions of ``theta``.

    ``theta`` concatenates, term by term (in the order given), the lower triangle of each term's
    relative factor ``Lambda_t`` column by column (lme4's order).
    """

    def __init__(self, y: np.ndarray, X: np.ndarray, blocks: list[ReBlock], reml: bool = True):
        self.n, self.p = X.shape
        self.reml = reml
        self.blocks = blocks
        self.tri = [_tril_colmajor(b.q) for b in blocks]
        offs = np.cumsum([0] + [b.n_theta for b in blocks])
        self.theta_slices = [slice(offs[i], offs[i + 1]) for i in range(len(blocks))]
        self.n_theta = int(offs[-1])
        lower = []
        for r, c in self.tri:
            lower.extend(0.0 if i == j else -np.inf for i, j in zip(r, c))
        self.lower = np.array(lower)
        # block 1: all terms on the grouping factor with the most levels
        big = max(range(len(blocks)), key=lambda i: (blocks[i].n_levels, blocks[i].q))
        key = blocks[big].group
        self.b1 = [i for i, b in enumerate(blocks) if b.group == key]
        self.b2 = [i for i in range(len(blocks)) if i not in self.b1]
        codes1 = blocks[big].codes
        self.g = blocks[big].n_levels
        Z1 = np.hstack([blocks[i].Z for i in self.b1])
        self.q1 = Z1.shape[1]
        # dense remainder W0 = [Z2 | X | y], Z2 sparse (level-major within each term)
        z2_parts, self.q2_sizes = [], []
        for i in self.b2:
            b = blocks[i]
            rows = np.repeat(np.arange(self.n), b.q)
            cols = (b.codes[:, None] * b.q + np.arange(b.q)[None, :]).ravel()
            z2_parts.append(
                sparse.csr_matrix((b.Z.ravel(), (rows, cols)), shape=(self.n, b.n_levels * b.q))
            )
            self.q2_sizes.append(b.n_levels * b.q)
        self.q2 = int(sum(self.q2_sizes))
        if self.q2 and (self.q2 > MAX_DENSE or self.g * self.q1 * self.q2 > MAX_CROSS):
            raise ModelError(
                f"The random effects outside the largest grouping factor "
                f"({', '.join(blocks[i].group for i in self.b2)}) have {self.q2} levels x "
                "terms; this engine factors them densely, which is offered up to "
                f"{MAX_DENSE} (two crossed factors that both have thousands of levels are "
                "beyond it). Fit a simpler random-effects structure, or fewer levels."
            )
        if self.q2 == 0:
            Xy = np.column_stack([X, y])
            self.m = Xy.shape[1]
            self.D = Xy.T @ Xy
        else:
            W0 = sparse.hstack(
                [*z2_parts, sparse.csr_matrix(X), sparse.csr_matrix(y[:, None])], format="csr"
            )
            self.m = W0.shape[1]
            self.D = np.asarray((W0.T @ W0).todense())
        order = np.argsort(codes1, kind="stable")
        sc = codes1[order]
        starts = np.flatnonzero(np.r_[True, sc[1:] != sc[:-1]])
        Z1o = Z1[order]
        self.C1 = np.add.reduceat(Z1o[:, :, None] * Z1o[:, None, :], starts, axis=0)
        if self.q2 == 0:
            W0d = Xy[order]
            self.B = np.add.reduceat(Z1o[:, :, None] * W0d[:, None, :], starts, axis=0)
        else:
            rows = np.repeat(np.arange(self.n), self.q1)
            cols = (codes1[:, None] * self.q1 + np.arange(self.q1)[None, :]).ravel()
            Z1s = sparse.csr_matrix((Z1.ravel(), (rows, cols)), shape=(self.n, self.g * self.q1))
            self.B = np.asarray((Z1s.T @ W0).todense()).reshape(self.g, self.q1, self.m)
        self.n_eval = 0
        self.precise = False
        self._ext = None
        # q1 <= 2: the Schur complement is D - sum_g B_g' W_g B_g with W_g = Lambda A_g^-1
        # Lambda' (q1 x q1) a function of C_g, so the products of B's rows are formed once,
        # summed over the levels that share C_g (balanced designs: all of them) and each
        # evaluation costs a few operations per distinct C_g and one matrix product
        self._outer = None
        self._outer_ext = None
        scalar2 = all(blocks[i].q == 1 for i in self.b2)  # other factors: intercepts only
        if scalar2 and self.q1 <= 2 and self.g * self.q1 * self.q1 * self.m * self.m <= MAX_OUTER:
            key = self.C1.reshape(self.g, -1)
            _, self._uniq_inv = np.unique(key, axis=0, return_inverse=True)
            self._uniq_inv = self._uniq_inv.ravel()
            self._outer = self._outer_products(self.C1, self.B)

    def _outer_products(self, C1, B):
        """(C_u, n_u, P): the distinct per-level ``C_g`` (u x q1 x q1), how many levels share
        each, and for a <= b the sums over those levels of ``B_g[a]' B_g[b]`` (symmetrised,
        upper triangle flattened: u x m(m+1)/2)."""
        m = self.m
        iu = np.triu_indices(m)
        inv = self._uniq_inv
        u = int(inv.max()) + 1
        order = np.argsort(inv, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(inv[order]) != 0])
        counts = np.diff(np.r_[starts, len(inv)]).astype(float)
        reduce = u < self.g

        def per_u(A):
            return np.add.reduceat(A[order], starts, axis=0) if reduce else A[order]

        Cu = C1[order][starts]  # class k's C_g (classes in np.unique's order)
        out = []
        bounds = np.r_[starts, len(inv)]
        for a in range(self.q1):
            for b in range(a, self.q1):
                if u <= 64:  # few classes: one matrix product per class
                    P = np.empty((u, m, m), dtype=B.dtype)
                    for k in range(u):
                        rows = order[bounds[k] : bounds[k + 1]]
                        P[k] = B[rows, a, :].T @ B[rows, b, :]
                else:
                    P = per_u(B[:, a, :, None] * B[:, b, None, :])
                if a != b:
                    P = P + np.swapaxes(P, 1, 2)
                out.append(np.ascontiguousarray(P[:, iu[0], iu[1]]))
        return Cu, counts, out

    def _outer_data(self):
        if not self.precise:
            return self._outer
        if self._outer_ext is None:
            _, B, _ = self._data()
            self._outer_ext = self._outer_products(self.C1.astype(np.longdouble), B)
        return self._outer_ext

    def _factor_outer(self, theta):
        """:meth:`factor` for q1 <= 2 from the precomputed products (:mod:`.batch`)."""
        from .batch import factor_many

        ld1, L, ok = factor_many(self, np.asarray(theta, float)[None])
        return (float(ld1[0]), L[0]) if ok[0] else None

    def _data(self):
        """The cross-products, in extended precision while ``precise`` is set (derivatives for
        inference difference the deviance, and the Schur complement cancels digits)."""
        if not self.precise:
            return self.C1, self.B, self.D
        if self._ext is None:
            ld = np.longdouble
            self._ext = (self.C1.astype(ld), self.B.astype(ld), self.D.astype(ld))
        return self._ext

    # ---- Lambda ------------------------------------------------------------------------------
    def lambdas(self, theta) -> list[np.ndarray]:
        return block_lambdas(self.blocks, self.tri, self.theta_slices, theta)

    def _lam1(self, lams) -> np.ndarray:
        if len(self.b1) == 1:
            return lams[self.b1[0]]
        return _block_diag_ld([lams[i] for i in self.b1])

    def _scale_cols(self, M: np.ndarray, lams) -> np.ndarray:
        """``M @ S`` with ``S = diag(I_levels (x) Lambda_t for block-2 terms, I_p, 1)``."""
        out = M.copy()
        off = 0
        for i, size in zip(self.b2, self.q2_sizes):
            q = self.blocks[i].q
            part = M[..., off : off + size]
            shp = part.shape[:-1] + (size // q, q)
            out[..., off : off + size] = (part.reshape(shp) @ lams[i]).reshape(part.shape)
            off += size
        return out

    # ---- the factorisation ------------------------------------------------------------------
    def factor(self, theta):
        """Returns (ldL2, Lm) with Lm the lower Cholesky factor of the reduced [u2 | X | y]
        system, or None if not positive definite."""
        if self._outer is not None:
            return self._factor_outer(theta)
        C1, B, D = self._data()
        q1 = self.q1
        ext = self.precise and q1 <= 2
        lams = self.lambdas(np.asarray(theta, float))
        if ext:
            lams = [lam.astype(np.longdouble) for lam in lams]
        lam1 = self._lam1(lams)
        BS = B if self.q2 == 0 else self._scale_cols(B, lams)
        if q1 == 1:
            l1 = lam1[0, 0]
            a = l1 * l1 * C1[:, 0, 0] + 1.0
            L = np.sqrt(a)
            R = (l1 / L)[:, None] * BS[:, 0, :]
            ld1 = np.log(a).sum()
            Rflat = R
        elif q1 == 2:
            # Lambda' C Lambda and Lambda' B S in closed form (Lambda lower triangular)
            m00, m10, m11 = lam1[0, 0], lam1[1, 0], lam1[1, 1]
            c00, c01, c11 = C1[:, 0, 0], C1[:, 1, 0], C1[:, 1, 1]
            t = m00 * c01 + m10 * c11
            A00 = m00 * m00 * c00 + 2 * m00 * m10 * c01 + m10 * m10 * c11
            LB0 = m00 * BS[:, 0, :] + m10 * BS[:, 1, :]
            LB1 = m11 * BS[:, 1, :]
            a, b, c = A00 + 1.0, m11 * t, m11 * m11 * c11 + 1.0
            l00 = np.sqrt(a)
            l10 = b / l00
            d = c - l10 * l10
            if np.any(d <= 0):
                return None
            l11 = np.sqrt(d)
            r0 = LB0 / l00[:, None]
            r1 = (LB1 - l10[:, None] * r0) / l11[:, None]
            ld1 = 2.0 * (np.log(l00).sum() + np.log(l11).sum())
            Rflat = (r0, r1)
        else:
            C1, BS = C1.astype(float), BS.astype(float)
            A = np.einsum("ji,gjk,kl->gil", lam1, C1, lam1) + np.eye(q1)
            LB = np.einsum("ji,gjm->gim", lam1, BS)
            try:
                L = np.linalg.cholesky(A)
            except np.linalg.LinAlgError:
                return None
            R = np.linalg.solve(L, LB)
            ld1 = 2.0 * np.log(np.diagonal(L, axis1=1, axis2=2)).sum()
            Rflat = R.reshape(-1, self.m)
        if self.q2 and not ext:
            lams = [lam.astype(float) for lam in lams]
        DS = D if self.q2 == 0 else self._scale_cols(self._scale_cols(D, lams).T, lams)
        parts = Rflat if isinstance(Rflat, tuple) else (Rflat,)
        M = DS.copy()
        for r in parts:
            M -= r.T @ r
        if self.q2:
            M[np.arange(self.q2), np.arange(self.q2)] += 1.0
        M = np.asarray(M, float)
        ld1 = float(ld1)
        try:
            Lm = linalg.cholesky(M, lower=True, check_finite=False)
        except linalg.LinAlgError:
            return None
        self.n_eval += 1
        return ld1, Lm

    def pieces(self, theta):
        """(ldL2, ldRX2, r2, Lm) at ``theta``; None when the system is not positive definite."""
        f = self.factor(theta)
        if f is None:
            return None
        ld1, Lm = f
        dg = np.diag(Lm)
        q2, p = self.q2, self.p
        if np.any(dg[: q2 + p] <= 0):
            return None
        ldL2 = ld1 + 2.0 * np.log(dg[:q2]).sum()
        ldRX2 = 2.0 * np.log(dg[q2 : q2 + p]).sum()
        r2 = max(float(dg[-1]) ** 2, 1e-300)
        return ldL2, ldRX2, r2, Lm

    def profiled(self, theta) -> float:
        """Profiled REML criterion / ML deviance (sigma profiled out), lme4's objective."""
        pc = self.pieces(theta)
        if pc is None:
            return np.inf
        ldL2, ldRX2, r2, _ = pc
        if self.reml:
            nmp = self.n - self.p
            return float(ldL2 + ldRX2 + nmp * (1.0 + LOG2PI + np.log(r2 / nmp)))
        return float(ldL2 + self.n * (1.0 + LOG2PI + np.log(r2 / self.n)))

    def estimates(self, theta):
        """(criterion, sigma^2, beta, unscaled fixed-effect covariance) from one factorisation:
        what :meth:`profiled`, :meth:`sigma2`, :meth:`beta_and_rx` and :meth:`unscaled_cov`
        give one by one."""
        ldL2, ldRX2, r2, Lm = self.pieces(theta)
        q2, p = self.q2, self.p
        if self.reml:
            nmp = self.n - self.p
            crit = float(ldL2 + ldRX2 + nmp * (1.0 + LOG2PI + np.log(r2 / nmp)))
        else:
            crit = float(ldL2 + self.n * (1.0 + LOG2PI + np.log(r2 / self.n)))
        LXX = Lm[q2 : q2 + p, q2 : q2 + p]
        beta = linalg.solve_triangular(LXX.T, Lm[-1, q2 : q2 + p], lower=False)
        inv = linalg.solve_triangular(LXX, np.eye(p), lower=True)
        return crit, r2 / (self.n - p if self.reml else self.n), beta, inv.T @ inv

    def deviance_vp(self, varpar) -> float:
        """The deviance at (theta, sigma) without profiling (lmerTest's ``devfun_vp``)."""
        theta, sigma = varpar[:-1], varpar[-1]
        pc = self.pieces(theta)
        if pc is None or sigma <= 0:
            return np.inf
        ldL2, ldRX2, r2, _ = pc
        s2 = sigma * sigma
        dev = ldL2 + r2 / s2 + self.n * (LOG2PI + np.log(s2))
        if self.reml:
            dev += ldRX2 - self.p * (LOG2PI + np.log(s2))
        return float(dev)

    def state(self, theta):
        """(a, r2, U) at ``theta``: the log-determinant part of the deviance (``ldL2`` plus
        ``ldRX2`` under REML), the penalised residual sum of squares and the unscaled
        fixed-effect covariance ``(RX RX')^-1``."""
        ldL2, ldRX2, r2, Lm = self.pieces(theta)
        q2, p = self.q2, self.p
        inv = linalg.solve_triangular(Lm[q2 : q2 + p, q2 : q2 + p], np.eye(p), lower=True)
        return ldL2 + (ldRX2 if self.reml else 0.0), r2, inv.T @ inv

    def sigma2(self, theta) -> float:
        r2 = self.pieces(theta)[2]
        return r2 / (self.n - self.p if self.reml else self.n)

    def beta_and_rx(self, theta):
        """Fixed effects and the fixed-effect block ``RX`` (lower) of the factor at ``theta``."""
        Lm = self.pieces(theta)[3]
        q2, p = self.q2, self.p
        LXX = Lm[q2 : q2 + p, q2 : q2 + p]
        lyX = Lm[-1, q2 : q2 + p]
        beta = linalg.solve_triangular(LXX.T, lyX, lower=False)
        return beta, LXX

    def unscaled_cov(self, theta) -> np.ndarray:
        """``(RX RX')^-1``: the fixed-effect covariance divided by sigma^2."""
        LXX = self.beta_and_rx(theta)[1]
        inv = linalg.solve_triangular(LXX, np.eye(self.p), lower=True)
        return inv.T @ inv

    def covariances(self, theta, s2: float) -> list[np.ndarray]:
        """Random-effect covariance matrix of each term, ``sigma^2 Lambda_t Lambda_t'``."""
        return [s2 * lam @ lam.T for lam in self.lambdas(theta)]

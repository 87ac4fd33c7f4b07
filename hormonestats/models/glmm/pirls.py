"""The penalised system of a generalized mixed model and penalised iteratively reweighted least
squares (PIRLS) for the conditional modes (Bates, Maechler, Bolker & Walker 2015, section 3.6).

With spherical random effects ``u`` (``b = Lambda(theta) u``), linear predictor
``eta = offset + X beta + Z Lambda u`` and IRLS weights ``W``, each PIRLS step solves
``(Lambda' Z' W Z Lambda + I) u = Lambda' Z' W z`` for the working response ``z`` (with ``beta``
fixed), or the same system augmented by the unpenalised columns ``X`` (``beta`` estimated
jointly: the first stage of the optimisation). At the mode the Laplace deviance is
``-2 log p(y | u) + |u|^2 + log det(Lambda' Z' W Z Lambda + I)``.

Sparse structure, as in the Gaussian engine (:mod:`hormonestats.models.lmm.pls`): the terms of
the grouping factor with the most levels form block 1, block-diagonal with one ``q1 x q1`` block
per level, factored level by level in vectorised form; the other random effects (crossed or
nested factors) and, in the first stage, ``X`` form a dense remainder, reached by a Schur
complement. A crossed person x item design (316 x 24) thus costs a 24 x 24 factorisation.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg, sparse

from ...errors import ModelError
from ..lmm.pls import ReBlock, _tril_colmajor, block_lambdas
from .families import Family

MAX_REMAINDER = 5000  # random effects outside block 1, factored densely


class PenalisedSystem:
    """Data, design and the factorisation of the penalised system at given ``theta``.

    ``y`` holds proportions (binomial) or counts (Poisson), ``trials`` the prior weights,
    ``offset`` the known part of the linear predictor.
    """

    def __init__(self, y, X, blocks: list[ReBlock], family: Family, trials=None, offset=None):
        self.y = np.asarray(y, float)
        self.X = np.asarray(X, float)
        self.n, self.p = self.X.shape
        self.family = family
        self.trials = np.ones(self.n) if trials is None else np.asarray(trials, float)
        self.offset = np.zeros(self.n) if offset is None else np.asarray(offset, float)
        self.m2ll = family.bind(self.y, self.trials)
        self.blocks = blocks
        self.tri = [_tril_colmajor(b.q) for b in blocks]
        offs = np.cumsum([0] + [b.n_theta for b in blocks])
        self.theta_slices = [slice(offs[i], offs[i + 1]) for i in range(len(blocks))]
        # the negative binomial's log(theta) follows the variance parameters (no bound)
        self.n_extra = family.extra
        self.n_theta = int(offs[-1]) + self.n_extra
        self.lower = np.concatenate(
            [np.where(r == c, 0.0, -np.inf) for r, c in self.tri] + [np.full(self.n_extra,
                                                                           -np.inf)]
        )
        big = max(range(len(blocks)), key=lambda i: (blocks[i].n_levels, blocks[i].q))
        self.b1 = [i for i, b in enumerate(blocks) if b.group == blocks[big].group]
        self.b2 = [i for i in range(len(blocks)) if i not in self.b1]
        self.codes1 = np.asarray(blocks[big].codes)
        self.g = blocks[big].n_levels
        self.q1 = sum(blocks[i].q for i in self.b1)
        self.q2 = sum(blocks[i].q * blocks[i].n_levels for i in self.b2)
        if self.q2 > MAX_REMAINDER:
            raise ModelError(
                f"The random effects outside the largest grouping factor have {self.q2} levels x "
                f"terms; the generalized engine factors them densely, offered up to "
                f"{MAX_REMAINDER}. Fit a simpler random-effects structure, or fewer levels."
            )
        # index patterns: block-1 columns (level-major over its terms) and remainder columns
        self.col1 = self.codes1[:, None] * self.q1 + np.arange(self.q1)[None, :]  # n x q1
        cols2, off = [], 0
        for i in self.b2:
            b = blocks[i]
            cols2.append(np.asarray(b.codes)[:, None] * b.q + np.arange(b.q)[None, :] + off)
            off += b.n_levels * b.q
        self.col2 = np.hstack(cols2) if cols2 else np.empty((self.n, 0), int)  # n x m2
        m2 = self.col2.shape[1]
        self._cross_idx = [[self.col1[:, j] * self.q2 + self.col2[:, c] for c in range(m2)]
                           for j in range(self.q1)]
        self._rr_idx = {(c, d): self.col2[:, c] * self.q2 + self.col2[:, d]
                        for c in range(m2) for d in range(c + 1)}
        self.lambdas_at(np.concatenate([np.where(r == c, 1.0, 0.0) for r, c in self.tri]))

    # ---- Lambda and Z Lambda -------------------------------------------------------------
    def lambdas(self, theta) -> list[np.ndarray]:
        return block_lambdas(self.blocks, self.tri, self.theta_slices, theta)

    def lambdas_at(self, theta) -> None:
        """Set the rows of ``Z Lambda`` (block 1: n x q1, remainder: n x m2) for ``theta``."""
        theta = np.asarray(theta, float)
        self.theta = theta
        if self.n_extra and len(theta) == self.n_theta:
            self.set_family_theta(float(np.exp(np.clip(theta[-1], -20.0, 20.0))))
        lams = self.lambdas(theta)
        self.Z1L = np.hstack([self.blocks[i].Z @ lams[i] for i in self.b1])
        if self.b2:
            self.Z2L = np.hstack([self.blocks[i].Z @ lams[i] for i in self.b2])
        else:
            self.Z2L = np.empty((self.n, 0))

    def set_family_theta(self, value: float) -> None:
        """The negative binomial's shape (the likelihood is rebuilt when it changes)."""
        if value != self.family.theta:
            self.family = self.family.with_theta(value)
            self.m2ll = self.family.bind(self.y, self.trials)

    def random_part(self, u: np.ndarray) -> np.ndarray:
        """``Z Lambda u``."""
        out = (self.Z1L * u[self.col1]).sum(axis=1)
        if self.b2:
            u2 = u[self.g * self.q1 :]
            out = out + (self.Z2L * u2[self.col2]).sum(axis=1)
        return out

    # ---- one factorisation ---------------------------------------------------------------
    def factor(self, w: np.ndarray, with_x: bool):
        """Cholesky pieces of the penalised system with weights ``w`` (``with_x``: ``X`` joins
        the unknowns, unpenalised). Returns a dict used by :meth:`solve`; ``ldL2`` is the
        log-determinant of the random-effect part."""
        g, q1 = self.g, self.q1
        Zw = self.Z1L * w[:, None]
        if q1 == 1:
            a = np.bincount(self.codes1, Zw[:, 0] * self.Z1L[:, 0], minlength=g) + 1.0
            L1 = np.sqrt(a)
            ld1 = float(np.log(a).sum())
        else:
            C = np.zeros((g, q1, q1))
            for j in range(q1):
                for k in range(j + 1):
                    v = np.bincount(self.codes1, Zw[:, j] * self.Z1L[:, k], minlength=g)
                    C[:, j, k] = C[:, k, j] = v
            C[:, np.arange(q1), np.arange(q1)] += 1.0
            try:
                L1 = np.linalg.cholesky(C)
            except np.linalg.LinAlgError:
                return None
            ld1 = float(2 * np.log(np.diagonal(L1, axis1=1, axis2=2)).sum())
        # remainder R = [Z2 Lambda2 | X?]
        nR = self.q2 + (self.p if with_x else 0)
        out = {"L1": L1, "ld1": ld1, "with_x": with_x, "nR": nR}
        if nR == 0:
            out["ldL2"] = ld1
            return out
        q2, p = self.q2, self.p
        m2 = self.Z2L.shape[1]
        dense = g * q1 * nR <= 8 * self.n * q1 * (m2 + (p if with_x else 0))
        ARR = np.zeros((nR, nR))
        if q2:
            Z2w = self.Z2L * w[:, None]
            rr = np.zeros(q2 * q2)
            for (c, d), idx in self._rr_idx.items():
                v = np.bincount(idx, Z2w[:, c] * self.Z2L[:, d], minlength=q2 * q2)
                rr += v
                if c != d:
                    rr += v.reshape(q2, q2).T.ravel()
            ARR[:q2, :q2] = rr.reshape(q2, q2) + np.eye(q2)
        AX = None
        if with_x:
            Xw = self.X * w[:, None]
            AX = np.zeros((g * q1, p))
            for k in range(p):
                for j in range(q1):
                    AX[:, k] += np.bincount(self.col1[:, j], Zw[:, j] * self.X[:, k],
                                            minlength=g * q1)
                for c in range(m2):
                    ARR[:q2, q2 + k] += np.bincount(self.col2[:, c], Z2w[:, c] * self.X[:, k],
                                                    minlength=q2)
            ARR[q2:, :q2] = ARR[:q2, q2:].T
            ARR[q2:, q2:] = Xw.T @ self.X
        if dense:
            A1R = np.zeros((g * q1, nR))
            if q2:
                cross = np.zeros(g * q1 * q2)
                for j in range(q1):
                    for c in range(m2):
                        cross += np.bincount(self._cross_idx[j][c], Zw[:, j] * self.Z2L[:, c],
                                             minlength=g * q1 * q2)
                A1R[:, :q2] = cross.reshape(g * q1, q2)
            if AX is not None:
                A1R[:, q2:] = AX
            if q1 == 1:
                M = A1R / L1[:, None]
            else:
                M = np.linalg.solve(L1, A1R.reshape(g, q1, nR)).reshape(g * q1, nR)
            MtM = M.T @ M
        else:
            # few block-1 x remainder pairs (e.g. one level per observation): sparse products
            rows = np.concatenate([self.col1[:, j] for j in range(q1) for _ in range(m2)])
            cols = np.concatenate([self.col2[:, c] for _ in range(q1) for c in range(m2)])
            vals = np.concatenate([Zw[:, j] * self.Z2L[:, c] for j in range(q1)
                                   for c in range(m2)])
            A = sparse.csr_matrix((vals, (rows, cols)), shape=(g * q1, nR))
            if AX is not None:
                A = A + sparse.csr_matrix(np.hstack([np.zeros((g * q1, q2)), AX]))
            if q1 == 1:
                M = sparse.diags(1.0 / L1) @ A
            else:
                inv = np.linalg.inv(L1)  # g x q1 x q1, lower
                bi = np.repeat(np.arange(g) * q1, q1 * q1)
                ri = bi + np.tile(np.repeat(np.arange(q1), q1), g)
                ci = bi + np.tile(np.tile(np.arange(q1), q1), g)
                Linv = sparse.csr_matrix((inv.ravel(), (ri, ci)), shape=(g * q1, g * q1))
                M = Linv @ A
            M = M.tocsr()
            MtM = (M.T @ M).toarray()
        S = ARR - MtM
        try:
            LS = linalg.cholesky(S, lower=True, check_finite=False)
        except linalg.LinAlgError:
            return None
        dS = np.diag(LS)
        if np.any(dS <= 0):
            return None
        out.update(M=M, LS=LS, ldL2=ld1 + 2.0 * float(np.log(dS[: self.q2]).sum()))
        return out

    def solve(self, fac, b1: np.ndarray, bR: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Solve the factored system for right-hand sides (block 1, remainder)."""
        g, q1 = self.g, self.q1
        L1 = fac["L1"]
        if q1 == 1:
            c1 = b1 / L1
        else:
            c1 = np.linalg.solve(L1, b1.reshape(g, q1, 1)).reshape(-1)
        if fac["nR"] == 0:
            xR = np.empty(0)
        else:
            M, LS = fac["M"], fac["LS"]
            cR = linalg.solve_triangular(LS, bR - M.T @ c1, lower=True, check_finite=False)
            xR = linalg.solve_triangular(LS.T, cR, lower=False, check_finite=False)
            c1 = c1 - M @ xR
        if q1 == 1:
            x1 = c1 / L1
        else:
            x1 = np.linalg.solve(np.swapaxes(L1, 1, 2), c1.reshape(g, q1, 1)).reshape(-1)
        return x1, xR

    def rhs(self, wz: np.ndarray, with_x: bool):
        """``Lambda' Z' (W z)`` split into block 1 and remainder (plus ``X' W z``)."""
        b1 = np.zeros(self.g * self.q1)
        for j in range(self.q1):
            b1 += np.bincount(self.col1[:, j], self.Z1L[:, j] * wz, minlength=self.g * self.q1)
        parts = []
        if self.q2:
            b2 = np.zeros(self.q2)
            for c in range(self.Z2L.shape[1]):
                b2 += np.bincount(self.col2[:, c], self.Z2L[:, c] * wz, minlength=self.q2)
            parts.append(b2)
        if with_x:
            parts.append(self.X.T @ wz)
        return b1, (np.concatenate(parts) if parts else None)

    # ---- PIRLS ---------------------------------------------------------------------------
    def pirls(self, beta, u0, with_x: bool, tol: float = 1e-11, maxit: int = 60):
        """Conditional modes at the current ``theta`` (and ``beta``; with ``with_x`` beta is
        updated jointly). Returns a dict with u, beta, eta, mu, weights, ldL2, the penalised
        deviance and whether PIRLS converged."""
        fam, y, tr = self.family, self.y, self.trials
        u = np.array(u0, float)
        beta = np.array(beta, float)
        nu = self.g * self.q1

        def at(u_, b_):
            eta = self.offset + self.X @ b_ + self.random_part(u_)
            mu = fam.linkinv(eta)
            return eta, mu, float(self.m2ll(mu).sum() + u_ @ u_)

        eta, mu, pdev = at(u, beta)
        converged = False
        for _ in range(maxit):
            mu, w, res = fam.working(y, eta, tr)
            newton = None if fam.canonical else fam.newton_working(y, eta, tr)
            if newton is not None:
                w, res = newton
            fac = self.factor(w, with_x)
            if fac is None:
                break
            z = eta - self.offset + res
            if not with_x:
                z = z - self.X @ beta
            x1, xR = self.solve(fac, *self.rhs(w * z, with_x))
            if with_x:
                u_new = np.concatenate([x1, xR[: self.q2]])
                b_new = xR[self.q2 :]
            else:
                u_new = np.concatenate([x1, xR])
                b_new = beta
            du, db = u_new - u, b_new - beta
            t = 1.0
            for _h in range(30):
                e2, m2, pd2 = at(u + t * du, beta + t * db)
                if pd2 <= pdev + 1e-10 * abs(pdev):
                    break
                t /= 2
            step = t * max(np.max(np.abs(du), initial=0.0), np.max(np.abs(db), initial=0.0))
            u, beta, eta, mu, pdev = u + t * du, beta + t * db, e2, m2, pd2
            if step < tol * (1 + max(np.max(np.abs(u), initial=0.0), 1.0)):
                # the factor at the previous iterate differs by O(step): kept
                converged = True
                if newton is not None and not fam.observed_laplace:
                    # lme4: the Laplace determinant uses the Fisher weights
                    mu, w, res = fam.working(y, eta, tr)
                    fac = self.factor(w, with_x)
                break
        if fac is None:
            return None
        return {"u": u, "beta": beta, "eta": eta, "mu": mu, "w": w, "fac": fac,
                "ldL2": fac["ldL2"], "pdev": pdev, "sqrL": float(u @ u),
                "converged": converged, "n_u": nu}

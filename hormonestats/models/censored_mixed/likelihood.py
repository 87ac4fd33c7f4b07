"""The marginal likelihood of a Gaussian mixed model with a censored outcome.

Row ``j`` of group ``i`` is known to lie in ``[lo_ij, hi_ij]`` (equal limits: an observed
reading; ``-inf`` lower: below its LOD; ``+inf`` upper: above a limit). Given the group's
random effects ``b_i = L u_i`` (``u_i ~ N(0, I_q)``, ``L`` lower triangular), readings are
independent ``N(x_ij' beta + z_ij' b_i, sigma^2)``; each contributes its density (observed) or
the probability of its interval (censored), as in :mod:`hormonestats.models.censored`. The
group's marginal likelihood ``int prod_j p(y_ij | u) phi_q(u) du`` is computed by adaptive
Gauss–Hermite quadrature (Pinheiro & Bates 1995; Liu & Pierce 1994): with
``h_i(u) = -sum_j log p(y_ij | u) + u'u / 2``, its mode ``u_i`` and the Cholesky factor ``C_i``
of its Hessian there (``H_i = C_i C_i'``), nodes ``u_i + C_i^{-T} z_k`` of the product rule
``(z_k, w_k)`` for ``N(0, I_q)`` give

    log L_i = -log det C_i + log sum_k w_k exp(z_k'z_k / 2 - h_i(u_i + C_i^{-T} z_k)).

One node per dimension is the Laplace approximation. ``h_i`` is convex (the censored normal
likelihood is log-concave in its mean), so Newton's method finds the modes; all groups are
handled at once (vectorised), warm-started from the previous modes.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.special import log_ndtr

from ..glmm.quadrature import gh_rule

__all__ = ["CensoredSystem", "row_terms"]

_HALF_LOG_2PI = 0.5 * np.log(2 * np.pi)


def _log_interval(za, zb):
    """log(Phi(zb) - Phi(za)) for za < zb, accurate in either tail."""
    upper = za > 0
    a = np.where(upper, -zb, za)
    b = np.where(upper, -za, zb)
    lb, la = log_ndtr(b), log_ndtr(a)
    with np.errstate(divide="ignore", invalid="ignore"):
        return lb + np.log1p(-np.exp(la - lb))


def row_terms(mu, lo, hi, s, kinds, derivatives: bool = True):
    """Log-probability of each row and its first and second derivatives in the mean ``mu``.

    ``kinds`` holds the boolean masks ``(observed, left, right, interval)``.
    """
    obs, left, right, inter = kinds
    logp = np.empty_like(mu)
    d = np.empty_like(mu) if derivatives else None
    e = np.empty_like(mu) if derivatives else None
    s2 = s * s
    if obs.any():
        z = (lo[obs] - mu[obs]) / s
        logp[obs] = -0.5 * z * z - np.log(s) - _HALF_LOG_2PI
        if derivatives:
            d[obs] = z / s
            e[obs] = -1.0 / s2
    if left.any():
        zb = (hi[left] - mu[left]) / s
        lp = log_ndtr(zb)
        logp[left] = lp
        if derivatives:
            rb = np.exp(-0.5 * zb * zb - _HALF_LOG_2PI - lp)
            d[left] = -rb / s
            e[left] = (-zb * rb - rb * rb) / s2
    if right.any():
        za = (lo[right] - mu[right]) / s
        lp = log_ndtr(-za)
        logp[right] = lp
        if derivatives:
            ra = np.exp(-0.5 * za * za - _HALF_LOG_2PI - lp)
            d[right] = ra / s
            e[right] = (za * ra - ra * ra) / s2
    if inter.any():
        za = (lo[inter] - mu[inter]) / s
        zb = (hi[inter] - mu[inter]) / s
        lp = _log_interval(za, zb)
        logp[inter] = lp
        if derivatives:
            ra = np.exp(-0.5 * za * za - _HALF_LOG_2PI - lp)
            rb = np.exp(-0.5 * zb * zb - _HALF_LOG_2PI - lp)
            d[inter] = (ra - rb) / s
            e[inter] = (za * ra - zb * rb - (ra - rb) ** 2) / s2
    return logp, d, e


def chol_from_params(par, q):
    """Lower-triangular ``L`` from ``q`` log-diagonal then ``q(q-1)/2`` off-diagonal values."""
    L = np.zeros((q, q))
    L[np.diag_indices(q)] = np.exp(par[:q])
    if q > 1:
        L[np.tril_indices(q, -1)] = par[q:]
    return L


class CensoredSystem:
    """Data of one fit and the marginal log-likelihood as a function of the parameters
    ``theta = (beta, log sigma, log diag L, offdiag L)``."""

    def __init__(self, X, Z, codes, n_groups, lo, hi, n_agq: int = 1):
        self.X, self.Z = np.asarray(X, float), np.asarray(Z, float)
        self.codes, self.g = np.asarray(codes), int(n_groups)
        self.lo, self.hi = np.asarray(lo, float), np.asarray(hi, float)
        obs = self.lo == self.hi
        left = np.isneginf(self.lo) & ~obs
        right = np.isposinf(self.hi) & ~obs
        self.kinds = (obs, left, right, ~(obs | left | right))
        self.p, self.q = self.X.shape[1], self.Z.shape[1]
        self.n_agq = int(n_agq)
        z, w = gh_rule(self.n_agq)
        grid = np.array(list(itertools.product(range(self.n_agq), repeat=self.q)))
        self.nodes = z[grid]  # (K, q)
        self.log_w = np.log(w[grid]).sum(axis=1)
        self._u = np.zeros((self.g, self.q))
        self.n_params = self.p + 1 + self.q * (self.q + 1) // 2

    def unpack(self, theta):
        beta = theta[: self.p]
        s = float(np.exp(theta[self.p]))
        L = chol_from_params(theta[self.p + 1:], self.q)
        return beta, s, L

    def _parts(self, fixed, A, s):
        """Per-group sums that make the observed rows' part of ``h_i`` a quadratic in ``u``
        (their log-densities are Gaussian in ``u``), and the censored rows on their own."""
        obs, g, codes = self.kinds[0], self.g, self.codes
        r = self.lo[obs] - fixed[obs]
        Ao, co = A[obs], codes[obs]
        q = self.q
        s0 = np.bincount(co, r * r, minlength=g)
        s1 = np.stack([np.bincount(co, r * Ao[:, k], minlength=g) for k in range(q)], axis=1)
        s2 = np.empty((g, q, q))
        for k in range(q):
            for m in range(k + 1):
                s2[:, k, m] = s2[:, m, k] = np.bincount(co, Ao[:, k] * Ao[:, m], minlength=g)
        n_obs = np.bincount(co, minlength=g)
        const = n_obs * (np.log(s) + _HALF_LOG_2PI)
        cen = ~obs
        kinds = tuple(k[cen] for k in self.kinds)
        return {"s0": s0, "s1": s1, "s2": s2, "const": const, "s": s, "cen_codes": codes[cen],
                "cen_fixed": fixed[cen], "cen_A": A[cen], "lo": self.lo[cen],
                "hi": self.hi[cen], "kinds": kinds}

    def _h(self, u, P, derivatives: bool = False):
        """``h_i(u_i)`` for every group (and its gradient and Hessian with ``derivatives``)."""
        g, s = self.g, P["s"]
        s2u = np.einsum("gkm,gm->gk", P["s2"], u)
        quad = (P["s0"] - 2 * (P["s1"] * u).sum(axis=1) + (u * s2u).sum(axis=1)) / (2 * s * s)
        h = P["const"] + quad + 0.5 * (u * u).sum(axis=1)
        cc, cA = P["cen_codes"], P["cen_A"]
        if len(cc):
            mu = P["cen_fixed"] + np.einsum("nq,nq->n", cA, u[cc])
            logp, d, e = row_terms(mu, P["lo"], P["hi"], s, P["kinds"], derivatives)
            h = h - np.bincount(cc, logp, minlength=g)
        if not derivatives:
            return h
        q = self.q
        grad = u + (s2u - P["s1"]) / (s * s)
        H = P["s2"] / (s * s) + np.eye(q)[None]
        if len(cc):
            grad = grad - np.stack([np.bincount(cc, d * cA[:, k], minlength=g)
                                    for k in range(q)], axis=1)
            for k in range(q):
                for m in range(k + 1):
                    v = np.bincount(cc, e * cA[:, k] * cA[:, m], minlength=g)
                    H[:, k, m] -= v
                    if m != k:
                        H[:, m, k] -= v
        return h, grad, H

    def modes(self, P, tol: float = 1e-10, max_iter: int = 60):
        """Modes of every ``h_i``, the Hessians and ``h_i`` there (Newton, step halving)."""
        u = self._u.copy()
        if not np.all(np.isfinite(u)):
            u = np.zeros((self.g, self.q))
        h_old, grad, H = self._h(u, P, True)
        for _ in range(max_iter):
            if self.q == 1:
                step = grad / H[:, :, 0]
            else:
                step = np.linalg.solve(H, grad[:, :, None])[:, :, 0]
            if np.max(np.abs(step)) < tol:
                break
            t = np.ones(self.g)
            for _half in range(30):
                new = u - t[:, None] * step
                h_new = self._h(new, P)
                bad = ~(h_new <= h_old + 1e-12 * np.abs(h_old))
                if not bad.any():
                    break
                t[bad] *= 0.5
            u = new
            h_old, grad, H = self._h(u, P, True)
        self._u = u
        return u, H, h_old

    def loglik(self, theta) -> float:
        """Marginal log-likelihood at ``theta`` (adaptive quadrature, ``n_agq`` nodes per
        dimension; one node: Laplace)."""
        beta, s, L = self.unpack(np.asarray(theta, float))
        if not (np.isfinite(s) and s > 0 and np.all(np.isfinite(L))):
            return -np.inf
        P = self._parts(self.X @ beta, self.Z @ L, s)
        u, H, h0 = self.modes(P)
        if self.q == 1:
            C = np.sqrt(H)
            Cinv_T = 1.0 / C
            logdet = np.log(C[:, 0, 0])
        else:
            C = np.linalg.cholesky(H)
            logdet = np.log(np.diagonal(C, axis1=1, axis2=2)).sum(axis=1)
            Cinv_T = np.transpose(np.linalg.inv(C), (0, 2, 1))  # C^{-T}
        if self.n_agq == 1:
            return float(np.sum(-logdet - h0))
        U = u[None] + np.einsum("gqr,kr->kgq", Cinv_T, self.nodes)  # (K, g, q) nodes
        terms = (self.log_w + 0.5 * (self.nodes ** 2).sum(axis=1))[:, None] - self._h_nodes(U, P)
        m = terms.max(axis=0)
        return float(np.sum(-logdet + m + np.log(np.exp(terms - m).sum(axis=0))))

    def _h_nodes(self, U, P):
        """``h_i`` at every node of every group at once: ``U`` is (K, g, q), result (K, g)."""
        K, g, s = U.shape[0], self.g, P["s"]
        s2u = np.einsum("gkm,Kgm->Kgk", P["s2"], U)
        quad = (P["s0"][None] - 2 * (P["s1"][None] * U).sum(axis=2)
                + (U * s2u).sum(axis=2)) / (2 * s * s)
        h = P["const"][None] + quad + 0.5 * (U * U).sum(axis=2)
        cc, cA = P["cen_codes"], P["cen_A"]
        nc = len(cc)
        if nc:
            mu = P["cen_fixed"][None] + np.einsum("nq,Knq->Kn", cA, U[:, cc, :])
            kinds = tuple(np.tile(k, K) for k in P["kinds"])
            logp = row_terms(mu.ravel(), np.tile(P["lo"], K), np.tile(P["hi"], K), s, kinds,
                             derivatives=False)[0]
            idx = (cc[None] + g * np.arange(K)[:, None]).ravel()
            h = h - np.bincount(idx, logp, minlength=K * g).reshape(K, g)
        return h

    def random_effects(self, theta):
        """Conditional modes of the random effects ``b_i = L u_i`` (groups x q)."""
        beta, s, L = self.unpack(np.asarray(theta, float))
        u, _, _ = self.modes(self._parts(self.X @ beta, self.Z @ L, s))
        return u @ L.T

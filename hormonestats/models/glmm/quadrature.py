"""Adaptive Gauss–Hermite quadrature of the marginal likelihood for a model with one scalar
random effect (Pinheiro & Bates 1995; lme4's ``nAGQ``).

Group ``i``'s integral ``int p(y_i | u) phi(u) du`` is centred at the conditional mode ``u_i``
and scaled by ``1 / L_i`` with ``L_i^2`` the curvature of the penalised deviance there (the
diagonal of the factored system). With ``h_i(u) = -2 log p(y_i | u) + u^2`` and the Gauss–Hermite
rule for the standard normal (nodes ``z_k``, weights ``w_k`` summing to one),

    -2 log(integral_i) = h_i(u_i) + 2 log L_i - 2 log sum_k w_k exp(z_k^2 / 2 - (h_i(u_i + z_k / L_i) - h_i(u_i)) / 2).

One node gives the Laplace approximation.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ...errors import ModelError


@lru_cache(maxsize=16)
def gh_rule(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights (summing to one) of the ``n``-point Gauss–Hermite rule for N(0, 1)."""
    z, w = np.polynomial.hermite_e.hermegauss(n)
    return z, w / w.sum()


def check_agq(system, n_agq: int) -> None:
    """Adaptive quadrature needs exactly one random-effect term, a scalar one."""
    if n_agq < 1 or n_agq > 100 or int(n_agq) != n_agq:
        raise ModelError(f"n_agq must be a whole number from 1 to 100, got {n_agq!r}")
    if n_agq > 1 and system.family.extra:
        raise ModelError(f"n_agq = {n_agq} is not offered for the negative binomial family "
                         "(glmmTMB fits it by the Laplace approximation); use n_agq=1.")
    if n_agq > 1 and (len(system.blocks) != 1 or system.blocks[0].q != 1):
        raise ModelError(
            f"n_agq = {n_agq} (adaptive Gauss-Hermite quadrature) is offered for a model with a "
            "single scalar random effect such as (1 | subject), as in lme4; this model has "
            f"{len(system.blocks)} random-effect term(s). Use n_agq=1 (Laplace)."
        )


def agq_deviance(system, state, beta, n_agq: int) -> float:
    """``-2 log L`` by adaptive Gauss–Hermite quadrature at the modes in ``state``."""
    fam = system.family
    codes, g = system.codes1, system.g
    u = state["u"]
    L = state["fac"]["L1"]  # sqrt of the curvature per group (q1 == 1)
    zl = system.Z1L[:, 0]
    fixed = system.offset + system.X @ beta

    def h(ug):
        eta = fixed + zl * ug[codes]
        return np.bincount(codes, system.m2ll(fam.linkinv(eta)), minlength=g) + ug * ug

    h0 = h(u)
    z, w = gh_rule(int(n_agq))
    terms = np.empty((len(z), g))
    for k, zk in enumerate(z):
        terms[k] = np.log(w[k]) + 0.5 * zk * zk - 0.5 * (h(u + zk / L) - h0)
    m = terms.max(axis=0)
    logsum = m + np.log(np.exp(terms - m).sum(axis=0))
    return float(h0.sum() + 2 * np.log(L).sum() - 2 * logsum.sum())

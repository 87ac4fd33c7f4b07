"""Response distributions and link functions of the generalized mixed models.

Each family gives the inverse link, its derivative, the variance function and minus twice the
log-likelihood of every observation *with* its constants (R's ``family()$aic`` terms), so that
the Laplace deviance is lme4's ``-2 logLik``. Binomial responses are proportions ``y`` with
``trials`` as prior weights (a 0/1 response has one trial per row).

The negative binomial (``"negative_binomial"``, alias ``"nbinom2"``; glmmTMB's ``nbinom2``:
variance ``mu + mu^2 / theta``, log link) carries its shape ``theta``, estimated with the
variance parameters (on the log scale) by the fit; its Laplace approximation uses the observed
information of the conditional modes, as glmmTMB (TMB) does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from ...errors import ModelError

_EPS = np.finfo(float).eps
_INV_SQRT_2PI = 1.0 / np.sqrt(2 * np.pi)
LINKS = {"binomial": ("logit", "probit"), "poisson": ("log",), "negative_binomial": ("log",)}
ALIASES = {"nbinom2": "negative_binomial", "negbin": "negative_binomial"}


@dataclass(frozen=True)
class Family:
    """A response distribution with its link (``binomial``/``logit`` ...)."""

    name: str
    link: str
    theta: float = 1.0  # the negative binomial's shape (size); unused by the others

    @property
    def extra(self) -> int:
        """Number of distribution parameters the fit estimates beside the variances."""
        return 1 if self.name == "negative_binomial" else 0

    @property
    def observed_laplace(self) -> bool:
        """The Laplace determinant from the observed information (glmmTMB) rather than the
        Fisher weights (lme4)."""
        return self.name == "negative_binomial"

    # ---- link ----------------------------------------------------------------------------
    def linkinv(self, eta: np.ndarray) -> np.ndarray:
        if self.link == "logit":
            return np.clip(special.expit(eta), _EPS, 1 - _EPS)
        if self.link == "probit":
            return np.clip(special.ndtr(eta), _EPS, 1 - _EPS)
        return np.maximum(np.exp(np.minimum(eta, 700.0)), _EPS)

    def mu_eta(self, eta: np.ndarray) -> np.ndarray:
        if self.link == "logit":
            e = np.exp(-np.abs(eta))
            return np.maximum(e / (1 + e) ** 2, _EPS)
        if self.link == "probit":
            return np.maximum(np.exp(-0.5 * eta * eta) * _INV_SQRT_2PI, _EPS)
        return np.maximum(np.exp(np.minimum(eta, 700.0)), _EPS)

    def linkfun(self, mu):
        mu = np.asarray(mu, float)
        if self.link == "logit":
            return special.logit(mu)
        if self.link == "probit":
            return special.ndtri(mu)
        return np.log(mu)

    def variance(self, mu: np.ndarray) -> np.ndarray:
        if self.name == "negative_binomial":
            return mu + mu * mu / self.theta
        return mu * (1 - mu) if self.name == "binomial" else mu

    # ---- likelihood ----------------------------------------------------------------------
    def minus2ll(self, y: np.ndarray, mu: np.ndarray, trials: np.ndarray) -> np.ndarray:
        """``-2 log p(y | mu)`` per row, constants included (R's ``aic`` terms)."""
        return self.bind(y, trials)(mu)

    def bind(self, y: np.ndarray, trials: np.ndarray):
        """``mu -> -2 log p(y | mu)`` per row for fixed data (constants computed once)."""
        y, trials = np.asarray(y, float), np.asarray(trials, float)
        if self.name == "binomial":
            k = np.rint(y * trials)
            nk = trials - k
            const = -2 * (special.gammaln(trials + 1) - special.gammaln(k + 1)
                          - special.gammaln(nk + 1))
            return lambda mu: const - 2 * (k * np.log(mu) + nk * np.log1p(-mu))
        if self.name == "negative_binomial":
            th = self.theta
            const = -2 * (special.gammaln(y + th) - special.gammaln(th) - special.gammaln(y + 1))
            return lambda mu: const - 2 * (th * np.log(th / (th + mu))
                                           + y * np.log(mu / (th + mu)))
        const = 2 * special.gammaln(y + 1)
        return lambda mu: const - 2 * (y * np.log(mu) - mu)

    def saturated_minus2ll(self, y: np.ndarray, trials: np.ndarray) -> float:
        """``-2 log p(y | mu = y)`` summed: the constant between ``-2 logLik`` and the sum of
        deviance residuals (lme4 reports the quadrature deviance on the latter scale)."""
        y, trials = np.asarray(y, float), np.asarray(trials, float)
        if self.name == "binomial":
            k = np.rint(y * trials)
            const = special.gammaln(trials + 1) - special.gammaln(k + 1) - special.gammaln(
                trials - k + 1)
            ll = const + special.xlogy(k, y) + special.xlog1py(trials - k, -y)
        else:
            ll = special.xlogy(y, y) - y - special.gammaln(y + 1)
        return float(-2 * ll.sum())

    def working(self, y, eta, trials):
        """(mu, IRLS weights, working residual (y - mu) / mu_eta) at ``eta``."""
        mu = self.linkinv(eta)
        me = self.mu_eta(eta)
        w = trials * me * me / self.variance(mu)
        return mu, w, (y - mu) / me

    @property
    def canonical(self) -> bool:
        return self.link in ("logit", "log") and self.name != "negative_binomial"

    def newton_working(self, y, eta, trials):
        """(observed-information weights, score / weight): the Newton step of PIRLS for a
        non-canonical link (Fisher scoring converges only linearly there). None where an
        observed weight is not positive (then Fisher scoring is used)."""
        if self.name == "negative_binomial":  # log link: weights theta mu (y + theta) / (mu + theta)^2
            mu, th = self.linkinv(eta), self.theta
            wn = trials * th * mu * (y + th) / (mu + th) ** 2
            return wn, (y - mu) * (mu + th) / (mu * (y + th))
        mu = self.linkinv(eta)
        me = self.mu_eta(eta)
        v = self.variance(mu)
        d2 = -eta * me  # probit: derivative of the normal density
        score = trials * (y - mu) * me / v
        wn = trials * (me * me / v - (y - mu) * (d2 / v - me * me * (1 - 2 * mu) / (v * v)))
        if np.any(wn <= 1e-12 * trials):
            return None
        return wn, score / wn

    def describe(self) -> str:
        return f"{self.name} distribution with {self.link} link"

    def with_theta(self, theta: float) -> Family:
        return Family(self.name, self.link, float(theta))


def make_family(family: str, link: str | None = None) -> Family:
    """``"binomial"`` (logit or probit link), ``"poisson"`` or ``"negative_binomial"`` (log
    link)."""
    fam = str(family).lower()
    fam = ALIASES.get(fam, fam)
    if fam not in LINKS:
        raise ModelError(
            f"family={family!r} is not offered; use 'gaussian' (linear mixed model), "
            "'binomial' (logit or probit link), 'poisson' or 'negative_binomial' (log link)."
        )
    link = LINKS[fam][0] if link is None else str(link).lower()
    if link not in LINKS[fam]:
        raise ModelError(
            f"link={link!r} is not offered for the {fam} family; use one of {LINKS[fam]}."
        )
    return Family(fam, link)

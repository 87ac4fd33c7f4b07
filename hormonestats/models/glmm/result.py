"""The result of a generalized mixed model (:func:`hormonestats.mixed` with ``family=``) and
likelihood-ratio tests between nested fits."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...errors import ModelError
from ...results import conforms
from .._tidy import ci_from_se
from ..lmm.inference import emmeans_rows, likelihood_ratio, tidy_rows
from .intervals import profile_interval

RATIO_NAME = {"logit": "odds_ratio", "log": "rate_ratio"}


def variance_table(fit) -> pd.DataFrame:
    """``group, term, variance, sd, correlation`` of every random-effect term."""
    rows = []
    for (group, names, _, _), cov in zip(fit.blocks, fit.covs):
        sd = np.sqrt(np.diag(cov))
        for i, n in enumerate(names):
            rows.append((group, n, cov[i, i], sd[i], np.nan))
        for i in range(len(names)):
            for j in range(i):
                r = cov[i, j] / (sd[i] * sd[j]) if sd[i] > 0 and sd[j] > 0 else np.nan
                rows.append((group, f"{names[j]}~{names[i]}", cov[i, j], np.nan, r))
    return pd.DataFrame(rows, columns=["group", "term", "variance", "sd", "correlation"])


@conforms("mixed", aliases={"dropped": "excluded"})
@dataclass(frozen=True, eq=False)
class GLMMResult:
    """Result of a generalized linear mixed model (``hs.mixed(..., family=...)``).

    Attributes
    ----------
    table : DataFrame
        Fixed effects on the link scale with Wald z tests and intervals (``df`` infinite; with
        ``df_method="between-within"``, t on between-within df, :mod:`.ddf`) and, for the logit
        and log links, ``odds_ratio`` / ``rate_ratio`` with its interval.
    variance_components : DataFrame
        ``group, term, variance, sd, correlation`` of the random effects (link scale).
    distribution, link : str
        ``"binomial"`` (``"logit"``/``"probit"``), ``"poisson"`` or ``"negative_binomial"``
        (``"log"``).
    nb_theta : float or None
        The negative binomial's estimated shape (variance ``mu + mu^2 / theta``).
    deviance : float
        ``-2 log L`` by the Laplace approximation (``n_agq = 1``) or adaptive Gauss–Hermite
        quadrature; lme4's ``-2 * logLik``. ``aic``, ``bic`` from it.
    converged : bool
        True only when the checks at the solution pass (gradient, positive-definite Hessian,
        PIRLS converged).
    warnings : tuple of str
        Convergence, boundary (singular) and separation problems, in words.
    fit : GLMMFit
        The engine's fit (theta, conditional modes, covariances).
    """

    table: pd.DataFrame
    variance_components: pd.DataFrame
    fit: object
    distribution: str
    link: str
    n_agq: int
    deviance: float
    aic: float
    bic: float
    converged: bool
    singular: bool
    warnings: tuple
    n_obs: int
    n_groups: dict
    excluded: pd.DataFrame
    formula: str
    y: str
    conf_level: float = 0.95
    df_method: str = "wald"
    nb_theta: float | None = None
    _system: object = field(default=None, repr=False)
    _frame: pd.DataFrame | None = field(default=None, repr=False)
    _labels: tuple = field(default=(), repr=False)

    @property
    def log_likelihood(self) -> float:
        return -self.deviance / 2

    # ---- predictions -----------------------------------------------------------------------
    def predict(self, newdata: pd.DataFrame | None = None, type: str = "response",
                random: bool = False, offset=None) -> np.ndarray:
        """Predictions from the fixed effects (``random=False``, lme4's ``re.form = NA``) or
        with the conditional modes of the random effects for levels seen in the fit (unseen
        levels get zero). ``type`` is ``"response"`` (probabilities, rates) or ``"link"``.
        ``offset``: values on the link scale for ``newdata`` (default 0; the fitted offsets
        when ``newdata`` is None)."""
        if type not in ("response", "link"):
            raise ModelError("type must be 'response' or 'link'")
        sysm, fit = self._system, self.fit
        if newdata is None:
            eta = sysm.offset + sysm.X @ fit.beta
            frame = self._frame
        else:
            frame = newdata
            eta = fit.design.matrix(newdata) @ fit.beta
            if offset is not None:
                eta = eta + np.asarray(offset, float)
        if random:
            from ..lmm.design import _term_columns

            for (group, names, _, _), b, labels in zip(fit.blocks, fit.b, self._labels):
                cols = group.split(":")
                key = frame[cols[0]] if len(cols) == 1 else pd.MultiIndex.from_frame(
                    frame[cols].astype(str))
                pos = pd.Index(labels).get_indexer(key)
                Z = _term_columns(frame, [tuple(n.split(":")) for n in names if n != "Intercept"],
                                  "Intercept" in names, fit.design.levels)[0]
                contrib = (Z * np.where(pos[:, None] >= 0, b[np.maximum(pos, 0)], 0.0)).sum(1)
                eta = eta + contrib
        return sysm.family.linkinv(eta) if type == "response" else eta

    def emmeans(self, factor: str, type: str = "response") -> pd.DataFrame:
        """Estimated marginal means of a categorical predictor (emmeans' reference grid: other
        factors averaged with equal weights, numeric predictors at their means) on the link
        scale, or back-transformed (``type="response"``: probability or rate, its delta-method
        standard error, and the link-scale Wald interval back-transformed, as emmeans'
        ``type = "response"``)."""
        levels, Ls = emmeans_rows(self.fit, self._frame, factor)
        eta = Ls @ self.fit.beta
        se = np.sqrt(np.einsum("ij,jk,ik->i", Ls, self.fit.cov, Ls))
        lo, hi = zip(*(ci_from_se(e, s, self.conf_level, None) for e, s in zip(eta, se)))
        out = pd.DataFrame({factor: [str(v) for v in levels], "estimate": eta, "std_error": se,
                            "conf_low": lo, "conf_high": hi})
        if type == "link":
            return out
        fam = self._system.family
        name = "probability" if fam.name == "binomial" else "rate"
        return pd.DataFrame({
            factor: out[factor], name: fam.linkinv(eta), "std_error": fam.mu_eta(eta) * se,
            "conf_low": fam.linkinv(np.array(lo)), "conf_high": fam.linkinv(np.array(hi)),
        })

    def profile_intervals(self, terms=None, conf_level: float | None = None) -> pd.DataFrame:
        """Profile-likelihood intervals of fixed effects (all by default); use them where
        Wald intervals mislead (few clusters, rare outcomes, separation)."""
        names = list(self.fit.names)
        terms = names if terms is None else ([terms] if isinstance(terms, str) else list(terms))
        unknown = [t for t in terms if t not in names]
        if unknown:
            raise ModelError(f"Unknown term(s) {unknown}; terms: {', '.join(names)}")
        level = self.conf_level if conf_level is None else conf_level
        if self.fit.reml:
            raise ModelError("Profile-likelihood intervals need a maximum-likelihood fit; refit "
                             "with reml=False.")
        rows = []
        for t in terms:
            j = names.index(t)
            lo, hi = profile_interval(self._system, self.fit, j, level)
            rows.append((t, self.fit.beta[j], lo, hi))
        return pd.DataFrame(rows, columns=["term", "estimate", "conf_low", "conf_high"])

    def bootstrap(self, n: int = 1000, seed: int | None = None, execution=None,
                  conf_level: float | None = None) -> pd.DataFrame:
        """Parametric-bootstrap percentile intervals of the fixed effects, the random-effect
        SDs (and a negative binomial's theta), as lme4's ``confint(method = "boot")``: ``n``
        data sets drawn from the fitted model (new random effects), each refitted
        (:mod:`.bootstrap`). ``seed`` or ``execution`` (:class:`~hormonestats.options
        .ExecutionOptions`: seed, n_jobs, scheduler) make it reproducible; the numbers are the
        same with any number of workers. Returns ``term, estimate, boot_se, conf_low,
        conf_high, n_boot``; the draws are in ``.attrs["draws"]``, the number of refits that
        did not converge in ``.attrs["n_not_converged"]``."""
        from ...options import ExecutionOptions
        from .bootstrap import bootstrap_draws, percentile_intervals

        ex = ExecutionOptions.coerce(execution, seed=seed)
        draws = bootstrap_draws(self, n, ex)
        out = percentile_intervals(self, draws, self.conf_level if conf_level is None
                                   else conf_level)
        out.attrs["draws"] = draws
        out.attrs["n_not_converged"] = int((~draws["converged"]).sum())
        out.attrs["seed"] = ex.seed
        return out

    def figure(self):
        """The fixed effects on the response scale (odds or rate ratios) with their intervals:
        :func:`hormonestats.models.glmm.figure.fixed_effects_figure`."""
        from .figure import fixed_effects_figure

        return fixed_effects_figure(self)

    # ---- display ---------------------------------------------------------------------------
    def _display(self):
        groups = "; ".join(f"{g}: {k} levels" for g, k in self.n_groups.items())
        how = ("Laplace approximation" if self.n_agq == 1 else
               f"adaptive Gauss-Hermite quadrature, {self.n_agq} nodes")
        est = "restricted maximum likelihood" if self.fit.reml else "maximum likelihood"
        crit = "REML criterion" if self.fit.reml else "-2 log L"
        notes = [
            self.formula,
            f"{self.distribution} distribution, {self.link} link; {est} by the "
            f"{how}. n = {self.n_obs} observations ({groups}); {crit} {self.deviance:.2f}, "
            f"AIC {self.aic:.2f}." + ("" if self.nb_theta is None else
                                      f" Negative binomial shape theta {self.nb_theta:.4g} "
                                      "(variance mu + mu^2/theta)."),
            "Wald z tests." if self.df_method == "wald" else
            "Wald t tests and intervals on between-within df (Schluchter & Elashoff 1990).",
        ]
        if len(self.excluded):
            notes.append(f"{len(self.excluded)} row(s) dropped for missing values (see "
                         ".excluded).")
        notes.extend(f"WARNING: {w}" for w in self.warnings)
        title = f"Generalized linear mixed model ({self.distribution}, {self.link}): {self.y}"
        return title, [("Fixed effects", self.table),
                       ("Random effects", self.variance_components)], notes

    def _facts(self):
        return {"y": self.y, "formula": self.formula, "distribution": self.distribution,
                "link": self.link, "estimation": "restricted maximum likelihood"
                if self.fit.reml else "maximum likelihood",
                "approximation": "Laplace" if self.n_agq == 1 else
                f"adaptive Gauss-Hermite quadrature ({self.n_agq} nodes)",
                "df_method": "Wald z" if self.df_method == "wald" else "between-within",
                "n_groups": dict(self.n_groups),
                "conf_level": self.conf_level, "converged": self.converged,
                "singular": self.singular}


def result_table(fit, link: str, conf_level: float, df=None) -> pd.DataFrame:
    """The fixed-effect table: t tests and intervals on ``df`` (Wald z where ``df`` is None or
    infinite), with odds or rate ratios for the logit and log links."""
    df = np.full(len(fit.beta), np.inf) if df is None else np.asarray(df, float)
    rows = [(n, b, s, d) for n, b, s, d in zip(fit.names, fit.beta, fit.se, df)]
    table = tidy_rows(rows, conf_level)
    ratio = RATIO_NAME.get(link)
    if ratio:
        table[ratio] = np.exp(table["estimate"])
        table[f"{ratio}_low"] = np.exp(table["conf_low"])
        table[f"{ratio}_high"] = np.exp(table["conf_high"])
    return table


def glmm_lrt(smaller: GLMMResult, larger: GLMMResult) -> pd.DataFrame:
    """Likelihood-ratio test between nested generalized mixed models of the same rows, family
    and approximation. Returns ``model, n_params, deviance, chisq, df, p_value`` (a variance on
    its boundary makes the p value conservative: Self & Liang 1987)."""
    for r in (smaller, larger):
        if not isinstance(r, GLMMResult):
            raise ModelError("Both models must be generalized mixed models (family=...) to be "
                             "compared here.")
    if (smaller.distribution, smaller.link) != (larger.distribution, larger.link):
        raise ModelError("The models have different families or links; a likelihood-ratio "
                         "test needs the same distribution.")
    if smaller.n_agq != larger.n_agq:
        raise ModelError("The models were fitted with different n_agq; refit with the same.")
    return likelihood_ratio(smaller.fit, larger.fit)


def information_criteria(deviance: float, n_params: int, n: int) -> tuple[float, float]:
    return deviance + 2 * n_params, deviance + np.log(n) * n_params


__all__ = ["GLMMResult", "glmm_lrt"]

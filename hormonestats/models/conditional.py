"""Conditional process analysis: moderated mediation, PROCESS models 7, 14 and 58.

Hayes' numbering (Hayes 2018, *Introduction to Mediation, Moderation, and Conditional Process
Analysis*, 2nd ed., appendix A templates). With mediators ``M_j``, exposure ``X``, moderator
``W``, outcome ``Y`` and covariates ``C`` (entered in every equation)::

    model 7  (W moderates X -> M):  M_j = i + a1_j X + a2_j W + a3_j XW + C g
                                    Y   = i + c' X + sum_j b1_j M_j + C h
    model 14 (W moderates M -> Y):  M_j = i + a1_j X + C g
                                    Y   = i + c' X + sum_j b1_j M_j + b2 W + sum_j b3_j M_j W + C h
    model 58 (W moderates both):    M_j as in model 7, Y as in model 14

The conditional indirect effect of X through ``M_j`` at ``W = w`` is
``theta_j(w) = (a1_j + a3_j w)(b1_j + b3_j w)`` (``a3 = 0`` in model 14, ``b3 = 0`` in model 7).
In models 7 and 14 it is linear in ``w`` and its slope is the *index of moderated mediation*
(Hayes 2015): ``a3_j b1_j`` (model 7) or ``a1_j b3_j`` (model 14). In model 58 it is quadratic in
``w``, so no single index exists; PROCESS (2.16 and later) prints none for model 58 and neither
do we: compare conditional indirect effects at chosen values of ``W`` instead. The direct effect
``c'`` is not moderated in these three models.

Like PROCESS by default, nothing is centred: products are formed from the variables as given, so
the regression coefficients match PROCESS output. Conditional effects do not depend on centring.
Bootstrap as in :func:`hormonestats.mediation` (rows resampled, all resamples solved at once).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ModelError
from ..results import conforms
from . import _process as proc
from ._bootstrap import jackknife_ols
from ._families import is_binary
from ._tidy import TIDY_COLUMNS, tidy_statsmodels

__all__ = ["ConditionalProcessResult", "moderated_mediation"]

MODELS = (7, 14, 58)

PATH_COLUMNS = ["equation", "mediator", *TIDY_COLUMNS]
CONDITIONAL_COLUMNS = [
    "mediator",
    "w_value",
    "w_label",
    "estimate",
    "std_error",
    "conf_low",
    "conf_high",
    "ci_method",
]
INDEX_COLUMNS = ["mediator", "estimate", "std_error", "conf_low", "conf_high", "ci_method"]
TABLE_COLUMNS = [
    "section",
    "equation",
    "term",
    "mediator",
    "w_value",
    "w_label",
    *TIDY_COLUMNS[1:],
    "ci_method",
]


@conforms("conditional_process", aliases={"n": "n_obs"})
@dataclass(frozen=True, eq=False)
class ConditionalProcessResult:
    """Result of :func:`moderated_mediation`.

    Attributes
    ----------
    paths : DataFrame
        OLS coefficients of every equation: ``equation`` (``"mediator"`` or ``"outcome"``),
        ``mediator`` (whose equation; missing for the outcome), then the tidy columns. Product
        terms are named ``"x:w"`` / ``"m:w"`` after the variables.
    conditional_indirect : DataFrame
        ``mediator, w_value, w_label, estimate, std_error, conf_low, conf_high, ci_method``:
        the indirect effect through each mediator at each moderator value, bootstrap SE and CI.
    index : DataFrame
        Index of moderated mediation per mediator (``mediator, estimate, std_error, conf_low,
        conf_high, ci_method``); empty for model 58 (see the module notes).
    direct : DataFrame
        The direct effect ``c'`` of X on Y (not moderated in models 7, 14 and 58), tidy, OLS.
    table : DataFrame
        All of the above stacked: ``section`` (``path``, ``direct``, ``conditional_indirect``,
        ``index``), ``equation``, ``term``, ``mediator``, ``w_value``, ``w_label`` and the tidy
        columns plus ``ci_method``.
    boot_conditional : ndarray, shape (n_boot, n_mediators * n_w_values)
        Bootstrap replicates of the conditional indirect effects, in the row order of
        ``conditional_indirect``.
    fits : dict
        statsmodels results: ``"mediator:<name>"`` and ``"outcome"``.
    excluded : DataFrame
        Rows dropped for missing values, with the reason.
    """

    model: int
    paths: pd.DataFrame
    conditional_indirect: pd.DataFrame
    index: pd.DataFrame
    direct: pd.DataFrame
    table: pd.DataFrame
    boot_conditional: np.ndarray
    fits: dict
    excluded: pd.DataFrame
    n_obs: int
    n_boot: int
    seed: int | None
    x: str
    mediators: tuple[str, ...]
    y: str
    w: str
    covariates: tuple[str, ...] = ()
    ci: str = "percentile"
    conf_level: float = 0.95
    cov_type: str = "nonrobust"
    n_boot_failed: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def fit(self):
        """The outcome equation's statsmodels result."""
        return self.fits["outcome"]

    def _title(self) -> str:
        return (
            f"Moderated mediation (PROCESS model {self.model}): "
            f"{self.x} -> {', '.join(self.mediators)} -> {self.y}, moderator {self.w}"
        )

    def _tables(self) -> list[tuple[str, pd.DataFrame]]:
        tables = [
            ("Regression paths", self.paths),
            ("Direct effect", self.direct),
            ("Conditional indirect effects", self.conditional_indirect),
        ]
        if len(self.index):
            tables.append(("Index of moderated mediation", self.index))
        return tables

    def _notes(self) -> list[str]:
        return proc.process_notes(self, "; variables not centred (PROCESS default)")

    def _display(self):
        return self._title(), self._tables(), self._notes()

    def _facts(self):
        return {"y": self.y, "x": self.x, "mediators": self.mediators, "w": self.w,
                "process_model": self.model, "covariates": self.covariates,
                "n_boot": self.n_boot, "ci": self.ci, "conf_level": self.conf_level}


def _default_w_values(wcol: pd.Series) -> tuple[np.ndarray, list[str]]:
    """PROCESS defaults: the two values of a dichotomous W, else mean - 1 SD, mean, mean + 1 SD
    (SD with n - 1 in the denominator)."""
    uniq = np.unique(wcol.to_numpy())
    if uniq.size == 2:
        return uniq.astype(float), [f"{v:g}" for v in uniq]
    mean, sd = float(wcol.mean()), float(wcol.std(ddof=1))
    return np.array([mean - sd, mean, mean + sd]), ["mean - 1 SD", "mean", "mean + 1 SD"]


def moderated_mediation(
    data: pd.DataFrame,
    *,
    x: str,
    mediator: str | Sequence[str],
    y: str,
    m: str | None = None,
    model: int = 7,
    covariates: Sequence[str] = (),
    m_values: Sequence[float] | None = None,
    n_boot: int = 5000,
    ci: str = "percentile",
    conf_level: float = 0.95,
    seed: int | None = None,
    robust: str | None = None,
    w: str | None = None,
    w_values: Sequence[float] | None = None,
    cov_type: str | None = None,
) -> ConditionalProcessResult:
    """Moderated mediation: conditional indirect effects and the index of moderated mediation.

    PROCESS models 7 (``w`` moderates X -> M), 14 (``w`` moderates M -> Y) and 58 (both), with
    one mediator or several parallel mediators (Hayes 2018; Hayes 2015 for the index).

    Parameters
    ----------
    data : DataFrame
        One row per unit; used columns must be numeric. Rows with missing values are excluded
        and logged in ``result.excluded``.
    x, y, m : str
        Exposure, outcome and moderator columns (``W`` in Hayes' notation; ``w=`` is the
        deprecated old name of ``m``).
    mediator : str or list of str
        One mediator or several parallel mediators.
    model : {7, 14, 58}
        PROCESS model number.
    covariates : list of str
        Entered in every equation; non-numeric ones as treatment-coded dummies.
    m_values : list of float, optional
        Moderator values for the conditional effects. Default as PROCESS: the two values of a
        dichotomous ``w``, otherwise mean - 1 SD, mean and mean + 1 SD of the analysed rows.
    n_boot, ci, conf_level, seed, robust
        As in :func:`hormonestats.mediation` (``ci="bc"`` and ``robust="HC3"`` reproduce the
        PROCESS 2.16 defaults used in our reference output).

    Returns
    -------
    ConditionalProcessResult

    Raises
    ------
    ModelError
        Unknown model, columns missing/not numeric/used twice/without variance, too few rows.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import hormonestats as hs
    >>> rng = np.random.default_rng(3)
    >>> d = pd.DataFrame({"oxytocin": rng.normal(size=300), "empathy": rng.normal(size=300)})
    >>> d["trust"] = (0.3 + 0.3 * d["empathy"]) * d["oxytocin"] + rng.normal(size=300)
    >>> d["sent"] = 0.5 * d["trust"] + rng.normal(size=300)
    >>> res = hs.moderated_mediation(d, x="oxytocin", mediator="trust", y="sent",
    ...                              m="empathy", model=7, n_boot=300, seed=1)
    >>> res.conditional_indirect["w_label"].tolist()
    ['mean - 1 SD', 'mean', 'mean + 1 SD']
    >>> bool(res.index["conf_low"].iloc[0] > 0)
    True
    """
    mediators = proc._as_list(mediator, "mediator")
    data, covs = proc.categorical_covariates(data, proc._as_list(covariates, "covariates"))
    from ._aliases import renamed

    w = renamed("hs.moderated_mediation", "m", m, "w", w)
    w_values = renamed("hs.moderated_mediation", "m_values", m_values, "w_values", w_values)
    robust = renamed("hs.moderated_mediation", "robust", robust, "cov_type", cov_type)
    cov_type = robust or "nonrobust"
    if w is None:
        raise ModelError("hs.moderated_mediation needs m= (the moderator)")
    problems = _option_problems(n_boot, ci, conf_level, cov_type, model=model,
                                mediators=mediators, w_values=w_values)
    k = len(mediators)
    mod_a = model in (7, 58)
    mod_b = model in (14, 58)
    n_params = 1 + k + 1 + (1 + k if mod_b else 0) + len(covs)
    frame, excluded = proc._prepare(
        data,
        {"x": [x], "mediator": mediators, "y": [y], "m": [w], "covariate": covs},
        step=f"moderated mediation (model {model})",
        n_params=n_params,
        problems=problems,
    )
    n = len(frame)
    if is_binary(frame[y]):
        raise ModelError(
            f"outcome {y!r} is coded 0/1: moderated mediation fits the outcome by OLS, which "
            "would be a linear probability model; logistic conditional process models are not "
            "implemented (hs.mediation fits a 0/1 outcome by logistic regression)"
        )
    if w_values is None:
        wv, labels = _default_w_values(frame[w])
    else:
        wv = np.atleast_1d(np.asarray(w_values, dtype=float))
        labels = [f"{v:g}" for v in wv]

    # designs (not centred, as PROCESS)
    xw = f"{x}:{w}"
    mw = [f"{m}:{w}" for m in mediators]
    frame = frame.assign(**{xw: frame[x] * frame[w]})
    frame = frame.assign(**{name: frame[m] * frame[w] for name, m in zip(mw, mediators)})
    a_cols = [x, w, xw, *covs] if mod_a else [x, *covs]
    b_cols = [*mediators, x, *([w, *mw] if mod_b else []), *covs]
    Xa = proc._design(frame, a_cols)
    Xb = proc._design(frame, b_cols)
    fits = {f"mediator:{m}": proc._ols(frame[m].to_numpy(), Xa, cov_type) for m in mediators}
    fits["outcome"] = proc._ols(frame[y].to_numpy(), Xb, cov_type)

    # coefficient positions (column 0 is the intercept)
    ia1, ia3 = 1, (3 if mod_a else None)
    ib1 = 1 + np.arange(k)
    ib3 = (3 + k + np.arange(k)) if mod_b else None

    def statistics(coef_a: np.ndarray, coef_b: np.ndarray) -> np.ndarray:
        """(r, p_a, k) and (r, p_b) coefficients -> (r, k * n_w + n_index) statistics."""
        a1 = coef_a[:, ia1, :]
        a3 = coef_a[:, ia3, :] if mod_a else np.zeros_like(a1)
        b1 = coef_b[:, ib1]
        b3 = coef_b[:, ib3] if mod_b else np.zeros_like(b1)
        cond = (a1[:, :, None] + a3[:, :, None] * wv) * (b1[:, :, None] + b3[:, :, None] * wv)
        parts = [cond.reshape(len(a1), -1)]  # mediator-major, then w
        if model == 7:
            parts.append(a3 * b1)
        elif model == 14:
            parts.append(a1 * b3)
        return np.concatenate(parts, axis=1)

    coef_a_hat = np.stack([fits[f"mediator:{m}"].params.to_numpy() for m in mediators], axis=1)[
        None
    ]
    coef_b_hat = fits["outcome"].params.to_numpy()[None]
    est = statistics(coef_a_hat, coef_b_hat)[0]

    boot = statistics(*proc._bootstrap_paths(frame, a_cols, b_cols, mediators, y, n_boot, seed)[:2])
    failed = int((~np.isfinite(boot).all(axis=1)).sum())
    jack = None
    if ci == "bca":
        ym, yy = frame[mediators].to_numpy(), frame[y].to_numpy()
        jack = statistics(jackknife_ols(Xa.to_numpy(), ym), jackknife_ols(Xb.to_numpy(), yy))
    se, lo, hi = proc._boot_rows(boot, est, jack, ci, conf_level)

    paths, direct, conditional, index, table = _assemble_tables(
        fits, (est, se, lo, hi), mediators, wv, labels, x=x, model=model, ci=ci,
        conf_level=conf_level)
    n_cond = len(mediators) * len(wv)

    return ConditionalProcessResult(
        model=model,
        paths=paths,
        conditional_indirect=conditional,
        index=index,
        direct=direct,
        table=table,
        boot_conditional=boot[:, :n_cond],
        fits=fits,
        excluded=excluded,
        n_obs=n,
        x=x,
        mediators=tuple(mediators),
        y=y,
        w=w,
        covariates=tuple(covs),
        n_boot_failed=failed,
        **proc.process_settings(n_boot, seed, ci, conf_level, cov_type),
        notes=_notes(model, default_w=w_values is None and len(wv) == 3),
    )


def _option_problems(n_boot, ci, conf_level, cov_type, *, model, mediators, w_values):
    """Every problem with the options (bootstrap, model number, mediators, W values)."""
    problems = proc._check_options(n_boot, ci, conf_level, cov_type)
    if model not in MODELS:
        problems.append(f"model must be one of {', '.join(map(str, MODELS))}, got {model!r}")
    if not mediators:
        problems.append("give at least one mediator")
    if w_values is not None:
        try:
            wv = np.atleast_1d(np.asarray(w_values, dtype=float))
            if wv.ndim != 1 or not wv.size or not np.isfinite(wv).all():
                raise ValueError
        except (TypeError, ValueError):
            problems.append(f"m_values must be a list of finite numbers, got {w_values!r}")
    return problems


def _notes(model: int, *, default_w: bool) -> tuple[str, ...]:
    """The result's notes: model 58 has no index; the default W values."""
    notes = []
    if model == 58:
        notes.append(
            "Model 58: the indirect effect (a1 + a3 W)(b1 + b3 W) is quadratic in W, so there is "
            "no single index of moderated mediation (PROCESS prints none either); compare the "
            "conditional indirect effects."
        )
    if default_w:
        notes.append("W values: mean - 1 SD, mean, mean + 1 SD (PROCESS default).")
    return tuple(notes)


def _assemble_tables(fits, stats, mediators, wv, labels, *, x, model, ci, conf_level):
    """The result's tables from the fits and the bootstrap statistics ``(est, se, lo, hi)``:
    ``(paths, direct, conditional, index, table)``."""
    est, se, lo, hi = stats
    k = len(mediators)
    n_w = len(wv)
    n_cond = k * n_w
    conditional = pd.DataFrame(
        {
            "mediator": np.repeat(mediators, n_w),
            "w_value": np.tile(wv, k),
            "w_label": np.tile(np.asarray(labels, dtype=object), k),
            "estimate": est[:n_cond],
            "std_error": se[:n_cond],
            "conf_low": lo[:n_cond],
            "conf_high": hi[:n_cond],
            "ci_method": ci,
        },
        columns=CONDITIONAL_COLUMNS,
    ).astype({"mediator": "str", "w_label": "str", "ci_method": "str"})
    index = pd.DataFrame(
        {
            "mediator": mediators if model != 58 else [],
            "estimate": est[n_cond:],
            "std_error": se[n_cond:],
            "conf_low": lo[n_cond:],
            "conf_high": hi[n_cond:],
            "ci_method": ci,
        },
        columns=INDEX_COLUMNS,
    ).astype(
        {
            "mediator": "str",
            "ci_method": "str",
            "estimate": float,
            "std_error": float,
            "conf_low": float,
            "conf_high": float,
        }
    )

    path_parts = []
    for m in mediators:
        t = tidy_statsmodels(fits[f"mediator:{m}"], conf_level)
        path_parts.append(t.assign(equation="mediator", mediator=m))
    t_out = tidy_statsmodels(fits["outcome"], conf_level)
    path_parts.append(t_out.assign(equation="outcome", mediator=None))
    paths = pd.concat(path_parts, ignore_index=True)[PATH_COLUMNS]
    paths = paths.astype({"equation": "str", "mediator": "str"})
    direct = t_out.loc[t_out["term"] == x].assign(term="direct").reset_index(drop=True)

    sections = [
        paths.assign(section="path", ci_method="t"),
        direct.assign(section="direct", equation="outcome", ci_method="t"),
        conditional.assign(section="conditional_indirect", term="conditional_indirect"),
    ]
    if len(index):
        sections.append(index.assign(section="index", term="index_of_moderated_mediation"))
    table = pd.concat(sections, ignore_index=True).reindex(columns=TABLE_COLUMNS)
    table = table.astype(
        {c: "str" for c in ("section", "equation", "term", "mediator", "w_label", "ci_method")}
    )
    return paths, direct, conditional, index, table

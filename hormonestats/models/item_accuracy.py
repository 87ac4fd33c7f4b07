"""Item-level accuracy of a keyed task (RMET) by a treatment x hormone interaction: a binomial
generalized mixed model with crossed random intercepts for subjects and items.

``correct ~ x * m_c + covariates + (1 | subject) + (1 | item)`` (logit link; Baayen, Davidson
& Bates 2008; Barr et al. 2013), where ``correct`` is 1/0 per subject and item (from
:func:`hormonestats.derive.items.item_accuracy_table`) and ``x`` (the oxytocin arm) and ``m``
(log estradiol, centred at the mean of the subjects analysed, ``m_c``) are subject-level
columns of the analysis table. The interaction is reported on the log-odds scale with its odds
ratio; the simple slopes of ``m`` per level of ``x`` on the log-odds scale and, at the centre of
``m`` with the random effects at zero, on the probability scale (delta-method SEs); the
predicted accuracy over the observed range of ``m`` per level of ``x`` is the figure's data.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ModelError
from ..log import empty_log, log_rows
from ..results import conforms

__all__ = ["ItemAccuracyResult", "item_accuracy"]


@conforms("mixed")
@dataclass(frozen=True, eq=False)
class ItemAccuracyResult:
    """Result of :func:`item_accuracy`.

    Attributes
    ----------
    table : DataFrame
        Fixed effects on the log-odds scale (Wald z) with ``odds_ratio`` and its interval.
    interaction_term : str
        The ``x:m_c`` row of ``table`` that decides the claim.
    simple_slopes : DataFrame
        Per level of ``x``: the slope of ``m`` on the log-odds scale (``estimate`` ...
        ``p_value``, ``odds_ratio``), the predicted probability correct at the centre of ``m``
        (``probability``) and the slope on the probability scale there
        (``slope_probability``, ``slope_probability_se``, ``_low``, ``_high``).
    predictions : DataFrame
        ``x, m, probability, conf_low, conf_high`` over the observed range of ``m`` (fixed
        effects, random effects at zero; link-scale Wald interval back-transformed).
    variance_components : DataFrame
        Subject and item variances (log-odds scale).
    glmm : GLMMResult
        The fitted generalized mixed model.
    """

    table: pd.DataFrame = field(repr=False)
    interaction_term: str
    simple_slopes: pd.DataFrame = field(repr=False)
    predictions: pd.DataFrame = field(repr=False)
    variance_components: pd.DataFrame = field(repr=False)
    glmm: object = field(repr=False)
    y: str
    x: str
    m: str
    m_center: float
    subject: str
    item: str
    covariates: tuple[str, ...]
    n_obs: int
    n_subjects: int
    n_items: int
    conf_level: float
    excluded: pd.DataFrame = field(repr=False)

    @property
    def converged(self) -> bool:
        return bool(self.glmm.converged)

    def variance(self, group: str) -> float:
        """The random-intercept variance of ``group`` (``subject`` or ``item`` column)."""
        vc = self.variance_components
        return float(vc.loc[vc["group"] == group, "variance"].iloc[0])

    def _display(self):
        row = self.table.set_index("term").loc[self.interaction_term]
        notes = [
            self.glmm.formula,
            f"{self.m} centred at {self.m_center:.4g} (mean of the {self.n_subjects} subjects); "
            f"{self.n_obs} item responses of {self.n_subjects} subjects to {self.n_items} items.",
            f"Interaction {self.interaction_term}: {row['estimate']:.3f} log-odds, OR "
            f"{row['odds_ratio']:.2f} [{row['odds_ratio_low']:.2f}, "
            f"{row['odds_ratio_high']:.2f}], p = {row['p_value']:.3g} (Wald z).",
            f"Variances (log-odds): subject {self.variance(self.subject):.3f}, item "
            f"{self.variance(self.item):.3f}.",
        ]
        if len(self.excluded):
            notes.append(f"{len(self.excluded)} item response(s) left out (see .excluded).")
        notes.extend(f"WARNING: {w}" for w in self.glmm.warnings)
        return (f"Item-level accuracy ({self.y}): {self.x} x {self.m}, crossed subjects and "
                "items", [("Fixed effects (log-odds)", self.table),
                          (f"Simple slopes of {self.m} per {self.x}", self.simple_slopes),
                          ("Random effects", self.variance_components)], notes)

    def _facts(self):
        return {"y": self.y, "x": self.x, "m": self.m, "formula": self.glmm.formula,
                "distribution": "binomial", "link": "logit",
                "estimation": ("restricted maximum likelihood" if self.glmm.fit.reml
                               else "maximum likelihood"), "approximation": "Laplace",
                "df_method": "Wald z", "n_subjects": self.n_subjects,
                "n_items": self.n_items, "m_center": self.m_center,
                "var_subject": self.variance(self.subject), "var_item": self.variance(self.item),
                "conf_level": self.conf_level, "converged": self.converged,
                "covariates": self.covariates}


def _subject_frame(data, subject, x, m, covariates):
    missing = [c for c in (subject, x, m, *covariates) if c not in data.columns]
    if missing:
        raise ModelError(f"analysis table has no column(s) {missing}")
    bad = [c for c in (x, m) if not pd.api.types.is_numeric_dtype(data[c])]
    if bad:
        raise ModelError(f"column(s) {bad} of the analysis table must be numeric")
    frame = data[list(dict.fromkeys([subject, x, m, *covariates]))].copy()
    frame[subject] = frame[subject].astype(str)
    dup = frame[subject].duplicated(keep=False)
    if dup.any():
        raise ModelError(
            f"the analysis table has more than one row for subject(s) "
            f"{', '.join(sorted(set(frame.loc[dup, subject]))[:5])}; item-level accuracy needs "
            "one row per subject (a between-subjects table)")
    return frame


def _levels(values: pd.Series) -> list[float]:
    lv = np.sort(values.dropna().unique())
    if len(lv) <= 2:
        return [float(v) for v in lv]
    mu, sd = float(values.mean()), float(values.std())
    return [mu - sd, mu, mu + sd]


def _wald(est, se, conf_level):
    q = stats.norm.ppf(0.5 + conf_level / 2)
    return est - q * se, est + q * se, 2 * stats.norm.sf(np.abs(est / se))


def _slopes(fit, names, x, mc, x_levels, conf_level) -> pd.DataFrame:
    beta, cov = fit.beta, fit.cov
    j = {n: i for i, n in enumerate(names)}
    inter = f"{x}:{mc}"
    rows = []
    for a in x_levels:
        c = np.zeros(len(beta))
        c[j[mc]] = 1.0
        c[j[inter]] = a
        slope, se = float(c @ beta), float(np.sqrt(c @ cov @ c))
        lo, hi, p = _wald(slope, se, conf_level)
        g = np.zeros(len(beta))  # eta at the centre of m, other covariates at zero
        g[j["Intercept"]] = 1.0
        g[j[x]] = a
        eta = float(g @ beta)
        prob = 1 / (1 + np.exp(-eta))
        w = prob * (1 - prob)
        sp = w * slope
        grad = (1 - 2 * prob) * w * slope * g + w * c  # d(sp)/d(beta)
        sp_se = float(np.sqrt(grad @ cov @ grad))
        sp_lo, sp_hi, _ = _wald(sp, sp_se, conf_level)
        rows.append({x: a, "estimate": slope, "std_error": se, "statistic": slope / se,
                     "p_value": p, "conf_low": lo, "conf_high": hi, "odds_ratio": np.exp(slope),
                     "probability": prob, "slope_probability": sp, "slope_probability_se": sp_se,
                     "slope_probability_low": sp_lo, "slope_probability_high": sp_hi})
    return pd.DataFrame(rows)


def _predictions(fit, names, x, mc, x_levels, m_values, center, conf_level, n_grid=40):
    j = {n: i for i, n in enumerate(names)}
    grid = np.linspace(float(m_values.min()), float(m_values.max()), n_grid)
    q = stats.norm.ppf(0.5 + conf_level / 2)
    rows = []
    for a in x_levels:
        L = np.zeros((n_grid, len(fit.beta)))
        L[:, j["Intercept"]] = 1.0
        L[:, j[x]] = a
        L[:, j[mc]] = grid - center
        L[:, j[f"{x}:{mc}"]] = a * (grid - center)
        eta = L @ fit.beta
        se = np.sqrt(np.einsum("ij,jk,ik->i", L, fit.cov, L))
        for gv, e, s in zip(grid, eta, se):
            rows.append((a, gv, 1 / (1 + np.exp(-e)), 1 / (1 + np.exp(-(e - q * s))),
                         1 / (1 + np.exp(-(e + q * s)))))
    return pd.DataFrame(rows, columns=[x, "m", "probability", "conf_low", "conf_high"])


#: the last few fits, keyed by the model frame's content and the formula: the sensitivity
#: analysis refits the family under processing variants that often leave the hormone untouched,
#: and a fit of thousands of item responses is the slow part (the same input gives the same fit)
_FITS: OrderedDict = OrderedDict()
_FITS_KEPT = 4


def _fit_once(frame, formula, conf_level, fit, reml):
    import hashlib
    import warnings

    from .lmm.fit import MixedModelWarning

    digest = hashlib.sha1(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    digest.update("|".join(map(str, frame.columns)).encode())
    key = (digest.hexdigest(), formula, float(conf_level), bool(reml))
    if key in _FITS:
        _FITS.move_to_end(key)
        glmm = _FITS[key]
        for message in glmm.warnings:  # the same warnings as the first fit gave
            warnings.warn(message, MixedModelWarning, stacklevel=4)
        return glmm
    glmm = fit(frame, formula, "binomial", conf_level=conf_level, reml=reml)
    _FITS[key] = glmm
    while len(_FITS) > _FITS_KEPT:
        _FITS.popitem(last=False)
    return glmm


def item_accuracy(
    items: pd.DataFrame,
    data: pd.DataFrame,
    *,
    x: str,
    m: str,
    subject: str = "subject_id",
    item: str = "item",
    correct: str = "correct",
    covariates: Sequence[str] = (),
    conf_level: float = 0.95,
    reml: bool = True,
) -> ItemAccuracyResult:
    """Accuracy per item ~ ``x`` x ``m`` (centred) with crossed subject and item intercepts.

    Parameters
    ----------
    items : DataFrame
        One row per subject x item: ``subject``, ``item`` and ``correct`` (1/0, missing for an
        unanswered item); not modified.
    data : DataFrame
        The analysis table, one row per subject, with ``subject``, ``x``, ``m`` and the
        covariates; not modified.
    x : str
        The treatment (e.g. ``oxytocin_arm``, 1/0) or a continuous exposure (slopes then at its
        mean and ± 1 SD).
    m : str
        The moderating hormone on the log scale (e.g. ``log_estradiol``); centred here at the
        mean over the subjects analysed.
    subject, item, correct : str
        Columns of ``items`` (``subject`` also of ``data``).
    covariates : sequence of str
        Subject-level covariates (columns of ``data``), entered as main effects.
    conf_level : float
        Level of the Wald intervals.
    reml : bool
        Restricted likelihood (the engine's default: its Wald intervals keep their level for
        between-person effects, where maximum likelihood's run narrow); ``False`` fits by
        maximum likelihood as ``lme4::glmer`` does.

    Returns
    -------
    ItemAccuracyResult

    Examples
    --------
    >>> import hormonestats as hs
    >>> d, _ = hs.simulate_rmet_items(n_subjects=40, n_items=12, seed=3)
    >>> people = d.groupby("subject", as_index=False)[["oxytocin", "estradiol"]].first()
    >>> res = item_accuracy(d, people, x="oxytocin", m="estradiol", subject="subject")
    >>> res.interaction_term, res.n_subjects, res.n_items
    ('oxytocin:estradiol_c', 40, 12)
    """
    from .glmm.api import fit_generalized

    for c in (subject, item, correct):
        if c not in items.columns:
            raise ModelError(f"item table has no column {c!r} (expected {subject}, {item}, "
                             f"{correct})")
    covariates = tuple(covariates)
    people = _subject_frame(data, subject, x, m, covariates)
    long = items[[subject, item, correct]].copy()
    long[subject] = long[subject].astype(str)
    long[item] = long[item].astype(str)
    unknown = ~long[subject].isin(set(people[subject]))
    logs = []
    if unknown.any():
        logs.append(log_rows("item_accuracy", "items", long, unknown, "excluded",
                             "subject not in the analysis table", subject_col=subject))
    frame = long.loc[~unknown].merge(people, on=subject, how="left", validate="many_to_one")
    frame.index = long.index[~unknown]
    complete = people.dropna(subset=[x, m, *covariates])
    complete = complete.loc[complete[subject].isin(set(frame.loc[frame[correct].notna(),
                                                                 subject]))]
    if complete[x].nunique() < 2 or complete[m].nunique() < 2:
        raise ModelError(f"{x} and {m} must vary across the subjects with item responses")
    center = float(complete[m].mean())
    mc = f"{m}_c"
    frame[mc] = frame[m] - center
    rhs = " + ".join([f"{x} * {mc}", *covariates])
    formula = f"{correct} ~ {rhs} + (1 | {subject}) + (1 | {item})"
    glmm = _fit_once(frame, formula, conf_level, fit_generalized, reml)
    excluded = pd.concat([*logs, glmm.excluded], ignore_index=True) if logs else glmm.excluded
    names = list(glmm.fit.names)
    levels = _levels(complete[x])
    return ItemAccuracyResult(
        table=glmm.table.copy(), interaction_term=f"{x}:{mc}",
        simple_slopes=_slopes(glmm.fit, names, x, mc, levels, conf_level),
        predictions=_predictions(glmm.fit, names, x, mc, levels, complete[m], center,
                                 conf_level),
        variance_components=glmm.variance_components.copy(), glmm=glmm, y=correct, x=x, m=m,
        m_center=center, subject=subject, item=item, covariates=covariates,
        n_obs=int(glmm.n_obs), n_subjects=int(glmm.n_groups.get(subject, 0)),
        n_items=int(glmm.n_groups.get(item, 0)), conf_level=conf_level,
        excluded=excluded if len(excluded) else empty_log())

"""Outcomes over time in cohorts on a hormone therapy (e.g. testosterone cypionate).

``y ~ treatment * time (+ covariates) + (1 + time | subject)`` by REML (see
:mod:`hormonestats.models.mixed`): each person has their own baseline and their own rate of
change; ``treatment[level]:time`` is the difference in the average rate of change between that
group and the reference group, the usual test of a therapy effect over time. Time is used as
given, so the ``treatment[level]`` main effect is the group difference at time 0 (baseline).
Satterthwaite df as in lmerTest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError
from ..results import conforms
from .crossover import _auto_reference
from .lmm.design import drop_missing, levels_of, require_columns
from .lmm.fit import variance_components
from .lmm.inference import tidy_rows
from .lmm.model import fit_model, repeated_spec

__all__ = ["TherapyResult", "therapy_over_time"]


@conforms("therapy", aliases={"dropped": "excluded"})
@dataclass(frozen=True, eq=False)
class TherapyResult:
    """Result of :func:`therapy_over_time`.

    Attributes
    ----------
    table : DataFrame
        Fixed effects: ``Intercept``, ``<treatment>[level]`` (difference at time 0), ``<time>``
        (slope of the reference group), ``<treatment>[level]:<time>`` (difference in slopes),
        covariates.
    slopes : DataFrame
        The time slope in every treatment group (``group`` plus the tidy columns).
    variance_components : DataFrame
    agent : str or None
        The therapy agent label carried into reports.
    reference : object
        Reference treatment level.
    """

    table: pd.DataFrame
    slopes: pd.DataFrame
    variance_components: pd.DataFrame
    fit: object
    agent: str | None
    reference: object
    converged: bool
    warnings: tuple
    n_obs: int
    n_subjects: int
    reml_criterion: float
    df_method: str
    excluded: pd.DataFrame
    y: str
    time: str
    random_slopes: bool
    conf_level: float = 0.95

    def _notes(self):
        notes = [
            f"{self.n_subjects} subjects, {self.n_obs} observations; reference group "
            f"{self.reference!r}; random intercept{' and time slope' if self.random_slopes else ''} "
            "per subject.",
            f"df: {self.df_method}.",
        ]
        if self.agent:
            notes.insert(0, f"Agent: {self.agent}.")
        if len(self.excluded):
            notes.append(f"{len(self.excluded)} row(s) dropped for missing values (see .excluded).")
        notes.extend(f"WARNING: {w}" for w in self.warnings)
        return notes

    def _tables(self):
        return [
            ("Fixed effects", self.table),
            (f"Slope of {self.time} by group", self.slopes),
            ("Random effects", self.variance_components),
        ]

    def _display(self):
        return f"Therapy over time: {self.y}", self._tables(), self._notes()

    def _facts(self):
        return {"y": self.y, "time": self.time, "agent": self.agent,
                "reference": self.reference, "n_subjects": self.n_subjects,
                "random_slopes": self.random_slopes, "df_method": self.df_method,
                "conf_level": self.conf_level}


def therapy_over_time(
    data: pd.DataFrame,
    *,
    y: str,
    time: str,
    treatment: str,
    subject: str,
    covariates: Sequence[str] = (),
    agent: str | None = None,
    reference=None,
    random_slopes: bool = True,
    conf_level: float = 0.95,
) -> TherapyResult:
    """Treatment x time linear mixed model for cohorts followed on a therapy.

    Parameters
    ----------
    data : DataFrame
        Long table, one row per person and visit. Not modified.
    y : str
        Outcome.
    time : str
        Numeric time since start (e.g. months); 0 = baseline.
    treatment : str
        Group column (e.g. ``"testosterone"`` / ``"control"``), treated as categorical.
    subject : str
    covariates : sequence of str
    agent : str, optional
        Label of the agent (e.g. ``"testosterone cypionate"``), carried into the result.
    reference : optional
        Reference group; default a level named control/placebo/none/untreated if present, else
        the first level.
    random_slopes : bool
        Random time slope per subject (default) or random intercept only.
    conf_level : float

    Returns
    -------
    TherapyResult

    Examples
    --------
    >>> import numpy as np, pandas as pd, hormonestats as hs
    >>> rng = np.random.default_rng(3)
    >>> n, t = 24, np.arange(5)
    >>> grp = np.repeat(np.where(np.arange(n) < 12, "testosterone", "control"), 5)
    >>> month = np.tile(t, n)
    >>> yv = 10 + 0.4 * month * (grp == "testosterone") + rng.normal(0, 1, n).repeat(5) \\
    ...      + rng.normal(0, .5, n * 5)
    >>> df = pd.DataFrame({"id": np.repeat(np.arange(n), 5), "group": grp, "month": month,
    ...                    "y": yv})
    >>> res = hs.therapy_over_time(df, y="y", time="month", treatment="group", subject="id",
    ...                            agent="testosterone cypionate", random_slopes=False)
    >>> res.table["term"].tolist()
    ['Intercept', 'group[testosterone]', 'month', 'group[testosterone]:month']
    >>> res.agent
    'testosterone cypionate'
    """
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    require_columns(
        data,
        {
            "y": y,
            "time": time,
            "treatment": treatment,
            "subject": subject,
            "covariates": covariates,
        },
    )
    problems = []
    for c in (y, time):
        s = data[c]
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            problems.append(f"column {c!r} must be numeric (got {s.dtype})")
    if problems:
        raise DataError("Cannot fit the therapy model: " + "; ".join(problems) + ".")
    d, dropped = drop_missing(
        data, [y, time, treatment, subject, *covariates], "therapy_over_time", subject
    )
    levels = levels_of(d[treatment])
    if len(levels) < 2:
        raise DataError(
            f"Column {treatment!r} needs at least two groups to compare; found {levels}."
        )
    ref = _auto_reference(levels, reference)
    fixed = [(treatment,), (time,), (treatment, time), *[(c,) for c in covariates]]
    spec = repeated_spec(y, fixed, subject, slopes=(time,) if random_slopes else ())
    lmm, _, _ = fit_model(
        d,
        spec,
        reference={treatment: ref},
        factors=(treatment,),
        what="hs.therapy_over_time",
        subject=subject,
        checked=True,
    )
    tlev = lmm.design.levels[treatment]
    uniq = pd.unique(d[subject])
    names = list(lmm.names)
    srows = []
    for lv in tlev:
        L = np.zeros(len(names))
        L[names.index(time)] = 1.0
        if lv != ref:
            L[names.index(f"{treatment}[{lv}]:{time}")] = 1.0
        srows.append((str(lv), *lmm.contrast(L)))
    slopes = tidy_rows(srows, conf_level).rename(columns={"term": "group"})
    return TherapyResult(
        table=lmm.tidy(conf_level),
        slopes=slopes,
        variance_components=variance_components(lmm, subject),
        fit=lmm,
        agent=agent,
        reference=ref,
        converged=lmm.converged,
        warnings=lmm.messages,
        n_obs=len(d),
        n_subjects=len(uniq),
        reml_criterion=lmm.criterion,
        df_method=lmm.df_method,
        excluded=dropped,
        y=y,
        time=time,
        random_slopes=random_slopes,
        conf_level=conf_level,
    )

"""Menstrual-cycle designs: within-person hormone effects and phase contrasts.

Cycle effects are within-person effects (METHODS.md): each hormone is split into its person-mean
(between) and deviation (within) parts (Curran & Bauer 2011) and entered into its own linear mixed
model with a random intercept and, where the data support it, a random within-person slope. If
the random-slope model is singular (slope variance at zero or correlation at +-1) it is refitted
with a random intercept only and the result says so.

Phase contrasts come from ``y ~ phase (+ covariates) + (1 | subject)`` by REML: every pair of
phases, later minus earlier in phase order, with Satterthwaite df (as lmerTest/emmeans) and p
values adjusted across the pairs by Holm's (1979) step-down method by default (family-wise error;
``adjust="fdr_bh"`` for Benjamini–Hochberg). Confidence intervals are not adjusted.

Pass log-transformed hormone columns (e.g. from ``hs.log_transform``) if that is the intended
scale: the models use the columns as given.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from ..errors import DataError
from ..log import combine_logs
from ..results import conforms
from ._tidy import TIDY_COLUMNS
from .lmm.design import drop_missing, levels_of, require_columns
from .lmm.fit import MixedModelWarning
from .lmm.inference import tidy_rows
from .lmm.model import fit_model, repeated_spec
from .mixed import mixed

__all__ = ["CycleModelsResult", "cycle_models"]

#: phase names in cycle order (names used by hs.cycle_phase and common alternatives)
PHASE_ORDER = (
    "menstrual",
    "perimenstrual",
    "early_follicular",
    "follicular",
    "midfollicular",
    "late_follicular",
    "periovulatory",
    "ovulatory",
    "early_luteal",
    "luteal",
    "midluteal",
    "late_luteal",
    "premenstrual",
)
_ADJUST = {"holm": "holm", "fdr_bh": "fdr_bh", "fdr": "fdr_bh", "bonferroni": "bonferroni"}


def _phase_levels(series: pd.Series) -> list:
    levels = levels_of(series)
    if isinstance(series.dtype, pd.CategoricalDtype):
        return levels
    rank = {p: i for i, p in enumerate(PHASE_ORDER)}
    if all(str(lv).lower().replace("-", "_") in rank for lv in levels):
        return sorted(levels, key=lambda lv: rank[str(lv).lower().replace("-", "_")])
    return levels


@conforms("cycle", aliases={"dropped": "excluded"})
@dataclass(frozen=True, eq=False)
class CycleModelsResult:
    """Result of :func:`cycle_models`.

    Attributes
    ----------
    table : DataFrame
        Within- and between-person hormone effects: ``hormone, random_slope`` and the tidy
        columns, one row per hormone and part (``<hormone>_within``, ``<hormone>_between``).
    phase_contrasts : DataFrame
        ``contrast, estimate, std_error, statistic, df, p_value, p_adjusted, conf_low,
        conf_high`` for every pair of phases (later minus earlier); ``p_adjusted`` by
        :attr:`adjust`; CIs unadjusted.
    phase_table : DataFrame
        Fixed effects of the phase model (reference = first phase).
    models : dict
        hormone -> :class:`~hormonestats.models.mixed.MixedResult` (the model reported).
    fit : the engine's fit (:class:`~hormonestats.models.lmm.LMMFit`) of the phase model.
    adjust : str
    n_obs : int
        Rows analysed by the largest of the models.
    notes, warnings : tuple of str
    excluded : DataFrame
        Rows dropped (missing values) from any of the models (``dropped``: the old name).
    """

    table: pd.DataFrame
    phase_contrasts: pd.DataFrame
    phase_table: pd.DataFrame
    models: dict
    fit: object
    adjust: str
    phases: tuple
    notes: tuple
    warnings: tuple
    excluded: pd.DataFrame
    y: str
    conf_level: float = 0.95
    n_obs: int = 0

    def _notes(self):
        return [
            "Hormones person-mean centred (within = deviation from own mean; between = person "
            "mean, centred); df Satterthwaite.",
            f"Phase contrasts: p adjusted by {self.adjust} across {len(self.phase_contrasts)} "
            "pairs; CIs unadjusted.",
            *self.notes,
            *(f"WARNING: {w}" for w in self.warnings),
        ]

    def _tables(self):
        return [
            ("Hormone effects (within / between person)", self.table),
            ("Phase contrasts", self.phase_contrasts),
        ]

    def _display(self):
        return f"Cycle models: {self.y}", self._tables(), self._notes()

    def _facts(self):
        return {"y": self.y, "phases": tuple(self.phases), "adjust": self.adjust,
                "hormones": tuple(self.models), "conf_level": self.conf_level}


def _hormone_model(data, y, h, subject, covariates, random_slopes, conf_level):
    """Fit with a random slope; fall back to a random intercept if the fit is singular."""
    def fit(slopes: bool):
        return mixed(data, y=y, x=h, subject=subject, covariates=covariates,
                     random_slopes=slopes, conf_level=conf_level)

    note = None
    if random_slopes:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", MixedModelWarning)
            res = fit(True)
        boundary = [w for w in res.warnings if "Singular" in w or "Boundary" in w]
        if not boundary:
            for w in caught:  # pass on anything else unchanged
                warnings.warn(w.message, w.category, stacklevel=3)
            return res, True, None
        note = (
            f"{h}: the random-slope model was singular ({boundary[0].split(':')[0]}); "
            "refitted with a random intercept only."
        )
    res = fit(False)
    return res, False, note


def cycle_models(
    data: pd.DataFrame,
    *,
    y: str,
    hormones: Sequence[str] = ("estradiol", "progesterone"),
    subject: str = "subject_id",
    phase: str | None = "phase",
    covariates: Sequence[str] = (),
    random_slopes: bool = True,
    adjust: str = "holm",
    conf_level: float = 0.95,
) -> CycleModelsResult:
    """Within-person hormone models and phase contrasts for a cycle study.

    Parameters
    ----------
    data : DataFrame
        Analysis table, one row per person and visit (e.g. with ``cycle_day``, ``phase`` and
        continuous cycle time columns). Not modified.
    y : str
        Outcome.
    hormones : sequence of str
        Hormone columns; one model per hormone.
    subject : str
    phase : str or None
        Phase column (categorical; ordered by its categories, else by cycle order when the
        names are known, else sorted). ``None`` skips the phase contrasts. Rows without a phase
        are left out of the phase model only (and logged).
    covariates : sequence of str
    random_slopes : bool
        Try a random within-person slope for each hormone (dropped if singular).
    adjust : {"holm", "fdr_bh", "bonferroni"}
        Multiplicity adjustment across the phase pairs.
    conf_level : float

    Returns
    -------
    CycleModelsResult

    Examples
    --------
    >>> import numpy as np, pandas as pd, hormonestats as hs
    >>> rng = np.random.default_rng(2)
    >>> n, k = 20, 4
    >>> ph = np.tile(["menstrual", "follicular", "ovulatory", "luteal"], n)
    >>> e2 = rng.normal(4, .5, n).repeat(k) + np.tile([0, .6, 1.2, .7], n) + rng.normal(0, .3, n * k)
    >>> df = pd.DataFrame({"subject_id": np.repeat(np.arange(n), k), "phase": ph,
    ...                    "estradiol": e2,
    ...                    "y": 0.5 * e2 + rng.normal(0, 1, n).repeat(k) + rng.normal(0, .5, n * k)})
    >>> res = hs.cycle_models(df, y="y", hormones=["estradiol"], random_slopes=False)
    >>> res.phases
    ('menstrual', 'follicular', 'ovulatory', 'luteal')
    >>> len(res.phase_contrasts)
    6
    """
    hormones = [hormones] if isinstance(hormones, str) else list(hormones)
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    require_columns(
        data,
        {
            "y": y,
            "hormones": hormones,
            "subject": subject,
            "phase": phase,
            "covariates": covariates,
        },
    )
    if adjust not in _ADJUST:
        raise DataError(f"adjust must be one of {sorted(_ADJUST)}, got {adjust!r}")
    if not hormones and phase is None:
        raise DataError("Nothing to fit: give at least one hormone or a phase column.")
    rows, models, notes, warns, logs = [], {}, [], [], []
    for h in hormones:
        res, slope, note = _hormone_model(
            data, y, h, subject, covariates, random_slopes, conf_level
        )
        models[h] = res
        if note:
            notes.append(note)
        warns.extend(f"{h}: {w}" for w in res.warnings)
        part = res.table[res.table["term"].isin([f"{h}_within", f"{h}_between"])]
        rows.append(part.assign(hormone=h, random_slope=slope))
        logs.append(res.excluded.assign(step=f"cycle_models:{h}"))
    table = (
        pd.concat(rows, ignore_index=True)[["hormone", "random_slope", *TIDY_COLUMNS]]
        if rows
        else pd.DataFrame(columns=["hormone", "random_slope", *TIDY_COLUMNS])
    )
    contrasts = phase_table = fit = None
    levels: list = []
    n_rows = [m.n_obs for m in models.values()]
    if phase is not None:
        d, dropped = drop_missing(
            data, [y, subject, phase, *covariates], "cycle_models:phase", subject
        )
        logs.append(dropped)
        n_rows.append(len(d))
        levels = _phase_levels(d[phase])
        if len(levels) < 2:
            raise DataError(f"Column {phase!r} needs at least two phases; found {levels}.")
        lmm, _, _ = fit_model(
            d,
            repeated_spec(y, [(phase,), *[(c,) for c in covariates]], subject),
            reference={phase: levels[0]},
            order={phase: levels},
            factors=(phase,),
            what="hs.cycle_models phase model",
            subject=subject,
            checked=True,
        )
        warns.extend(f"phase model: {w}" for w in lmm.messages)
        phase_table = lmm.tidy(conf_level)
        fit = lmm
        names = list(lmm.names)
        idx = {lv: (names.index(f"{phase}[{lv}]") if i else None) for i, lv in enumerate(levels)}
        crows = []
        for j in range(1, len(levels)):
            for i in range(j):
                L = np.zeros(len(names))
                L[idx[levels[j]]] = 1.0
                if idx[levels[i]] is not None:
                    L[idx[levels[i]]] = -1.0
                crows.append((f"{levels[j]} - {levels[i]}", *lmm.contrast(L)))
        contrasts = tidy_rows(crows, conf_level).rename(columns={"term": "contrast"})
        p_adj = multipletests(contrasts["p_value"].to_numpy(), method=_ADJUST[adjust])[1]
        contrasts.insert(6, "p_adjusted", p_adj)
    else:
        contrasts = pd.DataFrame(
            columns=["contrast", *TIDY_COLUMNS[1:6], "p_adjusted", *TIDY_COLUMNS[6:]]
        )
        phase_table = pd.DataFrame(columns=TIDY_COLUMNS)
    return CycleModelsResult(
        table=table,
        phase_contrasts=contrasts,
        phase_table=phase_table,
        models=models,
        fit=fit,
        adjust=_ADJUST[adjust],
        phases=tuple(levels),
        notes=tuple(notes),
        warnings=tuple(warns),
        excluded=combine_logs(logs),
        y=y,
        conf_level=conf_level,
        n_obs=max(n_rows, default=0),
    )

"""What a whole-study run returns: :class:`AnalysisRun` (``run_analysis``) and :class:`DemoRun`.

A run is a small frozen dataclass with a named field for each thing it produced (docs/
architecture.md, rule 3), shown through the one display path
(:class:`hormonestats.display.ResultDisplay`). Runs used to be dictionaries; reading one by its
old key (``run["hypotheses_table"]``) still works for now and warns (DeprecationWarning) with
the attribute to use instead.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from ..display import ResultDisplay
from ..results import Summary

__all__ = ["AnalysisRun", "DemoRun"]

#: the columns of the hypotheses table a run's summary shows
_SHOWN = ("hypothesis", "term", "estimate", "conf_low", "conf_high", "p_value", "p_fdr",
          "agrees", "n", "status")


class _Run:
    """What both runs share: the display from ``_display()`` (title, captioned tables, notes)
    and read access by the keys of the dictionaries they used to be, with a warning."""

    #: old key -> attribute path (dots for a field of a field)
    _old_keys: Mapping[str, str] = {}

    def __getitem__(self, key: str) -> Any:
        path = self._old_keys.get(key) if isinstance(key, str) else None
        if path is None:
            raise KeyError(f"{type(self).__name__} has no entry {key!r}; it is not a "
                           f"dictionary any more: use its attributes "
                           f"({', '.join(f.name for f in fields(self))})")
        warnings.warn(f"{type(self).__name__}[{key!r}] is deprecated: use the attribute "
                      f".{path}", DeprecationWarning, stacklevel=2)
        value = self
        for name in path.split("."):
            value = getattr(value, name)
        return value

    def summary(self) -> Summary:
        """Plain-text summary: the hypotheses tested, those not applicable, the folder (and,
        for the demo, the power table)."""
        return Summary(ResultDisplay.text(*self._display()))

    def _repr_html_(self) -> str:
        return ResultDisplay.html(*self._display())


@dataclass(frozen=True, eq=False)
class AnalysisRun(_Run):
    """The result of :func:`hormonestats.workflows.pipeline.run_analysis`.

    Attributes
    ----------
    folder : Path
        The results folder written.
    validation : ValidationReport
        The study checked against its contract.
    processed : ProcessedStudy
        The processed study: ``processed.table`` is the analysis table, ``processed.log`` the
        exclusion log.
    qc : mapping of str to DataFrame
        The assay, genotype, measurement-quality and missing-data tables.
    roles : DataFrame
        The role plan: every hypothesis, applicable or not and why
        (:func:`hormonestats.workflows.roles.role_plan`).
    hypotheses : HypothesisFamilyResult
        The family of the applicable hypotheses; ``hypotheses.results`` holds each fit.
    hypotheses_table : DataFrame
        The hypotheses table as written (with the ``covariates`` each model had).
    methods : str
        The methods text.
    tables : mapping of str to DataFrame
        Every table written to the folder, by name.
    figures : mapping of str to Figure
        Every figure written to the folder, by name (closed after writing; ``savefig`` works).
    manifest : dict
        The manifest written (inputs and their hashes, parameters, seed, versions).
    imputed : ImputedStudy or None
        The imputed data sets (``impute=m``), else None.
    sensitivity : SensitivityResult or None
        The family under the other processing variants, None when nothing was tested.
    prereg : Plan or None
        The pre-registered plan the run was compared with (``run_analysis(prereg=)``).
    deviations : DataFrame or None
        The deviations from that plan, one row each (empty: none); None without a plan.
    """

    folder: Path
    validation: Any = field(repr=False)
    processed: Any = field(repr=False)
    qc: Mapping[str, pd.DataFrame] = field(repr=False)
    roles: pd.DataFrame = field(repr=False)
    hypotheses: Any = field(repr=False)
    hypotheses_table: pd.DataFrame = field(repr=False)
    methods: str = field(repr=False)
    tables: Mapping[str, pd.DataFrame] = field(repr=False)
    figures: Mapping[str, Any] = field(repr=False)
    manifest: Mapping[str, Any] = field(repr=False)
    imputed: Any = field(default=None, repr=False)
    sensitivity: Any = field(default=None, repr=False)
    prereg: Any = field(default=None, repr=False)
    deviations: pd.DataFrame | None = field(default=None, repr=False)

    _old_keys = {k: k for k in ("folder", "validation", "processed", "qc", "roles",
                                "hypotheses", "hypotheses_table", "methods", "imputed",
                                "sensitivity")}

    @property
    def fits(self) -> Mapping[str, Any]:
        """Each applicable hypothesis's model result, by hypothesis name."""
        return self.hypotheses.results

    def _display(self):
        table = self.hypotheses_table
        n_tested = int((table["status"] == "tested").sum()) if len(table) else 0
        title = f"Analysis run: {n_tested} of {len(self.roles)} hypotheses tested"
        shown = [("Hypotheses (FDR across the family)",
                  table[[c for c in _SHOWN if c in table.columns]])] if len(table) else []
        skipped = self.roles.loc[self.roles["status"] != "applicable"]
        if len(skipped):
            shown.append(("Not applicable to this study",
                          skipped[[c for c in ("hypothesis", "reason") if c in skipped]]))
        notes = [f"Results folder: {self.folder}",
                 f"{len(self.tables)} tables and {len(self.figures)} figures written"]
        if self.imputed is not None:
            notes.append("Estimates pooled over multiply imputed data sets (Rubin's rules)")
        return title, shown, notes

    def __repr__(self) -> str:
        return f"<AnalysisRun: {self._display()[0]}; results in {self.folder}>"


@dataclass(frozen=True, eq=False)
class DemoRun(_Run):
    """The result of :func:`hormonestats.workflows.demo.run_demo`.

    Attributes
    ----------
    analysis : AnalysisRun
        The canned analysis of the example study.
    power : DataFrame
        The power table of the demo's power analysis.
    within_person : MixedResult or None
        The within-person model of the cycle study (None when its data are not bundled).
    """

    analysis: AnalysisRun
    power: pd.DataFrame = field(repr=False)
    within_person: Any = field(default=None, repr=False)

    _old_keys = {**{k: f"analysis.{v}" for k, v in AnalysisRun._old_keys.items()},
                 "power": "power", "within_person": "within_person"}

    def _display(self):
        title, shown, notes = self.analysis._display()
        shown = [*shown, ("Power by sample size", self.power)]
        return "Demo. " + title, shown, notes

"""Sensitivity of the hypothesis tests to the processing decisions.

Limit-of-detection handling and outlier treatment can change hormone findings (Pollet & van der
Meij 2017). ``sensitivity`` re-runs the processing and the hypothesis family under each
combination of LOD policy and winsorising, and returns the key estimates side by side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

import pandas as pd

from ..options import ExecutionOptions, ProcessingOptions
from ..parallel import map_tasks
from ..results import conforms, empty_excluded

__all__ = ["DEFAULT_VARIANTS", "SensitivityResult", "sensitivity"]

#: (label, process options): the analysis as planned, then the alternatives a reviewer asks for.
DEFAULT_VARIANTS: tuple[tuple[str, dict], ...] = (
    ("LOD/sqrt(2)", {"lod_policy": "lod/sqrt2"}),
    ("LOD/2", {"lod_policy": "lod/2"}),
    ("below-LOD readings excluded", {"lod_policy": "flag"}),
    ("LOD/sqrt(2), winsorised at 3 SD (log scale)", {"lod_policy": "lod/sqrt2",
                                                     "outliers": "winsorize",
                                                     "winsorize_k": 3.0}),
)


@conforms("sensitivity")
@dataclass(frozen=True)
class SensitivityResult:
    """Result of :func:`sensitivity`.

    Attributes
    ----------
    table : DataFrame
        One row per variant and hypothesis: ``variant, hypothesis, term, estimate, conf_low,
        conf_high, p_value, p_fdr, agrees, n, status``.
    variants : tuple of (str, dict)
        Each variant's label and its processing options (all of them, defaults filled in).
    n_obs : int
        Rows of the analysis table under the first (planned) variant.
    excluded : DataFrame
        Empty: each variant's processing log is its own (``n`` per row).
    """

    table: pd.DataFrame = field(repr=False)
    variants: tuple
    seed: int | None
    n_obs: int = 0
    excluded: pd.DataFrame = field(default_factory=empty_excluded, repr=False)

    def _display(self):
        labels = [label for label, _ in self.variants]
        notes = [f"Planned analysis: {labels[0]}; alternatives: {', '.join(labels[1:])}."
                 if len(labels) > 1 else f"One variant: {labels[0]}."]
        return "Sensitivity to processing choices", [("", self.table)], notes

    def _facts(self):
        return {"variants": [label for label, _ in self.variants], "seed": self.seed,
                "hypotheses": list(dict.fromkeys(self.table["hypothesis"]))}


def sensitivity(
    study,
    *,
    mapping: Mapping[str, str],
    hypotheses: Sequence[str] | None = None,
    variants: Sequence[tuple[str, Mapping | ProcessingOptions]] = DEFAULT_VARIANTS,
    covariates: Sequence[str] = (),
    n_boot: int = 2000,
    execution: ExecutionOptions | Mapping | None = None,
    seed: int | None = None,
    n_jobs: int | None = None,
    scheduler=None,
    base: ProcessingOptions | Mapping | None = None,
    planned: tuple[ProcessingOptions, pd.DataFrame, int] | None = None,
) -> SensitivityResult:
    """Key estimate of each hypothesis under each processing variant.

    Parameters
    ----------
    study : Study
    mapping : role -> column, as for :func:`hormonestats.test_hypotheses`. With winsorising,
        hormone columns ``log_<analyte>`` are replaced by their winsorised versions.
    hypotheses : names from ``hs.hypotheses`` (None: all that the mapping supports).
    variants : (label, processing options) pairs: a
        :class:`~hormonestats.options.ProcessingOptions` or a mapping of its fields (the
        others keep their defaults). The first is the planned analysis.
    n_boot : bootstrap resamples of the mediation hypotheses.
    execution : :class:`~hormonestats.options.ExecutionOptions`, optional
        Seed and where the variants run (local processes, or a Dask scheduler address, client
        or cluster; see :func:`hormonestats.parallel.map_tasks`); one task per variant, the
        same table wherever they run. The seed seeds the mediation bootstraps, the same in
        every variant.
    seed, n_jobs, scheduler : the same as keywords (they override ``execution``).
    base : processing options every variant starts from (the main analysis's), each variant's
        own options on top.
    planned : ``(options, family_table, n_obs)`` of the main analysis: its processing options,
        hypothesis family table and analysis-table rows. A variant processed with those
        options is not re-run: its rows are the main analysis's, so the same specification
        shows the same numbers wherever it is reported (one fit, reused).

    Returns
    -------
    SensitivityResult

    Examples
    --------
    >>> import hormonestats as hs
    >>> from hormonestats.workflows.pipeline import DEFAULT_MAPPING
    >>> res = hs.sensitivity(hs.read_dataset("example_study"), mapping=DEFAULT_MAPPING,
    ...                      hypotheses=["progesterone_anxiety"], seed=1)
    >>> res.table["variant"].nunique()
    4
    """
    ex = ExecutionOptions.coerce(execution, seed=seed, n_jobs=n_jobs, scheduler=scheduler)
    start = ProcessingOptions.coerce(base).as_dict()
    checked = tuple((label, ProcessingOptions.coerce({**start, **_as_dict(options)}))
                    for label, options in variants)
    reused: dict = {}
    if planned is not None:
        options, family_table, n_rows = planned
        same = next((label for label, o in checked if o == ProcessingOptions.coerce(options)),
                    None)
        if same is not None:
            reused[same] = (_key_rows(family_table).assign(variant=same), n_rows)
    todo = [v for v in checked if v[0] not in reused]
    run = partial(_variant, study, dict(mapping), hypotheses, tuple(covariates), ex.seed, n_boot)
    ran = map_tasks(run, todo, seed=ex.seed, n_jobs=ex.n_jobs, scheduler=ex.scheduler,
                    batch_size=1, label="sensitivity") if todo else []
    done = {**dict(zip([label for label, _ in todo], ran, strict=True)), **reused}
    parts = [done[label] for label, _ in checked]
    out = pd.concat([part for part, _ in parts], ignore_index=True)
    table = out[["variant", *[c for c in out.columns if c != "variant"]]]
    return SensitivityResult(
        table=table, variants=tuple((label, o.as_dict()) for label, o in checked),
        seed=ex.seed, n_obs=int(parts[0][1]) if parts else 0)


def _variant(study, mapping, hypotheses, covariates, seed, n_boot, variant, _seed_seq):
    """One processing variant: process the study, test the hypotheses, keep the key rows.
    (The mediation bootstrap uses the user's ``seed`` in every variant, not ``_seed_seq``,
    so that the variants differ only by their processing.)"""
    from ..derive.items import study_item_table
    from ..derive.processing import process_study
    from ..models.hypotheses import test_hypotheses

    label, options = variant
    table = process_study(study, options=options).table
    cols = dict(mapping)
    if options.outliers == "winsorize":
        cols = {role: (f"{c}_wins" if f"{c}_wins" in table.columns else c)
                for role, c in cols.items()}
    usable = {k: v for k, v in cols.items() if v in table.columns}
    items = study_item_table(study)  # item-level hypotheses: the same keyed responses
    family = test_hypotheses(table, mapping=usable, hypotheses=hypotheses,
                             covariates=covariates, seed=seed, n_boot=n_boot,
                             items=None if items is None else items.data)
    return _key_rows(family.table).assign(variant=label), len(table)


def _key_rows(table: pd.DataFrame) -> pd.DataFrame:
    return table[["hypothesis", "term", "estimate", "conf_low", "conf_high", "p_value",
                  "p_fdr", "agrees", "n", "status"]]


def _as_dict(options) -> dict:
    return options.as_dict() if isinstance(options, ProcessingOptions) else dict(options)

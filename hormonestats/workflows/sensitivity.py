"""Sensitivity of the hypothesis tests to the processing decisions.

Limit-of-detection handling and outlier treatment can change hormone findings (Pollet & van der
Meij 2017). ``sensitivity`` re-runs the processing and the hypothesis family under each
combination of LOD policy and winsorising, and returns the key estimates side by side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial

import pandas as pd

from ..parallel import map_tasks

__all__ = ["DEFAULT_VARIANTS", "sensitivity"]

#: (label, process options): the analysis as planned, then the alternatives a reviewer asks for.
DEFAULT_VARIANTS: tuple[tuple[str, dict], ...] = (
    ("LOD/sqrt(2)", {"lod_policy": "lod/sqrt2"}),
    ("LOD/2", {"lod_policy": "lod/2"}),
    ("below-LOD readings excluded", {"lod_policy": "flag"}),
    ("LOD/sqrt(2), winsorised at 3 SD (log scale)", {"lod_policy": "lod/sqrt2",
                                                     "winsorize_k": 3.0}),
)


def sensitivity(
    study,
    *,
    mapping: Mapping[str, str],
    hypotheses: Sequence[str] | None = None,
    variants: Sequence[tuple[str, dict]] = DEFAULT_VARIANTS,
    covariates: Sequence[str] = (),
    seed: int | None = None,
    n_boot: int = 2000,
    n_jobs: int = 1,
    scheduler=None,
    base_options: Mapping | None = None,
    planned: tuple[Mapping, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Key estimate of each hypothesis under each processing variant.

    Parameters
    ----------
    study : Study
    mapping : role -> column, as for :func:`hormonestats.test_hypotheses`. With winsorising,
        hormone columns ``log_<analyte>`` are replaced by their winsorised versions.
    hypotheses : names from ``hs.hypotheses`` (None: all that the mapping supports).
    variants : (label, options for :func:`hormonestats.process_study`) pairs.
    seed, n_boot : bootstrap settings of the mediation hypotheses (same seed in every variant).
    n_jobs, scheduler : where the variants run (local processes, or a Dask scheduler address,
        client or cluster; see :func:`hormonestats.parallel.map_tasks`); one task per variant,
        the same table wherever they run.
    base_options : options for :func:`hormonestats.process_study` every variant starts from
        (the main analysis's), each variant's own options on top.
    planned : ``(settings, family_table)`` of the main analysis: the processing settings it
        ran with (``processed.samples.settings``) and its hypothesis family table. A variant
        whose settings are those is not re-run: its rows are the main analysis's, so the same
        specification shows the same numbers wherever it is reported (one fit, reused).

    Returns
    -------
    DataFrame
        One row per variant and hypothesis: variant, hypothesis, term, estimate, conf_low,
        conf_high, p_value, p_fdr, agrees, n, status.

    Examples
    --------
    >>> import hormonestats as hs
    >>> from hormonestats.workflows.pipeline import DEFAULT_MAPPING
    >>> tab = hs.sensitivity(hs.read_dataset("example_study"), mapping=DEFAULT_MAPPING,
    ...                      hypotheses=["progesterone_anxiety"], seed=1)
    >>> tab["variant"].nunique()
    4
    """
    base = dict(base_options or {})
    variants = [(label, {**base, **options}) for label, options in variants]
    reused = {}
    if planned is not None:
        settings, family_table = planned
        for label, options in variants:
            if not reused and _same_settings(options, settings):
                reused[label] = _key_rows(family_table).assign(variant=label)
    todo = [v for v in variants if v[0] not in reused]
    run = partial(_variant, study, dict(mapping), hypotheses, tuple(covariates), seed, n_boot)
    parts = map_tasks(run, todo, seed=seed, n_jobs=n_jobs, scheduler=scheduler,
                      batch_size=1, label="sensitivity") if todo else []
    ran = dict(zip([v[0] for v in todo], parts, strict=True))
    out = pd.concat([reused.get(label, ran.get(label)) for label, _ in variants],
                    ignore_index=True)
    return out[["variant", *[c for c in out.columns if c != "variant"]]]


def _variant(study, mapping, hypotheses, covariates, seed, n_boot, variant, _seed_seq):
    """One processing variant: process the study, test the hypotheses, keep the key rows.
    (The mediation bootstrap uses the user's ``seed`` in every variant, not ``_seed_seq``,
    so that the variants differ only by their processing.)"""
    from ..derive.processing import process_study
    from ..models.hypotheses import test_hypotheses

    label, options = variant
    table = process_study(study, **options).table
    cols = dict(mapping)
    if options.get("winsorize_k") is not None:
        cols = {role: (f"{c}_wins" if f"{c}_wins" in table.columns else c)
                for role, c in cols.items()}
    usable = {k: v for k, v in cols.items() if v in table.columns}
    family = test_hypotheses(table, mapping=usable, hypotheses=hypotheses,
                             covariates=covariates, seed=seed, n_boot=n_boot)
    return _key_rows(family.table).assign(variant=label)


def _key_rows(table: pd.DataFrame) -> pd.DataFrame:
    return table[["hypothesis", "term", "estimate", "conf_low", "conf_high", "p_value",
                  "p_fdr", "agrees", "n", "status"]]


def _same_settings(options: Mapping, settings: Mapping) -> bool:
    """Whether processing with ``options`` gives the run whose ``settings`` are given (the
    options not set take process_study's defaults, recorded in ``settings``)."""
    from ..derive.hormone_table import SAMPLE_OPTIONS

    effective = {**SAMPLE_OPTIONS, **options}
    return all(effective.get(k) == v for k, v in settings.items() if k in SAMPLE_OPTIONS)

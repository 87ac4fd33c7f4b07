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
    run = partial(_variant, study, dict(mapping), hypotheses, tuple(covariates), seed, n_boot)
    parts = map_tasks(run, list(variants), seed=seed, n_jobs=n_jobs, scheduler=scheduler,
                      batch_size=1, label="sensitivity")
    out = pd.concat(parts, ignore_index=True)
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
    part = family.table[["hypothesis", "term", "estimate", "conf_low", "conf_high",
                         "p_value", "p_fdr", "agrees", "n", "status"]]
    return part.assign(variant=label)

"""Sensitivity of the hypothesis tests to the processing decisions.

Limit-of-detection handling and outlier treatment can change hormone findings (Pollet & van der
Meij 2017). ``sensitivity`` re-runs the processing and the hypothesis family under each
combination of LOD policy and winsorising, and returns the key estimates side by side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

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

    Returns
    -------
    DataFrame
        One row per variant and hypothesis: variant, hypothesis, term, estimate, conf_low,
        conf_high, p_value, p_fdr, agrees, n, status.

    Examples
    --------
    >>> import hormonestats as hs
    >>> from hormonestats.pipeline import DEFAULT_MAPPING
    >>> tab = hs.sensitivity(hs.read_dataset("example_study"), mapping=DEFAULT_MAPPING,
    ...                      hypotheses=["progesterone_anxiety"], seed=1)
    >>> tab["variant"].nunique()
    4
    """
    from ..derive.processing import process_study
    from .hypotheses import test_hypotheses

    rows = []
    for label, options in variants:
        table = process_study(study, **options).table
        cols = dict(mapping)
        if options.get("winsorize_k") is not None:
            cols = {role: (f"{c}_wins" if f"{c}_wins" in table.columns else c)
                    for role, c in cols.items()}
        usable = {k: v for k, v in cols.items() if v in table.columns}
        family = test_hypotheses(table, mapping=usable, hypotheses=hypotheses,
                                 covariates=tuple(covariates), seed=seed, n_boot=n_boot)
        part = family.table[["hypothesis", "term", "estimate", "conf_low", "conf_high",
                             "p_value", "p_fdr", "agrees", "n", "status"]]
        rows.append(part.assign(variant=label))
    out = pd.concat(rows, ignore_index=True)
    return out[["variant", *[c for c in out.columns if c != "variant"]]]

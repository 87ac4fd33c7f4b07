"""Denominator degrees of freedom for the fixed effects of a generalized mixed model: the
between-within rule (Schluchter & Elashoff 1990), extended to crossed and nested grouping
factors as Pinheiro & Bates (2000, section 2.4.2) do for nested ones.

Offered as ``df_method="between-within"`` for designs with few clusters, where Li & Redden
(2015) found that t tests on between-within df keep their level for binary GLMMs fitted by
maximum likelihood. It is not the default: over 2,000 simulated trust games (30 persons x 40
trials crossed with 20 faces) Wald z intervals of the restricted-likelihood fit (the default)
covered 94.3-95.3% and t intervals on these df 95.1-96.5% (too wide for the intercept); with
the maximum-likelihood fit, z covered 92.3-93.2% and t 93.5-95.2% (benchmarks/README.md). The
rule:

* the total ``n - p`` df are split between the grouping factors and the rows;
* a fixed-effect column that is constant within every level of a grouping factor (a person-level
  predictor such as a drug group, a face-level one such as rated trustworthiness, and the
  intercept) or that has a random slope over that factor is estimated *between* the levels of
  that factor; factor ``f`` has ``L_f - r_f`` df, ``L_f`` its number of levels and ``r_f`` the
  rank of the columns estimated between its levels;
* a column estimated between the levels of several factors gets the smallest of their df; a
  column that varies within every factor gets the within df, ``n - p - sum_f (L_f - r_f)``.

The t intervals and tests use these df with ``df_method="between-within"``; Wald z
(``df_method="wald"``, the default) gives them infinite df.
"""

from __future__ import annotations

import numpy as np

DF_METHODS = ("between-within", "wald")


def _constant_within(col: np.ndarray, codes: np.ndarray, n_levels: int) -> bool:
    lo = np.full(n_levels, np.inf)
    hi = np.full(n_levels, -np.inf)
    np.minimum.at(lo, codes, col)
    np.maximum.at(hi, codes, col)
    scale = max(1.0, float(np.max(np.abs(col), initial=0.0)))
    return bool(np.all(hi - lo <= 1e-10 * scale))


def between_within_df(X: np.ndarray, names, blocks) -> np.ndarray:
    """Between-within df of every column of ``X`` (named ``names``) given the random-effect
    terms ``blocks`` (each with ``group``, ``codes``, ``n_levels`` and the ``names`` of its
    columns).

    >>> codes = np.repeat(np.arange(10), 4)              # 10 persons x 4 trials
    >>> from types import SimpleNamespace as NS
    >>> blk = NS(group="id", codes=codes, n_levels=10, names=("Intercept",))
    >>> X = np.column_stack([np.ones(40), codes % 2, np.tile([0., 1, 2, 3], 10)])
    >>> between_within_df(X, ["Intercept", "drug", "time"], [blk]).tolist()
    [8.0, 8.0, 29.0]
    """
    X = np.asarray(X, float)
    n, p = X.shape
    factors: dict[str, dict] = {}
    for b in blocks:
        f = factors.setdefault(b.group, {"codes": np.asarray(b.codes), "L": int(b.n_levels),
                                          "slopes": set()})
        f["slopes"].update(t for t in b.names if t != "Intercept")
    between = {}
    for g, f in factors.items():
        cols = [j for j in range(p) if names[j] in f["slopes"]
                or _constant_within(X[:, j], f["codes"], f["L"])]
        rank = int(np.linalg.matrix_rank(X[:, cols])) if cols else 0
        between[g] = (cols, max(f["L"] - rank, 1))
    within = max(n - p - sum(d for _, d in between.values()), 1)
    out = np.full(p, np.inf)
    for cols, d in between.values():
        for j in cols:
            out[j] = min(out[j], float(d))
    return np.where(np.isfinite(out), out, float(within))

"""Multiple imputation of an analysis table by chained equations (FCS; van Buuren 2018).

:func:`impute_table` fills the missing cells of the named columns m times, each completed data
set from its own chain of ``n_iter`` sweeps over the incomplete variables; each variable is drawn
from a regression on the current values of all the others (:mod:`.imputation_models`):

* continuous variables by predictive mean matching (5 donors), so imputed values are values
  that occur in the data; binary and categorical variables by (multinomial) logistic
  regression;
* **below the limit of detection**: a hormone whose reading lies below the LOD (processed with
  ``lod_policy="flag"``) is drawn from the normal regression model on its log scale truncated
  above at log(LOD), so the imputed concentration lies in (0, LOD), never above it (pass
  ``lod={column: upper bounds}``). The regression is fitted to the observed readings and the
  current draws below the LOD (data augmentation for a censored normal, Chib 1992), so the
  draws follow the censored part of the distribution; the column's other missing cells (lost
  samples) are drawn from the same normal model, untruncated;
* **repeated measures** (``cluster=``): the imputation model of a variable also has the
  person's mean of every other variable and the mean of the variable over the person's other
  rows, so a missing sample borrows from the same person's other samples (the cluster-means
  approach to two-level FCS; Enders, Mistler & Keller 2016, who show it reproduces a random
  intercept model's estimates);
* **interactions** (``interactions=[("x", "m")]``): with ``interaction_method="passive"`` (the
  default) the product column ``x_x_m`` is recomputed from the imputed x and m after every
  step, and enters the other variables' models; the model of x also gets m times each other
  variable (and vice versa), so the relation of x to the outcome may differ by m, as the
  analysis model says. With ``"jav"`` ("just another variable"; von Hippel 2009), the product
  is imputed as a variable of its own (its imputed values are then not x times m). Both are
  tested against known truth (``tests/test_imputation.py``): passive imputation with these
  terms and JAV recover the interaction; leaving the interaction out of the imputation model
  biases it towards 0;
* **scale scores** (``scales={"pss_total": (items, "sum")}``): the items are imputed and the
  score is recomputed from them (passive), never imputed as a whole when items are known.

statsmodels' ``MICEData`` is not used: it imputes every variable by predictive mean matching
on a linear model, with no logistic draws for categories, no bounds for readings below the LOD
and no cluster means, so the chains are our own; their distributions are checked against
mice's on mice's nhanes data (``tests/test_imputation.py``).

Same numbers at any scale: chain j draws from ``SeedSequence(seed).spawn(m)[j]`` and the chains
run through :func:`hormonestats.parallel.map_tasks`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from ..errors import HormoneStatsError
from ..options import DEFAULT_SEED, ExecutionOptions
from . import imputation_models as um

__all__ = ["METHODS", "Imputed", "impute_table"]

#: the univariate methods; "norm" is used for the LOD rows of a hormone
METHODS = ("pmm", "norm", "logreg", "polyreg")
INTERACTION_METHODS = ("passive", "jav")


@dataclass(frozen=True)
class Imputed:
    """m completed copies of a table (:func:`impute_table`).

    Attributes
    ----------
    completed : tuple of DataFrame
        The completed data sets (same rows and index as the input, imputed cells filled,
        passive columns recomputed).
    model : DataFrame
        The imputation model, one row per variable: ``variable, kind, method, n_missing,
        pct_missing, n_below_lod, predictors``.
    missing : DataFrame
        True where a cell was imputed.
    chains : DataFrame
        ``imputation, iteration, variable, mean``: the mean of the imputed values after each
        sweep (convergence check).
    settings : dict
        m, n_iter, seed, donors, cluster, interactions, interaction_method, scales.
    """

    completed: tuple = field(repr=False)
    model: pd.DataFrame = field(repr=False)
    missing: pd.DataFrame = field(repr=False)
    chains: pd.DataFrame = field(repr=False)
    settings: dict = field(default_factory=dict)

    @property
    def m(self) -> int:
        return len(self.completed)

    def __len__(self) -> int:
        return len(self.completed)

    def __iter__(self):
        return iter(self.completed)

    def __getitem__(self, j: int) -> pd.DataFrame:
        return self.completed[j]

    def describe(self) -> str:
        """The imputation in one methods paragraph."""
        model = self.model[self.model["n_missing"] > 0]
        parts = []
        for method, rows in model.groupby("method", sort=False):
            how = {"pmm": "predictive mean matching (5 donors)",
                   "norm": "Bayesian normal regression",
                   "logreg": "logistic regression",
                   "polyreg": "multinomial logistic regression"}[method]
            parts.append(f"{', '.join(rows['variable'])} by {how}")
        s = self.settings
        text = (f"Missing values were multiply imputed by chained equations (m = {self.m} "
                f"imputations, {s['n_iter']} iterations each, seed {s['seed']}): "
                + "; ".join(parts) + ".")
        lod = model[model["n_below_lod"] > 0]
        if len(lod):
            text += (" Readings below the limit of detection (" + ", ".join(
                f"{v}: {n}" for v, n in zip(lod["variable"], lod["n_below_lod"]))
                + ") were imputed on the log scale within (0, LOD).")
        if s.get("cluster"):
            text += (f" The imputation models included each {s['cluster']}'s means of the "
                     "other variables (two-level imputation by cluster means).")
        if s.get("interactions"):
            pairs = ", ".join(f"{a} x {b}" for a, b in s["interactions"])
            text += (f" The interactions {pairs} were imputed "
                     + ("passively, with the moderator's products in the imputation models."
                        if s["interaction_method"] == "passive" else
                        "as just another variable (von Hippel 2009)."))
        return text


def _kinds(data, columns, methods):
    kinds, out = {}, {}
    for c in columns:
        col = data[c]
        values = col.dropna()
        numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
        if numeric and values.nunique() > 2:
            kinds[c], out[c] = "continuous", "pmm"
        elif numeric:
            kinds[c], out[c] = "binary", "logreg"
        else:
            n = values.astype(str).nunique()
            kinds[c], out[c] = "categorical", "logreg" if n <= 2 else "polyreg"
        if c in methods:
            out[c] = methods[c]
    return kinds, out


def _check(data, columns, methods, lod, cluster, interactions, interaction_method, scales, m):
    problems = []
    for c in columns:
        if c not in data.columns:
            problems.append(f"column {c!r} is not in the table")
    for c, meth in methods.items():
        if meth not in METHODS:
            problems.append(f"method {meth!r} for {c!r} is not one of {', '.join(METHODS)}")
    for c in lod:
        if c not in columns:
            problems.append(f"lod column {c!r} is not among the imputed columns")
    if cluster is not None and cluster not in data.columns:
        problems.append(f"cluster column {cluster!r} is not in the table")
    if interaction_method not in INTERACTION_METHODS:
        problems.append(f"interaction_method {interaction_method!r} is not one of "
                        f"{', '.join(INTERACTION_METHODS)}")
    for pair in interactions:
        bad = [c for c in pair if c not in columns]
        if len(pair) != 2 or bad:
            problems.append(f"interaction {pair!r}: expected two imputed columns")
    for score, (items, how) in scales.items():
        if how not in ("sum", "mean"):
            problems.append(f"scale {score!r}: scoring {how!r} is not 'sum' or 'mean'")
        bad = [i for i in items if i not in columns]
        if bad:
            problems.append(f"scale {score!r}: items {bad} are not among the imputed columns")
    if not (isinstance(m, int) and m >= 1):
        problems.append(f"m must be a whole number >= 1, got {m!r}")
    if problems:
        raise HormoneStatsError("impute: " + "; ".join(problems))


@dataclass
class _Spec:
    columns: list
    kinds: dict
    methods: dict
    levels: dict
    upper: dict
    cluster_codes: np.ndarray | None
    interactions: list
    interaction_method: str
    scales: dict
    donors: int
    n_iter: int


def _encode(data, spec_cols, kinds):
    """Numeric matrix of the imputed columns (categories as codes) and the level lists."""
    values, levels = {}, {}
    for c in spec_cols:
        if kinds[c] == "categorical":
            cats = sorted(data[c].dropna().astype(str).unique())
            levels[c] = cats
            codes = data[c].astype("string").map({v: i for i, v in enumerate(cats)})
            values[c] = pd.to_numeric(codes, errors="coerce").to_numpy(float)
        elif kinds[c] == "binary":  # two numeric values, as codes 0 and 1
            raw = pd.to_numeric(data[c], errors="coerce").to_numpy(float)
            lv = np.unique(raw[np.isfinite(raw)])
            levels[c] = list(lv)
            values[c] = np.where(np.isfinite(raw), (raw == lv[-1]).astype(float), np.nan)
        else:
            values[c] = pd.to_numeric(data[c], errors="coerce").to_numpy(float)
    return values, levels


def _product_name(a, b):
    return f"{a}_x_{b}"


def _cluster_mean(v, codes, leave_out=False):
    sums = np.bincount(codes, weights=v)
    counts = np.bincount(codes).astype(float)
    if not leave_out:
        return (sums / counts)[codes]
    n = counts[codes]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (sums[codes] - v) / (n - 1)
    return np.where(n > 1, out, np.nan)


def _predictors(spec, cur, target):
    """Design matrix for the model of ``target``: the other variables (categories as
    dummies), products, cluster means; constant and duplicate columns dropped."""
    cols, names = [], []
    passive = spec.interaction_method == "passive"
    partners = [b if a == target else a for a, b in spec.interactions
                if target in (a, b)] if passive else []
    for c in spec.columns:
        if c == target:
            continue
        if spec.kinds[c] == "categorical":
            for k in range(1, len(spec.levels[c])):
                cols.append((cur[c] == k).astype(float))
                names.append(f"{c}[{k}]")
        else:
            cols.append(cur[c])
            names.append(c)
    if passive:  # the products of the analysis model predict every variable not in them
        for a, b in spec.interactions:
            if target not in (a, b):
                cols.append(cur[_product_name(a, b)])
                names.append(_product_name(a, b))
    base = list(zip(names, cols))
    for p in partners:
        for name, col in base:
            if name != p and not name.startswith(f"{p}["):
                cols.append(col * cur[p])
                names.append(f"{name}*{p}")
    if spec.cluster_codes is not None:
        for name, col in base:
            cols.append(_cluster_mean(col, spec.cluster_codes))
            names.append(f"mean({name})")
        own = _cluster_mean(cur[target], spec.cluster_codes, leave_out=True)
        if np.isfinite(own).any():
            fill = np.nanmean(own)
            cols.append(np.where(np.isfinite(own), own, fill))
            cols.append(np.isfinite(own).astype(float))
            names += [f"others({target})", f"has_others({target})"]
    x = np.column_stack([np.ones(len(cur[target]))] + cols) if cols else np.ones(
        (len(cur[target]), 1))
    sd = x.std(axis=0)
    keep = np.r_[True, sd[1:] > 1e-12 * (1 + np.abs(x[:, 1:]).max(axis=0))]
    x = x[:, keep]
    # scale for a well-conditioned solve (predicted means are unchanged)
    centre = np.r_[0.0, x[:, 1:].mean(axis=0)]
    scale = np.r_[1.0, x[:, 1:].std(axis=0)]
    return (x - centre) / scale


def _passive(spec, cur, data_values):
    for a, b in spec.interactions:
        name = _product_name(a, b)
        if spec.interaction_method == "passive":
            cur[name] = cur[a] * cur[b]
    for score, (items, how) in spec.scales.items():
        stack = np.column_stack([cur[i] for i in items])
        value = stack.sum(axis=1) if how == "sum" else stack.mean(axis=1)
        known = np.isfinite(data_values[score]) if score in data_values else np.zeros(
            len(value), bool)
        cur[score] = np.where(known, data_values[score], value) if score in data_values \
            else value


def _draw(spec, target, x, y, miss, rng, upper):
    obs = ~miss
    method = spec.methods[target]
    lod_rows = np.isfinite(upper) & miss if upper is not None else np.zeros(len(y), bool)
    if spec.kinds[target] == "categorical" or method in ("logreg", "polyreg"):
        codes = y[obs].astype(int)
        n_class = len(spec.levels[target]) if target in spec.levels else 2
        return um.polyreg(x[obs], codes, x[miss], rng, max(n_class, 2)).astype(float)
    if lod_rows.any():
        # data augmentation for the censored readings (Chib 1992): the regression is fitted
        # to the observed values and the current draws below the LOD, then the LOD rows are
        # drawn again from the normal truncated at log(LOD); a fit to the observed values
        # alone would see only the part above the LOD and draw too high
        fit = obs | lod_rows
        return um.norm(x[fit], y[fit], x[miss], rng, upper=upper[miss])
    if method == "norm":
        return um.norm(x[obs], y[obs], x[miss], rng)
    return um.pmm(x[obs], y[obs], x[miss], rng, spec.donors)


def _chain(spec, data_values, missing, seed_seq) -> tuple[dict, list]:
    rng = np.random.default_rng(seed_seq)
    cur = {c: v.copy() for c, v in data_values.items()}
    order = [c for c in spec.columns if missing[c].any()]
    for c in order:  # start from random draws of the observed values (as mice does)
        miss = missing[c]
        obs = cur[c][~miss]
        if len(obs) == 0:
            raise HormoneStatsError(f"impute: column {c!r} has no observed value")
        cur[c][miss] = rng.choice(obs, int(miss.sum()))
        up = spec.upper.get(c)
        if up is not None:
            lod = miss & np.isfinite(up)
            cur[c][lod] = up[lod] - np.log(2)
    _passive(spec, cur, data_values)
    trace = []
    for it in range(spec.n_iter):
        for c in order:
            miss = missing[c]
            x = _predictors(spec, cur, c)
            groups = _partner_groups(spec, cur, c)
            for rows in groups:
                sub = miss & rows
                if not sub.any():
                    continue
                up = spec.upper.get(c)
                xg = x if len(groups) == 1 else _independent_columns(x[rows])
                draws = _draw(spec, c, xg, cur[c][rows], sub[rows], rng,
                              None if up is None else up[rows])
                cur[c][sub] = draws
            _passive(spec, cur, data_values)
            trace.append((it + 1, c, float(np.mean(cur[c][miss]))))
    return cur, trace


def _independent_columns(x: np.ndarray) -> np.ndarray:
    """``x`` (intercept first) without the columns that are constant or perfectly correlated
    with an earlier one within these rows (a product with the group's own level)."""
    if x.shape[1] <= 2:
        return x
    rest = x[:, 1:]
    sd = rest.std(axis=0)
    keep = [0]
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(rest, rowvar=False) if len(rest) > 1 else np.eye(rest.shape[1])
    for j in range(rest.shape[1]):
        if sd[j] <= 1e-12 * (1 + np.abs(rest[:, j]).max()):
            continue
        if any(abs(corr[j, k - 1]) > 1 - 1e-10 for k in keep[1:]):
            continue
        keep.append(j + 1)
    return x[:, keep]


def _partner_groups(spec, cur, target) -> list[np.ndarray]:
    """Row masks of the separate imputation models of ``target``: one per level of a
    discrete interaction partner (at most 5 levels, each with enough observed rows), so the
    relations of ``target`` may differ by that level as the analysis model's interaction
    says; otherwise all rows in one model."""
    everything = [np.ones(len(cur[target]), dtype=bool)]
    if spec.interaction_method != "passive":
        return everything
    for a, b in spec.interactions:
        if target not in (a, b):
            continue
        partner = b if a == target else a
        levels = np.unique(cur[partner])
        if spec.kinds[partner] == "continuous" or len(levels) > 5:
            continue
        masks = [cur[partner] == lv for lv in levels]
        observed = [int((mk & np.isfinite(cur[target])).sum()) for mk in masks]
        if min(observed) >= 10 + len(spec.columns):
            return masks
    return everything


def _run_chain(spec, data_values, missing, task, seed_seq):
    return _chain(spec, data_values, missing, seed_seq)


def impute_table(
    data: pd.DataFrame,
    *,
    columns: Sequence[str],
    m: int = 20,
    seed: int = DEFAULT_SEED,
    n_iter: int = 10,
    methods: Mapping[str, str] | None = None,
    lod: Mapping[str, Sequence[float]] | None = None,
    cluster: str | None = None,
    interactions: Sequence[tuple[str, str]] = (),
    interaction_method: str = "passive",
    scales: Mapping[str, tuple[Sequence[str], str]] | None = None,
    donors: int = 5,
    execution: ExecutionOptions | Mapping | None = None,
) -> Imputed:
    """Multiply impute the missing values of ``columns`` by chained equations.

    Parameters
    ----------
    data : DataFrame
        Not modified.
    columns : sequence of str
        The variables of the imputation model: each is imputed where missing and predicts
        the others. Include the analysis model's outcome and every variable it uses.
    m, n_iter : int
        Imputations (independent chains) and sweeps per chain.
    seed : int
        Root seed (chain j uses child j of its SeedSequence).
    methods : mapping, optional
        Column -> one of :data:`METHODS` (default: pmm for continuous, logreg for two
        categories, polyreg for more).
    lod : mapping, optional
        Column -> upper bounds on the column's scale, one per row (NaN where the reading is
        not below the LOD). Missing cells with a finite bound are drawn below it.
    cluster : str, optional
        Person (or other cluster) identifier of a long table: two-level imputation by cluster
        means.
    interactions : sequence of (str, str)
        Products of the analysis model (see the module docstring); the completed tables get
        a column ``<a>_x_<b>``.
    interaction_method : {"passive", "jav"}
    scales : mapping, optional
        Score column -> (item columns, "sum" or "mean"): items imputed, score recomputed.
    donors : int
        Donors of predictive mean matching.
    execution : ExecutionOptions, optional
        Workers / scheduler for the m chains (the seed is ``seed``); the same numbers on any.

    Returns
    -------
    Imputed

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> d = pd.DataFrame({"x": rng.normal(size=100)})
    >>> d["y"] = d.x + rng.normal(size=100)
    >>> d.loc[::4, "y"] = np.nan
    >>> imp = impute_table(d, columns=["x", "y"], m=3, seed=1, n_iter=5)
    >>> len(imp), int(imp[0]["y"].isna().sum()), int(d["y"].isna().sum())
    (3, 0, 25)
    """
    from ..parallel import map_tasks

    methods = dict(methods or {})
    lod = dict(lod or {})
    scales = {k: (list(v[0]), v[1]) for k, v in (scales or {}).items()}
    interactions = [tuple(p) for p in interactions]
    columns = list(dict.fromkeys(columns))
    _check(data, columns, methods, lod, cluster, interactions, interaction_method, scales, m)
    execution = ExecutionOptions.coerce(execution)
    kinds, meth = _kinds(data, columns, methods)
    values, levels = _encode(data, columns, kinds)
    model_cols = list(columns)
    if interaction_method == "jav":
        for a, b in interactions:
            name = _product_name(a, b)
            values[name] = values[a] * values[b]
            kinds[name], meth[name] = "continuous", methods.get(name, "pmm")
            model_cols.append(name)
    missing = {c: ~np.isfinite(values[c]) for c in model_cols}
    upper = {}
    for c, bounds in lod.items():
        b = np.asarray(bounds, dtype=float)
        if b.shape != (len(data),):
            raise HormoneStatsError(f"impute: lod bounds of {c!r} must have one value per row")
        upper[c] = np.where(missing[c], b, np.nan)
    for score in scales:
        if score in data.columns:
            values[score] = pd.to_numeric(data[score], errors="coerce").to_numpy(float)
    codes = None
    if cluster is not None:
        codes = pd.factorize(data[cluster].astype("string"))[0]
        if (codes < 0).any():
            raise HormoneStatsError(f"impute: cluster column {cluster!r} has missing values")
    spec = _Spec(model_cols, kinds, meth, levels, upper, codes, interactions,
                 interaction_method, scales, donors, n_iter)
    runs = map_tasks(partial(_run_chain, spec, values, missing), list(range(m)), seed=seed,
                     n_jobs=execution.n_jobs, scheduler=execution.scheduler,
                     progress=execution.progress, label="imputations")
    completed, trace_rows = [], []
    for j, (cur, trace) in enumerate(runs):
        completed.append(_completed_frame(data, cur, columns, kinds, levels, interactions,
                                          scales))
        trace_rows += [(j + 1, it, c, v) for it, c, v in trace]
    miss_frame = pd.DataFrame({c: missing[c] for c in columns}, index=data.index)
    model = pd.DataFrame({
        "variable": model_cols,
        "kind": [kinds[c] for c in model_cols],
        "method": ["norm" if c in upper and np.isfinite(upper[c]).any() else meth[c]
                   for c in model_cols],
        "n_missing": [int(missing[c].sum()) for c in model_cols],
        "pct_missing": [100 * float(missing[c].mean()) for c in model_cols],
        "n_below_lod": [int(np.isfinite(upper[c]).sum()) if c in upper else 0
                        for c in model_cols],
        "predictors": [", ".join(x for x in model_cols if x != c) for c in model_cols],
    })
    return Imputed(
        completed=tuple(completed), model=model, missing=miss_frame,
        chains=pd.DataFrame(trace_rows, columns=["imputation", "iteration", "variable", "mean"]),
        settings={"m": m, "n_iter": n_iter, "seed": seed, "donors": donors, "cluster": cluster,
                  "interactions": [list(p) for p in interactions],
                  "interaction_method": interaction_method,
                  "scales": {k: [list(v[0]), v[1]] for k, v in scales.items()},
                  "columns": columns, "execution": execution.as_dict()})


def _completed_frame(data, cur, columns, kinds, levels, interactions, scales):
    out = data.copy()
    for c in columns:
        if kinds[c] == "categorical":
            lv = np.asarray(levels[c], dtype=object)
            filled = pd.Series(lv[cur[c].astype(int)], index=data.index)
            out[c] = data[c].where(data[c].notna(), filled)
        elif kinds[c] == "binary":
            lv = np.asarray(levels[c], dtype=float)
            value = lv[cur[c].astype(int)] if len(lv) == 2 else np.full(len(data), lv[0])
            out[c] = pd.Series(value, index=data.index).astype(
                data[c].dtype if not data[c].isna().any() else float)
        else:
            out[c] = pd.Series(cur[c], index=data.index).astype(
                data[c].dtype if not data[c].isna().any() else float)
    for a, b in interactions:
        name = _product_name(a, b)
        out[name] = cur[name]
    for score in scales:
        out[score] = cur[score]
    return out

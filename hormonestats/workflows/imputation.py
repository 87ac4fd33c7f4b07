"""Multiple imputation of a study's analysis table, and the hypothesis family over it.

``hs.impute(study, m=20, seed=...)`` processes the study (readings below the limit of detection
kept as missing and flagged, so they can be imputed below the LOD), chooses the imputation
model from the analysis table and the registered hypotheses, and returns an
:class:`ImputedStudy`: the m completed analysis tables with the model recorded.
:func:`test_hypotheses_imputed` fits the hypothesis family to each completed table and pools
each deciding estimate by Rubin's rules (:mod:`hormonestats.models.pooling`), then adjusts the
pooled p-values across the family as :func:`hormonestats.test_hypotheses` does.

The imputation model (:func:`imputation_columns`): every numeric column of the analysis table
(hormones on their log scale; the concentration columns are filled from them afterwards) and the
two- or few-level design columns (sex, arm, group), the outcome included (Moons et al. 2006);
columns that a model column fully determines (an arm label beside its 0/1 code, a genotype
grouping beside its allele count) are filled from it, not imputed. The interactions of the
registered moderation and gene x environment hypotheses enter passively (see
:mod:`hormonestats.derive.imputation`); a table with several rows per person is imputed at two
levels (the person's means).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import HormoneStatsError
from ..options import DEFAULT_SEED, ExecutionOptions

__all__ = ["ImputedStudy", "imputation_columns", "impute", "pooled_sentence", "run_pooled",
           "test_hypotheses_imputed"]

#: imputations of the multiverse's "imputed" choice of the ``missing`` decision
MULTIVERSE_M = 20
_ID_COLUMNS = ("subject_id", "session", "responses_session", "dyad_id", "sample_id")
_DESIGN_COLUMNS = ("sex", "arm", "group", "sequence", "role")


@dataclass(frozen=True)
class ImputedStudy:
    """m completed analysis tables of a study (:func:`impute`).

    Attributes
    ----------
    imputed : hormonestats.derive.imputation.Imputed
        The completed tables, the imputation model, the chains.
    table : DataFrame
        The analysis table before imputation.
    processed : ProcessedStudy or None
    filled : dict
        Column -> the model column it was filled from (passive, not imputed).
    """

    imputed: object = field(repr=False)
    table: pd.DataFrame = field(repr=False)
    processed: object = field(default=None, repr=False)
    filled: dict = field(default_factory=dict)

    @property
    def completed(self) -> tuple:
        return self.imputed.completed

    @property
    def m(self) -> int:
        return self.imputed.m

    @property
    def model(self) -> pd.DataFrame:
        return self.imputed.model

    def __len__(self) -> int:
        return self.m

    def __iter__(self):
        return iter(self.completed)

    def __getitem__(self, j):
        return self.completed[j]

    def methods_text(self) -> str:
        """What was imputed and how (a methods paragraph)."""
        text = self.imputed.describe()
        if self.filled:
            text += (" Columns determined by an imputed one were filled from it ("
                     + ", ".join(f"{c} from {s}" for c, s in self.filled.items()) + ").")
        return text

    def __repr__(self) -> str:
        n = int(self.imputed.missing.to_numpy().sum())
        return f"<ImputedStudy: {self.m} completed tables, {n} cells imputed>"


def _determined_by(table, column, candidates) -> str | None:
    """A candidate column whose observed values determine ``column``'s (one value each)."""
    for cand in candidates:
        if cand == column:
            continue
        both = table[[cand, column]].dropna()
        if len(both) < 2 or not 2 <= both[cand].nunique() <= 10:
            continue
        if (both.groupby(cand)[column].nunique() == 1).all():
            return cand
    return None


def imputation_columns(table: pd.DataFrame) -> tuple[list[str], dict]:
    """(columns to impute and predict with, columns filled from another one).

    Numeric columns (except a concentration that has its ``log_`` column, filled back from it)
    and the design columns; a column determined by a model column (same value for every value
    of it) is filled from it.
    """
    numeric = [c for c in table.columns if c not in _ID_COLUMNS
               and pd.api.types.is_numeric_dtype(table[c])
               and not pd.api.types.is_bool_dtype(table[c])
               and f"log_{c}" not in table.columns and table[c].notna().any()]
    filled = {c[4:]: c for c in table.columns
              if c.startswith("log_") and c[4:] in table.columns and c in numeric}
    design = [c for c in _DESIGN_COLUMNS if c in table.columns
              and table[c].notna().any() and table[c].nunique() <= 5]
    columns = list(numeric)
    for c in design:
        source = _determined_by(table, c, numeric)
        if source is not None:
            filled[c] = source
        else:
            columns.append(c)
    for c in table.columns:
        if c in columns or c in filled or c in _ID_COLUMNS or not table[c].isna().any():
            continue
        source = _determined_by(table, c, numeric)
        if source is not None:
            filled[c] = source
    return columns, filled


def _lod_bounds(study, processed, table) -> dict:
    """Column -> log(LOD) (analysis units) for the rows whose first sample of the session had
    every replicate reading below the LOD (and so no value under ``lod_policy="flag"``)."""
    samples = getattr(processed, "samples", None)
    per_sample = getattr(samples, "samples", None)
    raw = getattr(study, "tables", {}).get("samples") if study is not None else None
    if per_sample is None or raw is None or "session" not in table.columns:
        return {}
    if (getattr(samples, "settings", {}) or {}).get("lod_policy") != "flag":
        return {}
    need = {"subject_id", "session", "analyte", "value", "lod"}
    if not need <= set(raw.columns):
        return {}
    ps = per_sample.dropna(subset=["lod_limit", "lod_canonical"])
    factor = (ps["lod_canonical"] / ps["lod_limit"]).groupby(ps["analyte"]).first()
    column = ps.groupby("analyte")["table_column"].first()
    from ..study.readings import parse_readings

    r = raw[raw["subject_id"].notna()].copy()
    r["lod"] = pd.to_numeric(r["lod"], errors="coerce")
    parsed = parse_readings(r["value"], lod=r["lod"])
    r["below"] = parsed["below_lod"].astype(bool) | (parsed["value"] < r["lod"])
    r["limit"] = parsed["limit"].where(parsed["limit"].notna(), r["lod"])
    r = r[(parsed["value"].notna() | r["below"]) & r["limit"].notna()]
    keys = ["subject_id", "session", "analyte"]
    by = keys + (["sample_number"] if "sample_number" in r.columns else [])
    per = r.groupby(by, sort=True).agg(below=("below", "all"),
                                       lod=("limit", "max")).reset_index()
    first = per.groupby(keys, sort=False).head(1)
    first = first[first["below"] & first["analyte"].isin(column.index)]
    out = {}
    rows = pd.MultiIndex.from_arrays([table["subject_id"].astype(str),
                                      table["session"].astype(str)])
    for analyte, part in first.groupby("analyte"):
        log_col = f"log_{column[analyte]}"
        if log_col not in table.columns:
            continue
        lod = pd.Series(np.log(part["lod"].to_numpy(float) * factor[analyte]),
                        index=pd.MultiIndex.from_arrays([part["subject_id"].astype(str),
                                                         part["session"].astype(str)]))
        bound = lod[~lod.index.duplicated()].reindex(rows).to_numpy()
        bound = np.where(table[log_col].isna().to_numpy(), bound, np.nan)
        if np.isfinite(bound).any():
            out[log_col] = bound
    return out


def _interactions(columns, mapping) -> list[tuple[str, str]]:
    from ..models.hypotheses import hypotheses as registry

    pairs = []
    for hyp in registry.values():
        if hyp.family not in ("moderation", "gxe"):
            continue
        roles = dict(hyp.roles)
        a, b = ("x", "m") if hyp.family == "moderation" else ("gene", "env")
        ca, cb = mapping.get(roles.get(a)), mapping.get(roles.get(b))
        if ca in columns and cb in columns and (ca, cb) not in pairs and (cb, ca) not in pairs:
            pairs.append((ca, cb))
    return pairs


def impute(
    study,
    *,
    m: int = 20,
    seed: int = DEFAULT_SEED,
    n_iter: int = 10,
    columns: Sequence[str] | None = None,
    mapping: Mapping[str, str] | None = None,
    interaction_method: str = "passive",
    execution: ExecutionOptions | Mapping | None = None,
    processed=None,
    **process_options,
) -> ImputedStudy:
    """Multiply impute a study's analysis table (m completed tables).

    Parameters
    ----------
    study : Study or ProcessedStudy
        A study is processed with ``lod_policy="flag"`` (unless ``process_options`` say
        otherwise), so that readings below the LOD are imputed within (0, LOD). A processed
        study's missing values are imputed as they are (its below-LOD rows are not known).
    m, seed, n_iter : imputations, root seed, sweeps per chain.
    columns : the imputation model's variables (default: :func:`imputation_columns`).
    mapping : role -> column (default: the example study's), for the interactions of the
        registered hypotheses.
    interaction_method : {"passive", "jav"}
    execution : ExecutionOptions, optional
        Workers for the m chains; the numbers do not depend on them.
    processed : ProcessedStudy, optional
        ``study`` already processed (its below-LOD rows are found from ``study``'s samples).

    Returns
    -------
    ImputedStudy

    Examples
    --------
    >>> import hormonestats as hs
    >>> imp = hs.impute(hs.read_dataset("example_study"), m=2, seed=1, n_iter=2)
    >>> len(imp), int(imp[0]["log_testosterone"].isna().sum())
    (2, 0)
    """
    from ..derive.imputation import impute_table
    from ..derive.processing import ProcessedStudy, process_study
    from .roles import DEFAULT_MAPPING

    source = None
    if isinstance(study, ProcessedStudy):
        processed = study
    elif hasattr(study, "contract"):
        source = study
        if processed is None:
            process_options.setdefault("lod_policy", "flag")
            processed = process_study(study, **process_options)
    else:
        raise HormoneStatsError(
            f"impute: expected a Study or a ProcessedStudy, got {type(study).__name__}")
    table = processed.table
    chosen, filled = imputation_columns(table)
    if columns is not None:
        absent = [c for c in columns if c not in table.columns]
        if absent:
            raise HormoneStatsError(f"impute: the analysis table has no column(s) {absent}")
        chosen = list(columns)
        filled = {c: s for c, s in filled.items() if s in chosen and c not in chosen}
    mapping = {**DEFAULT_MAPPING, **dict(mapping or {})}
    cluster = "subject_id" if "subject_id" in table.columns and \
        table["subject_id"].duplicated().any() else None
    lod = {c: b for c, b in _lod_bounds(source, processed, table).items() if c in chosen}
    imputed = impute_table(table, columns=chosen, m=m, seed=seed, n_iter=n_iter, lod=lod,
                           cluster=cluster, interactions=_interactions(chosen, mapping),
                           interaction_method=interaction_method, execution=execution)
    completed = tuple(_fill(c, table, filled) for c in imputed.completed)
    imputed = type(imputed)(completed=completed, model=imputed.model, missing=imputed.missing,
                            chains=imputed.chains, settings=imputed.settings)
    return ImputedStudy(imputed=imputed, table=table, processed=processed, filled=filled)


def pooled_sentence(table: pd.DataFrame) -> str:
    """How the hypotheses were pooled, with the range of the fraction of missing information."""
    tested = table[table["status"] == "tested"] if "status" in table.columns else table
    if not len(tested) or "fmi" not in tested.columns:
        return ""
    m = int(tested["m"].iloc[0])
    fmi = tested["fmi"].astype(float)
    top = tested.loc[fmi.idxmax()]
    return (f"Each hypothesis was tested on the {m} completed data sets and the estimates "
            "pooled by Rubin's rules with Barnard and Rubin's (1999) degrees of freedom; "
            "bootstrap standard errors of indirect effects entered as within-imputation "
            "standard errors (Schomaker & Heumann 2018). The fraction of missing information "
            f"ranged from {fmi.min():.3f} to {fmi.max():.3f} ({top['hypothesis']}).")


def _fill(completed, table, filled) -> pd.DataFrame:
    out = completed.copy()
    for column, source in filled.items():
        gap = table[column].isna()
        if not gap.any():
            continue
        if column.startswith("log_") is False and source == f"log_{column}":
            out.loc[gap, column] = np.exp(out.loc[gap, source])
            continue
        lookup = table[[source, column]].dropna().drop_duplicates(source).set_index(source)[column]
        out.loc[gap, column] = out.loc[gap, source].map(lookup).to_numpy()
    return out


def _dfcom(result, term, n) -> float:
    table = getattr(result, "table", None)
    if table is None or "df" not in table.columns:
        return np.inf
    rows = table.loc[table["term"].astype(str) == str(term), "df"]
    if not len(rows):
        return np.inf
    df = float(rows.iloc[0])
    if np.isnan(df):  # a bootstrap interval: no complete-data df
        return np.inf
    if np.isinf(df):  # a z test: n - p, as mice does
        return max(float(n) - len(table), 1.0)
    return df


def run_pooled(tables, runner, hyp, cols, covariates, opts):
    """One hypothesis's runner on every completed table, its key estimate pooled.

    Returns ``(PooledResult or None, key)`` like a runner; imputation j's bootstrap uses
    child j of ``opts["seed"]``.
    """
    from ..models.pooling import pool, pool_scalar
    from ..parallel import spawn_seeds

    seeds = spawn_seeds(opts.get("seed") or 0, len(tables))
    fits = []
    for table, ss in zip(tables, seeds):
        fits.append(runner(table, hyp, cols, covariates,
                           {**opts, "seed": int(ss.generate_state(1)[0])}))
    keys = [k for _, k in fits]
    term = keys[0]["term"]
    row = pool_scalar([k["estimate"] for k in keys], [k["std_error"] for k in keys],
                      dfcom=_dfcom(fits[0][0], term, keys[0]["n"]), term=term,
                      conf_level=opts.get("conf_level", 0.95))
    key = {c: float(row[c]) for c in ("estimate", "std_error", "conf_low", "conf_high",
                                       "p_value")}
    key.update(term=term, n=int(keys[0]["n"]))
    try:
        result = pool([r for r, _ in fits], conf_level=opts.get("conf_level", 0.95))
    except HormoneStatsError:
        result = None
    return result, key


def _family_task(completed, kwargs, j, seed_seq):
    from ..models.hypotheses import test_hypotheses

    seed = int(seed_seq.generate_state(1)[0])
    fam = test_hypotheses(completed[j], seed=seed, **kwargs)
    return fam.table, dict(fam.results)


def test_hypotheses_imputed(
    imputed,
    *,
    mapping: Mapping[str, str],
    hypotheses: Sequence[str] | None = None,
    covariates: Sequence[str] = (),
    alpha: float = 0.05,
    fdr_method: str = "fdr_bh",
    seed: int = DEFAULT_SEED,
    n_boot: int = 5000,
    conf_level: float = 0.95,
    execution: ExecutionOptions | Mapping | None = None,
    items=None,
):
    """The hypothesis family on every completed table, pooled by Rubin's rules.

    Each deciding estimate is pooled with the Barnard–Rubin df (its complete-data df from the
    model: residual or Satterthwaite df; n - p for a z test; infinite for a bootstrap
    interval). Indirect effects: the bootstrap SE of each completed table is its
    within-imputation SE ("MI Boot", Schomaker & Heumann 2018); the interval and p-value are
    then t-based. The table adds ``df``, ``fmi`` (fraction of missing information) and ``m``;
    ``results`` holds a :class:`~hormonestats.models.pooling.PooledResult` per hypothesis.
    Imputation j's bootstraps use child j of ``seed``; the numbers do not depend on workers.
    ``items``: the keyed item responses of the item-level hypotheses (as for
    :func:`hormonestats.test_hypotheses`); p values are adjusted within each hypothesis's FDR
    family.
    """
    from ..models.hypotheses import HypothesisFamilyResult, adjusted_by_family
    from ..models.pooling import pool, pool_scalar
    from ..parallel import map_tasks

    completed = list(getattr(imputed, "completed", imputed))
    if len(completed) < 2:
        raise HormoneStatsError("test_hypotheses_imputed needs at least 2 completed tables")
    execution = ExecutionOptions.coerce(execution)
    kwargs = {"mapping": dict(mapping), "hypotheses": hypotheses,
              "covariates": tuple(covariates), "alpha": alpha, "fdr_method": fdr_method,
              "n_boot": n_boot, "conf_level": conf_level, "items": items}
    from functools import partial

    runs = map_tasks(partial(_family_task, completed, kwargs), list(range(len(completed))),
                     seed=seed, n_jobs=execution.n_jobs, scheduler=execution.scheduler,
                     progress=execution.progress, label="hypotheses over imputations")
    tables = [t.set_index("hypothesis") for t, _ in runs]
    first = tables[0].copy()
    pooled_results = {}
    first["df"], first["fmi"], first["m"] = np.nan, np.nan, len(completed)
    for name in first.index:
        status = [t.loc[name, "status"] for t in tables]
        if any(s != "tested" for s in status):
            if first.loc[name, "status"] == "tested":
                first.loc[name, ["status", "reason"]] = [
                    "failed", "not tested in every completed table: " + next(
                        t.loc[name, "reason"] for t in tables if t.loc[name, "status"] != "tested")]
            continue
        results = [res[name] for _, res in runs]
        est = [t.loc[name, "estimate"] for t in tables]
        se = [t.loc[name, "std_error"] for t in tables]
        term = _key_term(results[0], first.loc[name, "term"])
        row = pool_scalar(est, se, dfcom=_dfcom(results[0], term, tables[0].loc[name, "n"]),
                          term=first.loc[name, "term"], conf_level=conf_level)
        for c in ("estimate", "std_error", "conf_low", "conf_high", "p_value", "df", "fmi"):
            first.loc[name, c] = row[c]
        try:
            pooled_results[name] = pool(results, conf_level=conf_level)
        except HormoneStatsError:  # terms differ between completed tables: key pooled only
            pass
    table = first.reset_index()
    tested = table["status"] == "tested"
    table["p_fdr"] = adjusted_by_family(table, fdr_method, alpha)
    excludes = (table["conf_low"] > 0) | (table["conf_high"] < 0)
    sign_ok = (table["predicted_sign"] == 0) | (np.sign(table["estimate"]) ==
                                                table["predicted_sign"])
    table["agrees"] = (tested & excludes & sign_ok).astype(bool)
    table["m"] = table["m"].astype(int)
    return HypothesisFamilyResult(table=table, results=pooled_results, mapping=dict(mapping),
                                  alpha=alpha, fdr_method=fdr_method, conf_level=conf_level)


def _key_term(result, key):
    """The term of a result's table that is the hypothesis's deciding estimate."""
    table = getattr(result, "table", None)
    if table is None:
        return key
    terms = table["term"].astype(str)
    if (terms == str(key)).any():
        return key
    name = getattr(result, "interaction_term", None)
    return name if name is not None else key


# pytest would collect a module-level name starting with "test" as a test function
test_hypotheses_imputed.__test__ = False

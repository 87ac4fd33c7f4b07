"""Methods text and exclusion accounting generated from what a run actually did.

Used through :mod:`hormonestats.report` (``hs.report.methods_text``,
``hs.report.exclusion_accounting``). Every number in the text comes from the tables passed in
(the exclusion log, LOD and CV summaries, genotype QC, reliabilities), never from defaults.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import DataError
from ..log import LOG_COLUMNS
from .tables import _no_lead, format_number, format_p

__all__ = ["exclusion_accounting", "exclusion_summary", "methods_text"]


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        return f"{items[0]} and {items[1]}"
    return ", ".join(items[:-1]) + f", and {items[-1]}"


def _check_log(log: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(log, pd.DataFrame):
        raise DataError("the exclusion log must be a DataFrame (see hormonestats.log)")
    missing = [c for c in LOG_COLUMNS if c not in log.columns]
    if missing:
        raise DataError(
            f"exclusion log lacks column(s) {', '.join(missing)}; expected {', '.join(LOG_COLUMNS)}"
        )
    return log


def exclusion_summary(log: pd.DataFrame) -> pd.DataFrame:
    """Count log rows by step, table, action and reason (in the order they were logged).

    Returns
    -------
    DataFrame
        Columns ``step, table, action, reason, n_rows, n_subjects``.

    Examples
    --------
    >>> from hormonestats.log import log_rows
    >>> df = pd.DataFrame({"subject_id": ["s1", "s1", "s2"], "cv": [30.0, 25.0, 2.0]})
    >>> exclusion_summary(log_rows("cv", "samples", df, df["cv"] > 15, "excluded", "CV > 15%"))
       step    table    action    reason  n_rows  n_subjects
    0    cv  samples  excluded  CV > 15%       2           1
    """
    log = _check_log(log)
    keys = ["step", "table", "action", "reason"]
    if log.empty:
        return pd.DataFrame(
            {k: pd.Series(dtype="str") for k in keys}
            | {"n_rows": pd.Series(dtype="int64"), "n_subjects": pd.Series(dtype="int64")}
        )
    out = (
        log.groupby(keys, sort=False, dropna=False)
        .agg(n_rows=("action", "size"), n_subjects=("subject_id", "nunique"))
        .reset_index()
    )
    return out.astype({"n_rows": "int64", "n_subjects": "int64"})


def exclusion_accounting(
    n_input: int,
    log: pd.DataFrame,
    *,
    table: str | None = None,
    n_analysed: int | None = None,
) -> pd.DataFrame:
    """CONSORT-style flow of one table's rows: input, excluded per step and reason, analysed.

    Only ``excluded`` log rows count; a row excluded by several steps is counted once, at the
    first step that excluded it. ``n_input`` must equal analysed + excluded; passing the
    observed ``n_analysed`` checks that the log accounts for every dropped row.

    Parameters
    ----------
    n_input : int
        Rows of ``table`` before any exclusion.
    log : DataFrame
        The exclusion log (:data:`hormonestats.log.LOG_COLUMNS`).
    table : str, optional
        Which table's rows to count; required when the log excludes rows of several tables.
    n_analysed : int, optional
        Rows actually analysed, checked against ``n_input`` minus the logged exclusions.

    Returns
    -------
    DataFrame
        Columns ``stage`` (input/excluded/analysed), ``step``, ``reason``, ``n``.

    Examples
    --------
    >>> from hormonestats.log import log_rows
    >>> df = pd.DataFrame({"subject_id": ["s1", "s2", "s3"], "cv": [30.0, 2.0, 40.0]})
    >>> lg = log_rows("cv", "samples", df, df["cv"] > 15, "excluded", "CV > 15%")
    >>> exclusion_accounting(3, lg)
          stage step    reason  n
    0     input  NaN       NaN  3
    1  excluded   cv  CV > 15%  2
    2  analysed  NaN       NaN  1
    """
    log = _check_log(log)
    excluded = log.loc[log["action"] == "excluded"]
    tables = list(dict.fromkeys(excluded["table"].astype(str)))
    if table is None and len(tables) > 1:
        raise DataError(
            f"the exclusion log excludes rows of several tables ({', '.join(tables)}); "
            "pass table= to say which one n_input counts"
        )
    if table is not None:
        excluded = excluded.loc[excluded["table"].astype(str) == str(table)]
    n_input = int(n_input)
    first = excluded.drop_duplicates(subset=["table", "row"], keep="first")
    counts = (
        first.groupby(["step", "reason"], sort=False, dropna=False).size().rename("n").reset_index()
    )
    n_excluded = int(counts["n"].sum())
    if n_excluded > n_input:
        raise DataError(
            f"the exclusion log excludes {n_excluded} rows but n_input is only {n_input}"
        )
    n_left = n_input - n_excluded
    if n_analysed is not None and int(n_analysed) != n_left:
        raise DataError(
            f"exclusions do not add up: {n_input} input rows - {n_excluded} logged exclusions = "
            f"{n_left}, but {int(n_analysed)} rows were analysed; some exclusion is not logged"
        )
    rows = [("input", pd.NA, pd.NA, n_input)]
    rows += [("excluded", r.step, r.reason, int(r.n)) for r in counts.itertuples()]
    rows.append(("analysed", pd.NA, pd.NA, n_left))
    out = pd.DataFrame(rows, columns=["stage", "step", "reason", "n"])
    out = out.astype({"stage": "str", "step": "str", "reason": "str", "n": "int64"})
    assert out["n"].iloc[0] == out["n"].iloc[1:].sum()  # input = excluded + analysed
    return out


# ----------------------------------------------------------------------------- sentences
def _first_col(frame: pd.DataFrame, names: Sequence[str]) -> str | None:
    return next((c for c in names if c in frame.columns), None)


def _sentence_samples(samples: pd.DataFrame) -> str:
    if "analyte" not in samples.columns:
        raise DataError("samples_summary needs an 'analyte' column")
    keys = [c for c in ("analyte", "matrix", "method") if c in samples.columns]
    counted = "value" not in samples.columns and "n" in samples.columns
    parts = []
    for key, grp in samples.groupby(keys, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        info = dict(zip(keys, key))
        n = int(grp["n"].sum()) if counted else len(grp)
        where = f" in {info['matrix']}" if "matrix" in info and pd.notna(info["matrix"]) else ""
        how = f" by {info['method']}" if "method" in info and pd.notna(info["method"]) else ""
        parts.append(f"{info['analyte']}{where}{how} ({_plural(n, 'sample')})")
    total = int(samples["n"].sum()) if counted else len(samples)
    text = f"Hormone concentrations were determined in {_plural(total, 'sample')}"
    if "subject_id" in samples.columns:
        text += f" from {_plural(samples['subject_id'].nunique(), 'participant')}"
    text += f": {_join(parts)}."
    if "plate_id" in samples.columns and samples["plate_id"].notna().any():
        text += f" Samples were assayed on {_plural(samples['plate_id'].nunique(), 'plate')}."
    return text


#: How each LOD policy (``hs.apply_lod``) is described in the methods text.
LOD_POLICY_TEXT = {
    "flag": "raw readings were kept with a below-LOD flag and left out of the sample means",
    "lod/2": "readings below the LOD were replaced by LOD/2 in a derived column "
             "(Hornung & Reed, 1990)",
    "lod/sqrt2": "readings below the LOD were replaced by LOD/sqrt(2) in a derived column "
                 "(Hornung & Reed, 1990)",
    "censored": "readings below the LOD were treated as left-censored at the LOD",
}


def _sentence_lod(lod: pd.DataFrame, policy: str | None = None) -> str:
    needed = ["analyte", "pct_below_lod"]
    if any(c not in lod.columns for c in needed):
        raise DataError("lod_table needs columns analyte and pct_below_lod (see hs.lod_summary)")
    parts = []
    for r in lod.to_dict("records"):
        detail = []
        if "matrix" in r and pd.notna(r["matrix"]):
            detail.append(str(r["matrix"]))
        if "n_below_lod" in r and "n" in r and pd.notna(r["n"]):
            detail.append(f"{int(r['n_below_lod'])} of {int(r['n'])} readings")
        extra = f" ({'; '.join(detail)})" if detail else ""
        parts.append(f"{format_number(r['pct_below_lod'], 1)}% for {r['analyte']}{extra}")
    if policy is None:
        handling = "raw readings were kept with a below-LOD flag"
    else:
        if policy not in LOD_POLICY_TEXT:
            raise DataError(f"lod_policy {policy!r} unknown; allowed: {', '.join(LOD_POLICY_TEXT)}")
        handling = LOD_POLICY_TEXT[policy]
    return f"Readings below the limit of detection (LOD) made up {_join(parts)}; {handling}."


def _sentence_cv(cv: pd.DataFrame, cv_col: str | None, kind: str) -> str:
    preferred = ["intra_cv", "cv"] if kind == "intra" else ["inter_cv", "cv"]
    col = cv_col if cv_col in cv.columns else _first_col(cv, [*preferred, "cv_pct"])
    if col is None or "analyte" not in cv.columns:
        raise DataError(
            f"{kind}-assay CV table needs columns analyte and a CV column "
            f"({' or '.join(preferred)}, or name it with cv=)"
        )
    unit = "plate_id" if kind == "intra" else "control"
    unit_word = "plate" if kind == "intra" else "control"
    parts = []
    for analyte, grp in cv.groupby("analyte", sort=True):
        values = pd.to_numeric(grp[col], errors="coerce").dropna()
        if values.empty:
            continue
        text = f"{format_number(values.mean(), 1)}% for {analyte}"
        if unit in grp.columns and grp[unit].nunique() > 1:
            text += (
                f" (range {format_number(values.min(), 1)}–{format_number(values.max(), 1)}% "
                f"across {_plural(grp[unit].nunique(), unit_word)})"
            )
        parts.append(text)
    if not parts:
        return ""
    if kind == "intra":
        return f"Mean intra-assay coefficients of variation (CV) were {_join(parts)}."
    return f"Inter-assay CVs (of control samples across plates) were {_join(parts)}."


def _sentence_exclusions(log: pd.DataFrame) -> str:
    summary = exclusion_summary(log)
    if summary.empty:
        return "The exclusion log records no excluded, altered or flagged rows."
    sentences = []
    verbs = {"excluded": "excluded", "altered": "altered", "flagged": "flagged"}
    for action, verb in verbs.items():
        part = summary.loc[summary["action"] == action]
        if part.empty:
            continue
        total = int(log.loc[log["action"] == action].drop_duplicates(["table", "row"]).shape[0])
        items = [
            f"{_plural(int(r.n_rows), 'row')} of the {r.table} table "
            f"({_plural(int(r.n_subjects), 'participant')}) in step “{r.step}” ({r.reason})"
            for r in part.itertuples()
        ]
        sentences.append(
            f"In total, {_plural(total, 'row')} {'was' if total == 1 else 'were'} {verb}: "
            f"{_join(items)}."
        )
    return " ".join(sentences)


def _sentence_genotypes(qc: pd.DataFrame) -> str:
    snp_col = _first_col(qc, ["snp", "rsid"])
    p_col = _first_col(qc, ["hwe_p", "hwe_p_value", "p_hwe"])
    if snp_col is None:
        raise DataError("genotype_qc needs a 'snp' column (see hs.genotype_qc)")
    group_col = _first_col(qc, ["group", "ancestry"])
    parts, deviating = [], []
    for r in qc.to_dict("records"):
        name = str(r[snp_col])
        if group_col and pd.notna(r.get(group_col)):
            name += f" ({r[group_col]})"
        bits = []
        if p_col and pd.notna(r[p_col]):
            bits.append(f"HWE {format_p(r[p_col], with_p=True)}")
            if r[p_col] < 0.05:
                deviating.append(name)
        if "maf" in r and pd.notna(r["maf"]):
            minor = f", minor allele {r['minor_allele']}" if pd.notna(r.get("minor_allele")) else ""
            bits.append(f"MAF = {_no_lead(format_number(r['maf'], 3))}{minor}")
        if "call_rate" in r and pd.notna(r["call_rate"]):
            rate = float(r["call_rate"]) * (100 if float(r["call_rate"]) <= 1 else 1)
            bits.append(f"call rate {format_number(rate, 1)}%")
        if "n_called" in r and pd.notna(r["n_called"]):
            bits.append(f"n = {int(r['n_called'])}")
        parts.append(f"{name}: {', '.join(bits)}" if bits else name)
    text = f"Genotype quality control gave {'; '.join(parts)}."
    if p_col:
        text = (
            "Hardy–Weinberg equilibrium was tested with the exact test (Wigginton et al., "
            "2005). " + text
        )
        text += (
            f" Genotype frequencies deviated from Hardy–Weinberg equilibrium (p < .05) for "
            f"{_join(deviating)}."
            if deviating
            else " No genotype distribution deviated from Hardy–Weinberg equilibrium (p < .05)."
        )
    return text


def _reliability_records(reliability) -> list[dict]:
    table = getattr(reliability, "table", None)
    if isinstance(table, pd.DataFrame) and not isinstance(reliability, pd.DataFrame):
        reliability = table
    if isinstance(reliability, pd.DataFrame):
        name_col = _first_col(reliability, ["instrument", "scale", "subscale", "name", "term"])
        recs = []
        for r in reliability.to_dict("records"):
            name = (
                " ".join(
                    str(r[c])
                    for c in ("instrument", "subscale")
                    if c in r and pd.notna(r[c]) and str(r[c])
                )
                if "instrument" in r and "subscale" in r
                else str(r[name_col])
                if name_col
                else "scale"
            )
            recs.append({"name": name, **r})
        return recs
    if isinstance(reliability, Mapping):
        recs = []
        for name, value in reliability.items():
            if isinstance(value, Mapping):
                recs.append({"name": str(name), **value})
            elif isinstance(value, int | float | np.floating):
                recs.append({"name": str(name), "alpha": float(value)})
            else:
                recs.append({"name": str(name), **_attrs(value)})
        return recs
    return [{"name": "scale", **_attrs(reliability)}]


def _attrs(obj) -> dict:
    keys = ("alpha", "omega", "omega_total", "alpha_conf_low", "alpha_conf_high", "n_items")
    out = {k: getattr(obj, k) for k in keys if hasattr(obj, k)}
    table = getattr(obj, "table", None)
    if not out and isinstance(table, pd.DataFrame) and len(table) == 1:
        out = table.iloc[0].to_dict()
    return out


def _sentence_reliability(reliability) -> str:
    parts = []
    for r in _reliability_records(reliability):
        bits = []
        alpha = r.get("alpha")
        if alpha is not None and pd.notna(alpha):
            ci = ""
            lo = r.get("alpha_conf_low", r.get("alpha_ci_low"))
            hi = r.get("alpha_conf_high", r.get("alpha_ci_high"))
            if lo is not None and hi is not None and pd.notna(lo) and pd.notna(hi):
                ci = f" [{_no_lead(format_number(lo, 2))}, {_no_lead(format_number(hi, 2))}]"
            bits.append(f"α = {_no_lead(format_number(alpha, 2))}{ci}")
        omega = r.get("omega", r.get("omega_total"))
        if omega is not None and pd.notna(omega):
            bits.append(f"ω = {_no_lead(format_number(omega, 2))}")
        if bits:
            parts.append(f"{r['name']} ({', '.join(bits)})")
    if not parts:
        return ""
    return f"Internal consistency (Cronbach's α; McDonald's ω total) was {_join(parts)}."


def _describe_model(model) -> str:
    if isinstance(model, str):
        return model.rstrip(".")
    for method in ("describe", "methods_text"):
        fn = getattr(model, method, None)
        if callable(fn):
            return str(fn()).rstrip(".")
    family = type(model).__name__.removesuffix("Result").lower()
    y, x, m = (getattr(model, a, None) for a in ("y", "x", "m"))
    mediator = getattr(model, "mediator", None) or getattr(model, "mediators", None)
    n = getattr(model, "n", None) or getattr(getattr(model, "fit", None), "nobs", None)
    n_text = f" (n = {int(n)})" if n is not None and np.isfinite(float(n)) else ""
    if family == "gxe":
        gene, env = getattr(model, "gene", None), getattr(model, "env", None)
        coding = getattr(model, "coding", None)
        keller = getattr(model, "keller_terms", ())
        text = (
            f"In a gene × environment model, {y} was regressed on {env}, {gene}"
            + (f" ({coding} coding)" if coding else "")
            + f" and their interaction ({env} × {gene})"
        )
        if keller:
            text += ", with covariate × gene and covariate × environment terms (Keller, 2014)"
        return text + n_text
    if "moderation" in family and y and x and m:
        centred = " (mean-centred)" if getattr(model, "center", False) else ""
        return (
            f"In a moderation model, {y} was regressed on {x}, {m}{centred} and their "
            f"interaction ({x} × {m}){n_text}"
        )
    if "mediation" in family and y and x and mediator:
        med = mediator if isinstance(mediator, str) else _join(list(mediator))
        boot = getattr(model, "n_boot", None)
        ci = getattr(model, "ci", None)
        kind = f"{ci} " if isinstance(ci, str) else ""
        how = f" with a {kind}bootstrap ({int(boot)} resamples)" if boot else ""
        return (
            f"In a mediation model, the indirect effect of {x} on {y} through {med} was "
            f"estimated{how}{n_text}"
        )
    target = f" of {y}" if y else ""
    return f"A {family} model{target} was fitted{n_text}"


def _sentence_versions(versions: Mapping) -> str:
    if "packages" in versions and isinstance(versions["packages"], Mapping):
        python = versions.get("python", {})
        python = python.get("version") if isinstance(python, Mapping) else python
        versions = {"python": python, **versions["packages"]}
    versions = {k: v for k, v in versions.items() if v}
    python = versions.pop("python", None) or versions.pop("Python", None)
    order = ["hormonestats", "pandas", "numpy", "scipy", "statsmodels", "pingouin"]
    names = [n for n in order if n in versions] + [n for n in versions if n not in order]
    listed = _join([f"{n} {versions[n]}" for n in names])
    where = f"Python {python}" + (f" with {listed}" if listed else "") if python else listed
    return f"Analyses were run in {where}." if where else ""


def methods_text(
    *,
    samples_summary: pd.DataFrame | None = None,
    lod_table: pd.DataFrame | None = None,
    lod_policy: str | None = None,
    cv_table: pd.DataFrame | None = None,
    inter_cv_table: pd.DataFrame | None = None,
    log: pd.DataFrame | None = None,
    genotype_qc: pd.DataFrame | None = None,
    reliability=None,
    models: Sequence = (),
    versions: Mapping | None = None,
    cv: str | None = None,
) -> str:
    """A methods paragraph written from what was actually done (sentences only for inputs given).

    Parameters
    ----------
    samples_summary : DataFrame, optional
        Processed samples (``subject_id, analyte, matrix, [method], plate_id, value``) or a
        summary with an ``n`` column per analyte/matrix.
    lod_policy : str, optional
        The LOD policy used (``hs.apply_lod``), so the text says how readings below the LOD
        were handled; without it the text says only that they were flagged.
    lod_table : DataFrame, optional
        From ``hs.lod_summary``: ``analyte, matrix, n, n_below_lod, pct_below_lod``.
    cv_table, inter_cv_table : DataFrame, optional
        Intra-assay CVs per plate (``plate_id, analyte, cv``) and inter-assay CVs per analyte;
        ``cv=`` names the CV column when it is not ``cv``/``intra_cv``/``inter_cv``.
    log : DataFrame, optional
        The exclusion log; counts by step, table and reason are reported.
    genotype_qc : DataFrame, optional
        From ``hs.genotype_qc`` (``snp, call_rate, maf, minor_allele, hwe_p``).
    reliability : DataFrame, dict or result, optional
        ``alpha`` and ``omega`` per instrument/scale.
    models : sequence of results or str
        Models fitted (described from their variables) or ready sentences.
    versions : dict, optional
        Package -> version, or a manifest (its ``packages`` and ``python`` are used).

    Returns
    -------
    str

    Examples
    --------
    >>> from hormonestats.log import log_rows
    >>> s = pd.DataFrame({"subject_id": ["a", "b", "c"], "cv": [22.0, 3.0, 18.0]})
    >>> lg = log_rows("replicates", "samples", s, s["cv"] > 15, "excluded", "CV above 15%")
    >>> print(methods_text(log=lg))
    In total, 2 rows were excluded: 2 rows of the samples table (2 participants) in step “replicates” (CV above 15%).
    """
    sentences = []
    if samples_summary is not None:
        sentences.append(_sentence_samples(samples_summary))
    if cv_table is not None:
        sentences.append(_sentence_cv(cv_table, cv, "intra"))
    if inter_cv_table is not None:
        sentences.append(_sentence_cv(inter_cv_table, cv, "inter"))
    if lod_table is not None:
        sentences.append(_sentence_lod(lod_table, lod_policy))
    if genotype_qc is not None:
        sentences.append(_sentence_genotypes(genotype_qc))
    if reliability is not None:
        sentences.append(_sentence_reliability(reliability))
    if log is not None:
        sentences.append(_sentence_exclusions(log))
    if models:
        described = [_describe_model(m) for m in models]
        sentences.append(". ".join(described) + ".")
    if versions is not None:
        sentences.append(_sentence_versions(versions))
    return " ".join(s for s in sentences if s)

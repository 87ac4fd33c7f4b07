"""The sentences of the methods text, one builder per thing a run did.

Each builder takes the table that records what was done (a QC summary, the exclusion log, a
fitted result) and returns plain sentences in APA style: numbers through :mod:`.numbers`,
variables by their labels (``labels`` maps a column to words; otherwise the column name is
made readable), never an internal column or step name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import DataError
from .exclusions import exclusion_summary
from .numbers import _no_lead, format_number, format_p
from .verdicts import fdr_families, secondary_sentence

#: How each LOD policy (``hs.apply_lod``) is described in the methods text.
LOD_POLICY_TEXT = {
    "flag": "were kept as measured with a below-LOD flag and left out of the sample means",
    "lod/2": "were replaced by half the LOD (Hornung & Reed, 1990)",
    "lod/sqrt2": "were replaced by LOD/√2 (Hornung & Reed, 1990)",
    "censored": "were treated as left-censored at the LOD",
}

#: Log steps whose rows other sentences already describe (in words, with their numbers).
_DESCRIBED_ELSEWHERE = ("aggregate_replicates", "process_samples", "apply_lod")

#: Log steps in words, for the remaining log entries.
_STEP_WORDS = {
    "normalize_genotypes": "genotype calls",
    "score_instrument": "questionnaire scoring",
    "cycle": "cycle coding",
    "plausibility": "plausibility checks",
    "replicates": "replicate checks",
}


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        return f"{items[0]} and {items[1]}"
    return ", ".join(items[:-1]) + f", and {items[-1]}"


def _first_col(frame: pd.DataFrame, names: Sequence[str]) -> str | None:
    return next((c for c in names if c in frame.columns), None)


def _pct(part: float, whole: float) -> str:
    return format_number(100.0 * part / whole, 1) + "%" if whole else "—"


def label(name, labels: Mapping[str, str] | None = None) -> str:
    """Words for a column name: ``labels[name]``, else the name made readable.

    Examples
    --------
    >>> label("log_estradiol"), label("rs53576_add_A"), label("rs53576_GG_vs_Acarrier")
    ('log estradiol', 'rs53576 (A allele count)', 'rs53576 (GG vs. A carriers)')
    """
    name = str(name)
    if labels and name in labels:
        return str(labels[name])
    snp = re.fullmatch(r"(rs\d+)_add_([ACGT])", name)
    if snp:
        return f"{snp[1]} ({snp[2]} allele count)"
    snp = re.fullmatch(r"(rs\d+)_([ACGT]{2})_vs_([ACGT])carrier", name)
    if snp:
        return f"{snp[1]} ({snp[2]} vs. {snp[3]} carriers)"
    return name.replace("_", " ")


# ----------------------------------------------------------------------------- participants
def participants(subjects: pd.DataFrame, group: str | None, labels) -> str:
    """Sample size, group sizes, sex and age of the participants (plate controls are not
    participants: only the subjects table is counted)."""
    n = len(subjects)
    text = f"The sample comprised {_plural(n, 'participant')}"
    if group and group in subjects.columns:
        counts = subjects[group].value_counts(sort=False)
        word = label(group, labels)
        parts = [f"{int(k)} in the {lv} {word}"
                 for lv, k in sorted(counts.items(), key=lambda t: str(t[0]))]
        text += f": {_join(parts)}"
    text += "."
    if "sex" in subjects.columns and subjects["sex"].notna().any():
        counts = subjects["sex"].value_counts()
        parts = [f"{int(k)} {lv}" for lv, k in counts.items()]
        parts[0] = f"{parts[0].split(' ', 1)[0]} were {parts[0].split(' ', 1)[1]}"
        text += f" Of them, {_join(parts)}."
    if "age" in subjects.columns:
        age = pd.to_numeric(subjects["age"], errors="coerce").dropna()
        if len(age) > 1:
            text += (
                f" Age: M = {format_number(age.mean())}, SD = {format_number(age.std(ddof=1))}"
                f" years (range {format_number(age.min(), 0)}–{format_number(age.max(), 0)})."
            )
    return text


# ----------------------------------------------------------------------------- assays
_WELL_WORDS = {1: "a single well", 2: "duplicate wells", 3: "triplicate wells",
               4: "quadruplicate wells"}


def _wells(samples: pd.DataFrame) -> pd.Series | None:
    """Wells per sample: ``n_replicates`` of processed samples, or the rows of each sample of
    a raw table (one row per well); None when neither says."""
    if "n_replicates" in samples.columns:
        return pd.to_numeric(samples["n_replicates"], errors="coerce")
    keys = [c for c in ("subject_id", "session", "sample_id", "sample_time", "matrix",
                        "analyte") if c in samples.columns]  # as processing groups wells
    if "replicate" not in samples.columns or not {"subject_id", "analyte"} <= set(keys):
        return None
    sizes = samples.groupby(keys, dropna=False, sort=False)[keys[0]].transform("size")
    first = ~samples.duplicated(keys)
    return sizes[first].astype(float)


def _wells_words(wells: pd.Series | None) -> str:
    """``each in duplicate wells``, or ``80 in a single well and 40 in duplicate wells``."""
    if wells is None:
        return ""
    counts = wells.dropna().astype(int).value_counts().sort_index()
    if counts.empty:
        return ""
    word = lambda k: _WELL_WORDS.get(int(k), f"{int(k)} wells")  # noqa: E731
    if len(counts) == 1:
        return f"each in {word(counts.index[0])}"
    return _join([f"{int(n)} in {word(k)}" for k, n in counts.items()])


def _plates_words(grp: pd.DataFrame) -> str:
    """``on 4 plates``, ``no plate recorded`` or ``on 2 plates (plate not recorded for 10)``."""
    if "plate_id" not in grp.columns:
        return "no plate recorded"
    plates = grp["plate_id"].dropna().astype(str)
    plates = plates[plates.str.strip() != ""]
    if plates.empty:
        return "no plate recorded"
    text = f"on {_plural(plates.nunique(), 'plate')}"
    unplaced = len(grp) - len(plates)
    return text + (f" (plate not recorded for {unplaced})" if unplaced else "")


def samples_sentence(samples: pd.DataFrame, n_participants: int | None = None) -> str:
    """Per analyte, matrix and method: the samples, the wells per sample and the plates, as
    the data hold them (single and duplicate wells said as they are)."""
    if "analyte" not in samples.columns:
        raise DataError("samples_summary needs an 'analyte' column")
    if "sample_type" in samples.columns:  # plate controls are not participants' samples
        samples = samples.loc[samples["sample_type"].astype(str) != "control"]
    keys = [c for c in ("analyte", "matrix", "method") if c in samples.columns]
    counted = "value" not in samples.columns and "n" in samples.columns
    wells = None if counted else _wells(samples)
    if wells is not None and "n_replicates" not in samples.columns:
        samples = samples.loc[wells.index]  # a raw table: one row per sample from here on
    parts = []
    for key, grp in samples.groupby(keys, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        info = dict(zip(keys, key))
        n = int(grp["n"].sum()) if counted else len(grp)
        where = f" in {info['matrix']}" if "matrix" in info and pd.notna(info["matrix"]) else ""
        how = f" by {info['method']}" if "method" in info and pd.notna(info["method"]) else ""
        facts = [_plural(n, "sample")]
        if not counted:
            facts += [w for w in (_wells_words(None if wells is None else wells.loc[grp.index]),
                                  _plates_words(grp)) if w]
        parts.append(f"{info['analyte']}{where}{how} ({', '.join(facts)})")
    total = int(samples["n"].sum()) if counted else len(samples)
    text = f"Hormone concentrations were determined in {_plural(total, 'sample')}"
    if n_participants is None and "subject_id" in samples.columns:
        n_participants = int(samples["subject_id"].nunique())
    if n_participants is not None:
        text += f" from {_plural(n_participants, 'participant')}"
    return text + f": {_join(parts)}."


def plate_controls(log: pd.DataFrame) -> str:
    rows = log.loc[(log["step"] == "process_samples") & (log["action"] == "excluded")]
    rows = rows.loc[rows["reason"].astype(str).str.contains("control")]
    if rows.empty:
        return ""
    kinds = rows["subject_id"].nunique()
    return (
        f"The {_plural(len(rows), 'plate-control well')} ({_plural(kinds, 'control sample')}) "
        "served only to estimate assay precision and are not counted as participants' samples."
    )


def replicates(samples: pd.DataFrame, max_cv: float | None) -> str:
    """How the wells of samples assayed more than once were combined: median and range of the
    per-sample CVs, and how many exceeded the limit (nothing when every sample had one well)."""
    if not {"cv", "n_replicates"} <= set(samples.columns):
        return ""
    if "sample_type" in samples.columns:
        samples = samples.loc[samples["sample_type"].astype(str) != "control"]
    multi = samples.loc[pd.to_numeric(samples["n_replicates"], errors="coerce") > 1]
    cv = pd.to_numeric(multi["cv"], errors="coerce").dropna()
    if cv.empty:
        return ""
    which = ("each sample's wells" if len(multi) == len(samples) else
             f"the wells of the {_plural(len(multi), 'sample')} "
             f"({_pct(len(multi), len(samples))}) assayed in more than one well")
    text = (
        f"The readings of {which} were averaged; the coefficient of variation (CV) between a "
        f"sample's wells had a median of {format_number(cv.median(), 1)}% (range "
        f"{format_number(cv.min(), 1)}–{format_number(cv.max(), 1)}%)."
    )
    if max_cv is not None:
        flagged = int((cv > max_cv).sum()) if "cv_flag" not in multi else int(
            multi["cv_flag"].fillna(False).astype(bool).sum()
        )
        text += (
            f" In {_plural(flagged, 'sample')} ({_pct(flagged, len(cv))}) the CV exceeded the "
            f"{format_number(max_cv, 0)}% limit"
        )
        text += "; they were flagged and kept." if flagged else "."
    return text


def lod_sentence(lod: pd.DataFrame, policy: str | None = None) -> str:
    if any(c not in lod.columns for c in ("analyte", "pct_below_lod")):
        raise DataError("lod_table needs columns analyte and pct_below_lod (see hs.lod_summary)")
    if policy is not None and policy not in LOD_POLICY_TEXT:
        raise DataError(f"lod_policy {policy!r} unknown; allowed: {', '.join(LOD_POLICY_TEXT)}")
    below, none = [], []
    for r in lod.to_dict("records"):
        name = str(r["analyte"])
        if "matrix" in r and pd.notna(r["matrix"]) and lod["matrix"].nunique() > 1:
            name += f" in {r['matrix']}"
        pct = float(r["pct_below_lod"]) if pd.notna(r["pct_below_lod"]) else 0.0
        if pct > 0:
            count = (
                f"{int(r['n_below_lod'])} of {int(r['n'])} readings, "
                if "n_below_lod" in r and "n" in r and pd.notna(r["n"])
                else ""
            )
            below.append(f"{name} ({count}{format_number(pct, 1)}%)")
        else:
            none.append(name)
    if not below:
        return "No reading fell below the limit of detection (LOD)."
    text = f"Readings below the limit of detection (LOD) occurred for {_join(below)}"
    if none:
        text += f" and for none of the {_join(none)} readings"
    handling = LOD_POLICY_TEXT[policy] if policy else LOD_POLICY_TEXT["flag"]
    return text + f"; they {handling}."


def cv_sentence(cv: pd.DataFrame, cv_col: str | None, kind: str) -> str:
    if cv is None or cv.empty:
        return ""  # no replicate wells (or no plate controls): nothing to summarise
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
        return f"Mean intra-assay CVs were {_join(parts)}."
    return f"Inter-assay CVs (of control samples across plates) were {_join(parts)}."


# ----------------------------------------------------------------------------- log
def _participants_in(rows: pd.DataFrame, subject_ids) -> int:
    ids = rows["subject_id"].dropna().astype(str)
    if subject_ids is not None:
        ids = ids[ids.isin(subject_ids)]
    return int(ids.nunique())


def _reason_words(reasons: Sequence[str]) -> str:
    """The distinct reasons of a group of log rows; numbers left in, at most three listed."""
    reasons = list(dict.fromkeys(str(r) for r in reasons))
    if len(reasons) <= 3:
        return "; ".join(reasons)
    generic = list(dict.fromkeys(re.sub(r"\d+(\.\d+)?", "#", r) for r in reasons))
    if len(generic) <= 3:
        return "; ".join(g.replace("#", "k") for g in generic)
    return "; ".join(reasons[:2]) + f"; and {len(reasons) - 2} other reasons"


def _relabel(text: str, labels) -> str:
    """Column names inside a log reason replaced by their labels."""
    if not labels:
        return text
    return re.sub(r"[A-Za-z][A-Za-z0-9_]*", lambda m: str(labels.get(m[0], m[0])), text)


def _prorated(rows: pd.DataFrame, labels) -> str:
    """Prorated scale scores, counted per scale (the reasons name the scale first)."""
    scales = rows["reason"].astype(str).str.extract(r"^(\S+) prorated", expand=False)
    counts = scales.fillna("other").value_counts(sort=False)
    listed = _join([f"{int(n)} {label(sc, labels)}" for sc, n in counts.items()])
    who = rows["subject_id"].nunique()
    return (f"{_plural(len(rows), 'scale score')} of {_plural(who, 'participant')} with few "
            f"missing items, prorated from the items answered ({listed})")


def log_sentences(log: pd.DataFrame, subject_ids=None, skip=_DESCRIBED_ELSEWHERE,
                  labels=None) -> str:
    """Every exclusion, alteration and flag of the log that no other sentence describes,
    counted by table and step; participants are counted among ``subject_ids`` (so plate
    controls are not participants)."""
    summary = exclusion_summary(log)
    if summary.empty:
        return "The exclusion log records no excluded, altered or flagged rows."
    described = log["step"].astype(str).map(lambda st: any(st.startswith(k) for k in skip))
    rest = log.loc[~described]
    sentences = []
    for action in ("excluded", "altered", "flagged"):
        part = rest.loc[rest["action"] == action]
        if part.empty:
            continue
        items = []
        for (step, table), rows in part.groupby(["step", "table"], sort=False):
            if step == "score_instrument" and action == "altered":
                items.append(_prorated(rows, labels))
                continue
            n_rows = int(rows.drop_duplicates(["table", "row"]).shape[0])
            who = _participants_in(rows, subject_ids)
            step_words = _STEP_WORDS.get(str(step), f"step “{step}”")
            items.append(
                f"{_plural(n_rows, 'row')} of the {table} table "
                f"({_plural(who, 'participant')}) in {step_words} "
                f"({_relabel(_reason_words(rows['reason']), labels)})"
            )
        if action == "excluded":
            total = int(part.drop_duplicates(["table", "row"]).shape[0])
            lead = f"In total, {_plural(total, 'row')} {'was' if total == 1 else 'were'} excluded"
        elif action == "altered":
            lead = "Altered values (the originals are kept)"
        else:
            lead = "Flagged and kept"
        sentences.append(f"{lead[0].upper()}{lead[1:]}: {_join(items)}.")
    return " ".join(sentences)


# ----------------------------------------------------------------------------- genotypes etc.
def genotypes(qc: pd.DataFrame) -> str:
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
        if "call_rate" in r and pd.notna(r["call_rate"]):
            rate = float(r["call_rate"]) * (100 if float(r["call_rate"]) <= 1 else 1)
            bits.append(f"call rate {format_number(rate, 1)}%")
        if "n_called" in r and pd.notna(r["n_called"]):
            bits.append(f"n = {int(r['n_called'])}")
        if "maf" in r and pd.notna(r["maf"]):
            minor = f", minor allele {r['minor_allele']}" if pd.notna(r.get("minor_allele")) else ""
            bits.append(f"MAF = {_no_lead(format_number(r['maf'], 3))}{minor}")
        if p_col and pd.notna(r[p_col]):
            bits.append(f"HWE {format_p(r[p_col], with_p=True)}")
            if r[p_col] < 0.05:
                deviating.append(name)
        parts.append(f"{name} ({', '.join(bits)})" if bits else name)
    text = f"Genotype quality control gave {_join(parts)}."
    if p_col:
        text = (
            "Hardy–Weinberg equilibrium (HWE) was tested with the exact test (Wigginton et al., "
            "2005). " + text
        )
        text += (
            f" Genotype frequencies deviated from HWE (p < .05) for {_join(deviating)}."
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
            if "instrument" in r and "subscale" in r:
                name = " ".join(
                    str(r[c]) for c in ("instrument", "subscale") if pd.notna(r[c]) and str(r[c])
                )
            else:
                name = str(r[name_col]) if name_col else "scale"
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


def reliability_sentence(reliability, labels=None) -> str:
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
            parts.append(f"{label(r['name'], labels)} ({', '.join(bits)})")
    if not parts:
        return ""
    return f"Internal consistency (Cronbach's α; McDonald's ω total) was {_join(parts)}."


# ----------------------------------------------------------------------------- models
def _adjusted(facts, labels) -> str:
    covs = [re.sub(r"\[T\..*\]$", "", str(c)) for c in (facts.get("covariates") or ())]
    covs = list(dict.fromkeys(c for c in covs if c))
    return f", adjusted for {_join([label(c, labels) for c in covs])}" if covs else ""


def _with_note(text: str, note: str) -> str:
    """``text (note)``, or ``text (inner; note)`` when text already ends in parentheses."""
    if text.endswith(")") and "(" in text:
        return f"{text[:-1]}; {note})"
    return f"{text} ({note})"


def describe_model(model, labels=None) -> str:
    """One sentence on a fitted model: family, outcome, predictors, covariates, n.

    ``model`` is a model result (its :meth:`~hormonestats.results.ModelResult.methods_facts`
    say what to write), a mapping of such facts, or a sentence of the user's own.
    """
    if isinstance(model, str):
        return model.rstrip(".")
    facts = dict(model) if isinstance(model, Mapping) else model.methods_facts()
    family = str(facts.get("family", "regression")).replace("_", " ")
    lab = lambda v: label(v, labels)  # noqa: E731
    y, x, m = (facts.get(a) for a in ("y", "x", "m"))
    mediator = facts.get("mediators")
    n = facts.get("n_obs")
    n_text = f" (n = {int(n)})" if n is not None and np.isfinite(float(n)) else ""
    adjusted = _adjusted(facts, labels)
    if family == "gxe":
        gene, env = facts.get("gene"), facts.get("env")
        coding = facts.get("coding")
        keller = facts.get("keller_terms", ())
        snp = re.match(r"rs\d+", str(gene))
        gene_name = snp[0] if coding and snp and not (labels and gene in labels) else lab(gene)
        text = (
            f"in a gene × environment model, {lab(y)} was regressed on {lab(env)}, "
            + (_with_note(gene_name, f"{coding} coding") if coding else gene_name)
            + f" and their interaction ({lab(env)} × {gene_name}){adjusted}{n_text}"
        )
        if keller:
            text += ", with covariate × gene and covariate × environment terms (Keller, 2014)"
        return text
    if family == "moderation" and y and x and m:
        centred = " (mean-centred)" if facts.get("centred", False) else ""
        return (
            f"in a moderation model, {lab(y)} was regressed on {lab(x)}, {lab(m)}{centred} and "
            f"their interaction ({lab(x)} × {lab(m)}){adjusted}{n_text}"
        )
    if family == "mediation" and y and x and mediator:
        med = lab(mediator) if isinstance(mediator, str) else _join([lab(v) for v in mediator])
        boot = facts.get("n_boot")
        ci = facts.get("ci")
        kind = f"{ci} " if isinstance(ci, str) else ""
        how = f" with a {kind}bootstrap ({int(boot)} resamples)" if boot else ""
        return (
            f"in a mediation model, the indirect effect of {lab(x)} on {lab(y)} through {med} "
            f"was estimated{how}{adjusted}{n_text}"
        )
    if family == "censored mixed" and y:
        cens, group = facts.get("n_censored"), facts.get("group")
        per = f" per {lab(group)}" if group else ""
        return (
            f"in a mixed model with a censored outcome ({facts.get('formula', lab(y))}), "
            f"{int(cens or 0)} readings of {lab(y)} outside the assay's limits were treated as "
            f"censored, with random effects{per}, by maximum likelihood with "
            f"{facts.get('estimation', 'adaptive quadrature')}{adjusted}{n_text}"
        )
    serial = ""
    if facts.get("correlation"):  # hs.mixed(correlation=...): AR(1) / CAR(1) residuals
        phi = facts.get("phi")
        serial = f", with {facts['correlation']}" + (
            f" (phi = {_no_lead(format_number(float(phi), 2))})" if phi is not None else "")
    if y and x:
        return (f"in a {family} model, {lab(y)} was regressed on {lab(x)}{adjusted}{n_text}"
                f"{serial}")
    target = f" of {lab(y)}" if y else ""
    return f"a {family} model{target} was fitted{adjusted}{n_text}{serial}"


def models_sentences(models, labels=None) -> str:
    if isinstance(models, Mapping):
        items = [f"For hypothesis “{name}”, {describe_model(m, labels)}."
                 for name, m in models.items() if m is not None]
    else:
        items = []
        for m in models:
            text = describe_model(m, labels)
            items.append(text[0].upper() + text[1:] + ".")
    return " ".join(items)


def multiplicity(hypotheses: pd.DataFrame, alpha: float = 0.05,
                 fdr_method: str = "fdr_bh") -> str:
    """How the family was tested and adjusted (``fdr_method`` of hs.fdr), what was not tested."""
    if "hypothesis" not in hypotheses.columns:
        raise DataError("hypotheses needs a 'hypothesis' column (a family table)")
    status = hypotheses.get("status", pd.Series("tested", index=hypotheses.index)).astype(str)
    fam = fdr_families(hypotheses)
    tested = hypotheses.loc[(status == "tested") & (fam == "primary")]
    text = (f"The {_plural(len(tested), 'registered hypothesis', 'registered hypotheses')} "
            "were tested as one family, each on the term that states it")
    if "p_fdr" in hypotheses.columns:
        from ..models.effects import FDR_METHOD_WORDS  # statsmodels: loaded only here
        procedure, symbol = FDR_METHOD_WORDS.get(fdr_method, (f"the {fdr_method} correction", "α"))
        text += (f"; p values were adjusted across the family with {procedure}, {symbol} = "
                 f"{_no_lead(format_number(alpha, 2))}")
    text += "." + secondary_sentence(hypotheses.loc[(status == "tested") & (fam != "primary")])
    if "predicted_sign" in hypotheses.columns:
        text += (" A hypothesis counts as supported only when its adjusted p value is below "
                 "that level and the estimate has the predicted sign.")
    untested = hypotheses.loc[status != "tested"]
    if len(untested):
        why = [f"“{r['hypothesis']}” ({r.get('reason') or r.get('status')})"
               for r in untested.to_dict("records")]
        text += f" Not tested: {_join(why)}."
    return text


def versions_sentence(versions: Mapping) -> str:
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

"""Methods text generated from what a run actually did, in paragraphs by stage.

Used through :mod:`hormonestats.report` (``hs.report.methods_text``). Every number in the text
comes from the tables passed in (the subjects table, the exclusion log, LOD and CV summaries,
genotype QC, reliabilities, the fitted models and the hypothesis family), never from defaults.
Each paragraph opens with its stage as a run-in heading (APA level 4): *Participants*,
*Sampling and assays*, *Derived variables*, *Models*, *Multiplicity*, *Software*.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping, Sequence

import pandas as pd

from . import methods_sentences as say
from .exclusions import exclusion_accounting, exclusion_summary
from .methods_sentences import LOD_POLICY_TEXT

__all__ = [
    "LOD_POLICY_TEXT",
    "STAGES",
    "exclusion_accounting",
    "exclusion_summary",
    "methods_sections",
    "methods_text",
]

#: The stages of the methods text, in order (each paragraph's run-in heading).
STAGES = (
    "Participants",
    "Sampling and assays",
    "Derived variables",
    "Models",
    "Multiplicity",
    "Software",
)

_TRANSFORM_TEXT = {
    "log": "Hormone concentrations were natural-log transformed for the analyses.",
    "log10": "Hormone concentrations were log10 transformed for the analyses.",
    "none": "Hormone concentrations entered the analyses untransformed.",
}


def methods_sections(
    *,
    subjects: pd.DataFrame | None = None,
    group: str | None = None,
    samples_summary: pd.DataFrame | None = None,
    lod_table: pd.DataFrame | None = None,
    lod_policy: str | None = None,
    cv_table: pd.DataFrame | None = None,
    inter_cv_table: pd.DataFrame | None = None,
    max_cv: float | None = None,
    transform: str | None = None,
    log: pd.DataFrame | None = None,
    genotype_qc: pd.DataFrame | None = None,
    reliability=None,
    models: Sequence | Mapping = (),
    hypotheses: pd.DataFrame | None = None,
    alpha: float = 0.05,
    fdr_method: str = "fdr_bh",
    versions: Mapping | None = None,
    cv: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> list[tuple[str, str]]:
    """The methods text as ``(stage, paragraph)`` pairs; stages without input are left out.

    Parameters
    ----------
    subjects : DataFrame, optional
        The subjects table: sample size, group sizes, sex and age. Only these count as
        participants (plate controls never do).
    group : str, optional
        Column of ``subjects`` with the arm or group.
    samples_summary : DataFrame, optional
        Processed samples (``subject_id, analyte, matrix, [method], plate_id, value`` and, after
        replicate aggregation, ``cv, n_replicates, cv_flag``) or a summary with ``n``.
    lod_table : DataFrame, optional
        From ``hs.lod_summary``: ``analyte, matrix, n, n_below_lod, pct_below_lod``.
    lod_policy : str, optional
        The LOD policy used (``hs.apply_lod``), described in words.
    cv_table, inter_cv_table : DataFrame, optional
        Intra-assay CVs per plate and inter-assay CVs of the controls; ``cv=`` names the CV
        column when it is not ``cv``/``intra_cv``/``inter_cv``.
    max_cv : float, optional
        The replicate CV limit (%): the text counts the samples above it.
    transform : str, optional
        How hormone concentrations were transformed (``"log"``, ``"log10"``, ``"none"``).
    log : DataFrame, optional
        The exclusion log; entries no other sentence covers are counted by table and step.
    genotype_qc : DataFrame, optional
        From ``hs.genotype_qc`` (``snp, call_rate, maf, minor_allele, hwe_p``).
    reliability : DataFrame, dict or result, optional
        ``alpha`` and ``omega`` per instrument/scale.
    models : sequence of results or str, or dict of hypothesis -> result
        Models fitted (described from their variables and covariates) or ready sentences.
    hypotheses : DataFrame, optional
        The hypothesis family table (``hs.test_hypotheses(...).table``): multiplicity control.
    alpha : float
        The FDR (or family-wise error) level.
    fdr_method : str
        The multiplicity correction of the family (a :func:`hormonestats.fdr` method).
    versions : dict, optional
        Package -> version, or a manifest (its ``packages`` and ``python`` are used).
    labels : dict, optional
        Column -> words, so variables read as the paper names them.

    Returns
    -------
    list of (str, str)
        ``(stage, paragraph)`` in the order of ``STAGES``.
    """
    subject_ids = None
    if subjects is not None and "subject_id" in subjects.columns:
        subject_ids = set(subjects["subject_id"].astype(str))
    parts: dict[str, list[str]] = {stage: [] for stage in STAGES}
    if subjects is not None:
        parts["Participants"].append(say.participants(subjects, group, labels))
    if samples_summary is not None:
        n_part = None
        if subject_ids is not None and "subject_id" in samples_summary.columns:
            ids = samples_summary["subject_id"].astype(str)
            n_part = int(ids[ids.isin(subject_ids)].nunique())
        parts["Sampling and assays"].append(say.samples_sentence(samples_summary, n_part))
    if log is not None:
        parts["Sampling and assays"].append(say.plate_controls(log))
    if samples_summary is not None:
        parts["Sampling and assays"].append(say.replicates(samples_summary, max_cv))
    if cv_table is not None:
        parts["Sampling and assays"].append(say.cv_sentence(cv_table, cv, "intra"))
    if inter_cv_table is not None:
        parts["Sampling and assays"].append(say.cv_sentence(inter_cv_table, cv, "inter"))
    if lod_table is not None:
        parts["Sampling and assays"].append(say.lod_sentence(lod_table, lod_policy))
    if transform is not None:
        parts["Derived variables"].append(_TRANSFORM_TEXT.get(
            str(transform), f"Hormone concentrations were transformed ({transform})."))
    if genotype_qc is not None:
        parts["Derived variables"].append(say.genotypes(genotype_qc))
    if reliability is not None:
        parts["Derived variables"].append(say.reliability_sentence(reliability, labels))
    if log is not None:
        parts["Derived variables"].append(say.log_sentences(log, subject_ids, labels=labels))
    if models:
        parts["Models"].append(say.models_sentences(models, labels))
    if hypotheses is not None:
        parts["Multiplicity"].append(say.multiplicity(hypotheses, alpha, fdr_method))
    if versions is not None:
        parts["Software"].append(say.versions_sentence(versions))
    return [(stage, " ".join(s for s in texts if s)) for stage, texts in parts.items()
            if any(texts)]


def methods_text(*, fmt: str = "text", **inputs) -> str:
    """A methods section written from what was actually done, one paragraph per stage.

    Parameters
    ----------
    **inputs
        What was done, by stage: the keywords of :func:`methods_sections` (subjects, group,
        samples_summary, lod_table, lod_policy, cv_table, inter_cv_table, max_cv, transform,
        log, genotype_qc, reliability, models, hypotheses, alpha, fdr_method, versions, cv,
        labels).
    fmt : {"text", "markdown"}
        Plain paragraphs ("Participants. The sample ...") or Markdown with the run-in headings
        in bold.

    Returns
    -------
    str
        Paragraphs separated by blank lines.

    Examples
    --------
    >>> from hormonestats.log import log_rows
    >>> s = pd.DataFrame({"subject_id": ["a", "b", "c"], "cv": [22.0, 3.0, 18.0]})
    >>> lg = log_rows("replicates", "samples", s, s["cv"] > 15, "excluded", "CV above 15%")
    >>> print(methods_text(log=lg))
    Derived variables. In total, 2 rows were excluded: 2 rows of the samples table (2 participants) in replicate checks (CV above 15%).
    """
    if fmt not in ("text", "markdown"):
        raise ValueError(f"fmt must be 'text' or 'markdown', got {fmt!r}")
    sections = methods_sections(**inputs)
    if fmt == "markdown":
        return "\n\n".join(f"**{stage}.** {text}" for stage, text in sections)
    return "\n\n".join(f"{stage}. {text}" for stage, text in sections)


_HEADING = re.compile(r"^(?:\*\*)?(" + "|".join(map(re.escape, STAGES)) + r")\.(?:\*\*)? ")


def split_paragraphs(text: str) -> list[tuple[str | None, str]]:
    """``(stage or None, body)`` for each paragraph of a methods text (plain or Markdown)."""
    out = []
    for para in (p.strip() for p in str(text).split("\n\n")):
        if not para:
            continue
        match = _HEADING.match(para)
        out.append((match[1], para[match.end():]) if match else (None, para))
    return out


def _methods_text_signature() -> inspect.Signature:
    """``methods_text``'s full signature (``methods_sections``' keywords and ``fmt``), so that
    ``help()`` and editors list every keyword."""
    own = inspect.signature(methods_sections)
    fmt = inspect.Parameter("fmt", inspect.Parameter.KEYWORD_ONLY, default="text",
                            annotation="str")
    return own.replace(parameters=[*own.parameters.values(), fmt], return_annotation="str")


methods_text.__signature__ = _methods_text_signature()

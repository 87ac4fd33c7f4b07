"""Genotype calls as labs write them: reading, checking and ordering each call.

A call such as ``"AG"``, ``"G/A"``, ``"a|g"`` or a dosage ``1`` (copies of a declared counted
allele) is read into one canonical string per call, its alleles in the order of the SNP
registry (:mod:`hormonestats.registry.snps`); calls on the reverse strand are complemented
first. :func:`genotype_problems` lists every unreadable call without raising, for validation;
:func:`hormonestats.derive.genotypes.normalize_genotypes` writes the canonical calls.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..checks import require_columns
from ..errors import ContractError, format_rows
from ..registry.snps import SNPS, Snp

__all__ = ["NO_CALLS", "GenotypeCalls", "genotype_problems", "problem_message", "read_calls"]

#: Strings read as "no call" (compared after stripping and upper-casing), plus None/NaN.
NO_CALLS = frozenset({"", "00", "--", "NA", "N/A", "NAN", "0/0", "0|0", "-/-", "NONE", "NN"})

_COMPLEMENT = {"A": "T", "T": "A", "C": "G", "G": "C"}
_SEPARATORS = re.compile(r"[\s/|:;,_-]+")
_DOSAGE = re.compile(r"^[012](\.0*)?$")
_PROBLEM_COLUMNS = ["row", "column", "value", "snp", "message"]


def _is_missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip().upper() in NO_CALLS


def _strand_of(strand, rsid: str) -> str:
    if strand is None:
        return "forward"
    if isinstance(strand, str):
        value = strand
    else:
        value = strand.get(rsid, "forward")
    value = str(value).lower()
    if value not in ("forward", "reverse"):
        raise ContractError(f"strand for {rsid} must be 'forward' or 'reverse', got {value!r}")
    return value


def _parse_one(value, snp: Snp, strand: str, counted: str | None):
    """Parse one call. Returns (canonical string or None, problem message or None)."""
    allowed = snp.alleles
    # numeric dosage: 0/1/2 copies of a declared counted allele
    is_number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, bool
    )
    text = None if is_number else str(value).strip()
    if is_number or (text is not None and _DOSAGE.match(text)):
        dose = float(value) if is_number else float(text)
        if counted is None:
            return None, (
                f"numeric genotype {value!r} needs a declared counted allele for {snp.rsid} "
                f"(counted_allele={{'{snp.rsid}': one of {', '.join(allowed)}}})"
            )
        if dose not in (0.0, 1.0, 2.0):
            return None, f"numeric genotype {value!r} is not 0, 1 or 2 copies"
        other = allowed[1] if counted == allowed[0] else allowed[0]
        k = int(dose)
        calls = [counted] * k + [other] * (2 - k)
        return _canonical(calls, allowed), None
    letters = _SEPARATORS.sub("", text.upper())
    if len(letters) != 2:
        return None, (
            f"cannot read genotype {value!r} for {snp.rsid}: expected two alleles from "
            f"{', '.join(allowed)} (e.g. {snp.genotypes[1]!r}, "
            f"'{allowed[0]}/{allowed[1]}')"
        )
    calls = list(letters)
    if strand == "reverse":
        calls = [_COMPLEMENT.get(c, c) for c in calls]
    bad = [c for c in calls if c not in allowed]
    if bad:
        hint = "" if strand == "reverse" else "; if called on the reverse strand, declare it"
        return None, (
            f"allele(s) {', '.join(sorted(set(bad)))} in {value!r} not in {snp.rsid}'s "
            f"alleles {', '.join(allowed)}{hint}"
        )
    return _canonical(calls, allowed), None


def _canonical(calls, allowed) -> str:
    order = {a: i for i, a in enumerate(allowed)}
    return "".join(sorted(calls, key=order.__getitem__))


def _check_counted(counted_allele) -> dict:
    if counted_allele is None:
        return {}
    if isinstance(counted_allele, str):
        raise ContractError(
            "counted_allele must be a mapping rsid -> allele, e.g. {'rs53576': 'A'}"
        )
    out = {}
    for rsid, allele in counted_allele.items():
        snp = SNPS.get(str(rsid).lower())
        if snp is None:
            raise ContractError(
                f"counted_allele names unknown SNP {rsid!r}; known rsIDs: {', '.join(sorted(SNPS))}"
            )
        allele = str(allele).upper()
        if allele not in snp.alleles:
            raise ContractError(
                f"counted allele {allele!r} for {snp.rsid} is not one of its alleles "
                f"{', '.join(snp.alleles)}"
            )
        out[snp.rsid] = allele
    return out


@dataclass(frozen=True)
class GenotypeCalls:
    """What :func:`read_calls` finds in a genotypes table.

    Attributes
    ----------
    calls : list
        Canonical call per row (None for a no-call or an unreadable call).
    problems : DataFrame
        ``row, column, value, snp, message``: one row per unreadable call or unknown rsID.
    no_call : Series of bool
        Rows whose call is a no-call (:data:`NO_CALLS`, None, NaN).
    """

    calls: list
    problems: pd.DataFrame
    no_call: pd.Series


def read_calls(data: pd.DataFrame, snp_col: str, genotype_col: str, strand=None,
               counted_allele=None) -> GenotypeCalls:
    """Read every call of a long genotypes table (arguments as :func:`genotype_problems`)."""
    require_columns(data, [snp_col, genotype_col], table="genotypes", step="reading calls")
    counted = _check_counted(counted_allele)
    std: list = []
    problems: list[dict] = []
    nocall = []
    for label, rsid_raw, value in zip(data.index, data[snp_col], data[genotype_col]):
        rsid = None if _is_missing(rsid_raw) else str(rsid_raw).strip().lower()
        snp = SNPS.get(rsid) if rsid is not None else None
        if snp is None:
            std.append(None)
            nocall.append(False)
            problems.append(
                {
                    "row": label,
                    "column": snp_col,
                    "value": rsid_raw,
                    "snp": rsid_raw,
                    "message": (
                        f"unknown SNP {rsid_raw!r}; known rsIDs: {', '.join(sorted(SNPS))}"
                    ),
                }
            )
            continue
        if _is_missing(value):
            std.append(None)
            nocall.append(True)
            continue
        call, message = _parse_one(value, snp, _strand_of(strand, snp.rsid), counted.get(snp.rsid))
        std.append(call)
        nocall.append(False)
        if message is not None:
            problems.append(
                {
                    "row": label,
                    "column": genotype_col,
                    "value": value,
                    "snp": snp.rsid,
                    "message": message,
                }
            )
    frame = pd.DataFrame(problems, columns=_PROBLEM_COLUMNS)
    if frame.empty:
        frame = pd.DataFrame({c: pd.Series(dtype="object") for c in _PROBLEM_COLUMNS})
    return GenotypeCalls(std, frame, pd.Series(nocall, index=data.index, dtype=bool))


def genotype_problems(
    data: pd.DataFrame,
    *,
    snp: str = "snp",
    genotype: str = "genotype",
    strand=None,
    counted_allele=None,
) -> pd.DataFrame:
    """Every unreadable call in a genotypes table, without raising.

    Parameters
    ----------
    data : DataFrame
        Long genotypes table.
    snp, genotype : str
        Column names of the rsID and of the call.
    strand : None, str or Mapping[str, str]
        ``"forward"`` (default) or ``"reverse"``, for all SNPs or per rsID.
    counted_allele : Mapping[str, str], optional
        rsID -> allele counted by numeric (0/1/2) calls.

    Returns
    -------
    DataFrame
        Columns ``row, column, value, snp, message``; one row per problem (unknown rsID,
        unreadable call, allele outside the SNP's set, numeric call without a counted allele).
        No-calls are not problems.

    Examples
    --------
    >>> df = pd.DataFrame({"snp": ["rs53576", "rs53576", "rs0"], "genotype": ["AG", "AC", "AA"]})
    >>> genotype_problems(df)[["row", "column", "snp"]]
       row    column      snp
    0    1  genotype  rs53576
    1    2       snp      rs0
    """
    return read_calls(data, snp, genotype, strand, counted_allele).problems


def problem_message(problems: pd.DataFrame, snp_col: str, genotype_col: str) -> str:
    """One message listing every problem of :func:`genotype_problems`, grouped by column and SNP."""
    parts = []
    for (column, rsid), grp in problems.groupby(["column", "snp"], sort=False, dropna=False):
        values = ", ".join(repr(v) for v in pd.unique(grp["value"])[:8])
        if column == snp_col:
            parts.append(
                f"column {column!r}: unknown SNP {rsid!r} at {format_rows(grp['row'])}; "
                f"known rsIDs: {', '.join(sorted(SNPS))}"
            )
        else:
            reg = SNPS[rsid]
            parts.append(
                f"column {column!r}, {rsid}: {format_rows(grp['row'])} (values {values}); "
                f"allowed alleles {', '.join(reg.alleles)} (genotypes "
                f"{', '.join(reg.genotypes)}). {grp['message'].iloc[0]}"
            )
    return f"genotypes table has {len(problems)} unreadable call(s):\n- " + "\n- ".join(parts)

"""Genotype calls: normalisation, coding for models, quality control and the exact HWE test.

The genotypes table is long: one row per call, with columns ``subject_id``, ``snp`` (rsID)
and ``genotype``. :func:`normalize_genotypes` turns the many ways labs write a call
(``"AG"``, ``"G/A"``, ``"a|g"``, ``1`` with a declared counted allele) into one canonical
string per call, ordered by the SNP registry (:mod:`hormonestats.registry.snps`), and logs every
no-call. :func:`code_genotypes` makes model-ready columns whose names say the coding;
:func:`genotype_qc` gives call rate, allele frequencies, minor allele frequency and the exact
Hardy-Weinberg test of Wigginton, Cutler & Abecasis 2005 (:func:`hwe_exact`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from ..checks import require_columns
from ..errors import ContractError, DataError, format_rows
from ..log import Derived, empty_log, log_rows
from ..registry.snps import SNPS, Snp
from ..study.genotype_calls import problem_message, read_calls

__all__ = [
    "CODINGS",
    "GROUPINGS",
    "Grouping",
    "code_genotypes",
    "genotype_qc",
    "hwe_exact",
    "normalize_genotypes",
]

#: Codings accepted by :func:`code_genotypes`.
CODINGS = ("additive", "dominant", "recessive", "heterozygote", "group")


@dataclass(frozen=True)
class Grouping:
    """A named split of a SNP's genotypes used in the literature.

    Attributes
    ----------
    name : str
        Column name the coding produces, e.g. ``"rs53576_GG_vs_Acarrier"``.
    snp : str
        rsID.
    groups : Mapping[str, tuple[str, ...]]
        Group label -> canonical genotypes in the group (labels are the column's values).
    reference : str
        The label of the reference group (listed first in the column name).
    citation : str
        Where the split comes from.
    """

    name: str
    snp: str
    groups: Mapping[str, tuple[str, ...]]
    reference: str
    citation: str


#: Named genotype groupings, as data (name -> :class:`Grouping`).
GROUPINGS: Mapping[str, Grouping] = MappingProxyType(
    {
        "rs53576_GG_vs_Acarrier": Grouping(
            name="rs53576_GG_vs_Acarrier",
            snp="rs53576",
            groups=MappingProxyType({"GG": ("GG",), "A_carrier": ("AA", "AG")}),
            reference="GG",
            citation=(
                "Rodrigues et al. 2009; Bakermans-Kranenburg & van IJzendoorn 2014; "
                "Li et al. 2015 (GG homozygotes vs A-allele carriers)"
            ),
        ),
        "rs2254298_GG_vs_Acarrier": Grouping(
            name="rs2254298_GG_vs_Acarrier",
            snp="rs2254298",
            groups=MappingProxyType({"GG": ("GG",), "A_carrier": ("AA", "AG")}),
            reference="GG",
            citation="Bakermans-Kranenburg & van IJzendoorn 2014 (A-carriers vs GG)",
        ),
    }
)


def normalize_genotypes(
    data: pd.DataFrame,
    *,
    snp: str = "snp",
    genotype: str = "genotype",
    strand=None,
    counted_allele=None,
) -> Derived:
    """Canonical genotype strings, ordered by the SNP registry, in a new ``genotype_std`` column.

    Accepts ``"AG"``, ``"GA"``, ``"A/G"``, ``"G/A"``, ``"A|G"``, ``"A G"``, lower case, and
    numeric dosages 0/1/2 when ``counted_allele`` declares the allele counted for that SNP.
    No-calls (``"00"``, ``"--"``, ``"NA"``, ``""``, ``"0/0"``, None, NaN; see
    :data:`~hormonestats.study.genotype_calls.NO_CALLS`)
    become missing and each is logged as ``flagged``. The caller's frame is not changed; the
    raw ``genotype`` column is kept.

    Parameters
    ----------
    data : DataFrame
        Long genotypes table (``subject_id``, ``snp``, ``genotype``).
    snp, genotype : str
        Column names of the rsID and of the call.
    strand : None, str or Mapping[str, str]
        ``"forward"`` (default) or ``"reverse"``, for all SNPs or per rsID. Calls declared
        reverse are complemented (A<->T, C<->G) before they are checked.
    counted_allele : Mapping[str, str], optional
        rsID -> allele that numeric calls count.

    Returns
    -------
    Derived
        ``(data with genotype_std, log)``.

    Raises
    ------
    DataError
        Listing every row whose call cannot be read or holds an allele outside the SNP's set
        (with the allowed alleles), and every unknown rsID.

    Examples
    --------
    >>> df = pd.DataFrame({"subject_id": ["s1", "s2", "s3"], "snp": "rs53576",
    ...                    "genotype": ["G/A", "gg", "--"]})
    >>> out, log = normalize_genotypes(df)
    >>> out["genotype_std"].tolist()
    ['AG', 'GG', nan]
    >>> log["action"].tolist()
    ['flagged']
    """
    read = read_calls(data, snp, genotype, strand, counted_allele)
    std, problems, nocall = read.calls, read.problems, read.no_call
    if len(problems):
        raise DataError(problem_message(problems, snp, genotype))
    out = data.copy()
    out["genotype_std"] = pd.Series(std, index=data.index, dtype="str")
    if nocall.any():
        reasons = pd.Series(
            [f"no-call {_call_words(v)} for {s} set to missing"
             for s, v in zip(data[snp], data[genotype])],
            index=data.index,
        )
        log = log_rows("normalize_genotypes", "genotypes", data, nocall, "flagged", reasons)
    else:
        log = empty_log()
    return Derived(out, log)


# --------------------------------------------------------------------------- coding


def _std_frame(data: pd.DataFrame, snp: str = "snp") -> pd.DataFrame:
    if "genotype_std" in data.columns:
        require_columns(data, [snp, "genotype_std"], table="genotypes", step="genotype coding")
        return data
    return normalize_genotypes(data, snp=snp).data


def _effect_allele(reg: Snp, effect_allele) -> str:
    if isinstance(effect_allele, Mapping):
        effect_allele = effect_allele.get(reg.rsid)
    if effect_allele is None:
        if reg.minor_allele is None:
            raise ContractError(
                f"{reg.rsid} has no registered minor allele; pass "
                f"effect_allele={{'{reg.rsid}': one of {', '.join(reg.alleles)}}}"
            )
        return reg.minor_allele
    allele = str(effect_allele).upper()
    if allele not in reg.alleles:
        raise ContractError(
            f"effect allele {effect_allele!r} for {reg.rsid} is not one of its alleles "
            f"{', '.join(reg.alleles)}"
        )
    return allele


def code_genotypes(
    data: pd.DataFrame,
    *,
    snp,
    coding: str = "additive",
    effect_allele=None,
    grouping: str | None = None,
    subject: str = "subject_id",
) -> pd.DataFrame:
    """Model-ready genotype columns, one row per subject; the column name carries the coding.

    Parameters
    ----------
    data : DataFrame
        Long genotypes table with ``snp`` and ``genotype_std`` (from
        :func:`normalize_genotypes`; the raw ``genotype`` column is normalised here if
        ``genotype_std`` is absent, raising on unreadable calls).
    snp : str or sequence of str
        rsID(s) to code.
    coding : {"additive", "dominant", "recessive", "heterozygote", "group"}
        ``additive``: copies of the effect allele (0/1/2), column ``<rsid>_add_<allele>``;
        ``dominant``: carries at least one copy (0/1), ``<rsid>_dom_<allele>``;
        ``recessive``: two copies (0/1), ``<rsid>_rec_<allele>``;
        ``heterozygote``: heterozygous (0/1), ``<rsid>_het``;
        ``group``: a named grouping from :data:`GROUPINGS` (string labels), column named as
        the grouping, e.g. ``rs53576_GG_vs_Acarrier`` with values ``"GG"``/``"A_carrier"``.
    effect_allele : str or Mapping[str, str], optional
        Allele counted (default: the registry's minor allele; for rs53576 ``"A"``).
    grouping : str, optional
        Name of the grouping for ``coding="group"`` (default: the SNP's only grouping).
    subject : str
        Subject id column.

    Returns
    -------
    DataFrame
        One row per subject (sorted), the subject column and one column per SNP. Missing
        calls stay missing (NaN), never a genotype.

    Examples
    --------
    >>> df = pd.DataFrame({"subject_id": ["s1", "s2", "s3"], "snp": "rs53576",
    ...                    "genotype": ["AA", "AG", "GG"]})
    >>> code_genotypes(df, snp="rs53576")
      subject_id  rs53576_add_A
    0         s1            2.0
    1         s2            1.0
    2         s3            0.0
    >>> code_genotypes(df, snp="rs53576", coding="group")["rs53576_GG_vs_Acarrier"].tolist()
    ['A_carrier', 'A_carrier', 'GG']
    """
    if coding not in CODINGS:
        raise ContractError(f"coding must be one of {', '.join(CODINGS)}, got {coding!r}")
    require_columns(data, [subject, "snp"], table="genotypes", step="code_genotypes")
    frame = _std_frame(data)
    rsids = [snp] if isinstance(snp, str) else list(snp)
    subjects = pd.Index(pd.unique(frame[subject].dropna())).sort_values()
    out = pd.DataFrame({subject: subjects})
    for rsid_raw in rsids:
        rsid = str(rsid_raw).strip().lower()
        if rsid not in SNPS:
            raise ContractError(f"unknown SNP {rsid_raw!r}; known rsIDs: {', '.join(sorted(SNPS))}")
        reg = SNPS[rsid]
        rows = frame.loc[frame["snp"].astype(str).str.strip().str.lower() == rsid]
        dup = rows[subject].duplicated(keep=False)
        if dup.any():
            conflicting = rows.loc[dup].groupby(subject)["genotype_std"].nunique(dropna=False)
            bad = conflicting[conflicting > 1].index.tolist()
            if bad:
                raise DataError(
                    f"genotypes table: subject(s) {', '.join(map(str, bad))} have conflicting "
                    f"calls for {rsid} ({format_rows(rows.index[dup])})"
                )
            rows = rows.loc[~rows[subject].duplicated()]
        calls = rows.set_index(subject)["genotype_std"].reindex(subjects)
        if coding == "group":
            name, values = _group_column(reg, calls, grouping)
        elif coding == "heterozygote":
            name = f"{rsid}_het"
            values = calls.map(lambda g: np.nan if pd.isna(g) else float(g[0] != g[1]))
        else:
            allele = _effect_allele(reg, effect_allele)
            copies = calls.map(lambda g, a=allele: np.nan if pd.isna(g) else float(g.count(a)))
            if coding == "additive":
                name, values = f"{rsid}_add_{allele}", copies
            elif coding == "dominant":
                name, values = f"{rsid}_dom_{allele}", (copies >= 1).astype(float)
            else:
                name, values = f"{rsid}_rec_{allele}", (copies == 2).astype(float)
            values = values.where(copies.notna())
        out[name] = np.asarray(values, dtype=object if coding == "group" else float)
        if coding == "group":
            out[name] = out[name].astype("str")
    return out


def _group_column(reg: Snp, calls: pd.Series, grouping):
    if grouping is None:
        options = [g for g in GROUPINGS.values() if g.snp == reg.rsid]
        if len(options) != 1:
            raise ContractError(
                f"coding='group' needs grouping= for {reg.rsid}; registered groupings: "
                f"{', '.join(GROUPINGS) or 'none'}"
            )
        spec = options[0]
    else:
        spec = GROUPINGS.get(grouping)
        if spec is None or spec.snp != reg.rsid:
            raise ContractError(
                f"unknown grouping {grouping!r} for {reg.rsid}; registered groupings: "
                f"{', '.join(g.name for g in GROUPINGS.values() if g.snp == reg.rsid) or 'none'}"
            )
    lookup = {gt: label for label, gts in spec.groups.items() for gt in gts}
    values = calls.map(lambda g: np.nan if pd.isna(g) else lookup.get(g, np.nan))
    return spec.name, values


# --------------------------------------------------------------------------- HWE and QC


def hwe_exact(n_het: int, n_hom1: int, n_hom2: int) -> float:
    """Exact test of Hardy-Weinberg equilibrium (Wigginton, Cutler & Abecasis 2005).

    Conditional on the allele counts, the heterozygote count has a known distribution; the
    p-value sums the probabilities of all heterozygote counts no more likely than the one
    observed. The probabilities are built by the recurrence of Wigginton et al. 2005
    (AJHG 76:887), starting from the most likely heterozygote count.

    Parameters
    ----------
    n_het, n_hom1, n_hom2 : int
        Numbers of heterozygotes and of the two homozygotes (argument order as in the
        authors' code and the ``snphwe`` package).

    Returns
    -------
    float
        Two-sided exact p-value (1.0 when no genotypes or a monomorphic SNP).

    Examples
    --------
    >>> round(hwe_exact(500, 10, 5000), 8)
    0.6515719
    >>> f"{hwe_exact(1000, 20, 5000):.6e}"
    '1.265985e-05'
    """
    counts = []
    for name, value in (("n_het", n_het), ("n_hom1", n_hom1), ("n_hom2", n_hom2)):
        if isinstance(value, bool) or not float(value).is_integer() or value < 0:
            raise DataError(f"{name} must be a non-negative whole number, got {value!r}")
        counts.append(int(value))
    het, hom1, hom2 = counts
    homr, homc = min(hom1, hom2), max(hom1, hom2)
    n = het + homr + homc
    rare = 2 * homr + het
    if n == 0 or rare == 0:
        return 1.0
    probs = np.zeros(rare + 1)
    mid = rare * (2 * n - rare) // (2 * n)
    if (rare - mid) % 2:
        mid += 1
    probs[mid] = 1.0
    # downwards from the mode
    cur_homr = (rare - mid) // 2
    cur_homc = n - mid - cur_homr
    h = mid
    while h >= 2:
        probs[h - 2] = probs[h] * h * (h - 1) / (4.0 * (cur_homr + 1) * (cur_homc + 1))
        h -= 2
        cur_homr += 1
        cur_homc += 1
    # upwards from the mode
    cur_homr = (rare - mid) // 2
    cur_homc = n - mid - cur_homr
    h = mid
    while h <= rare - 2:
        probs[h + 2] = probs[h] * 4.0 * cur_homr * cur_homc / ((h + 2.0) * (h + 1.0))
        h += 2
        cur_homr -= 1
        cur_homc -= 1
    probs /= probs.sum()
    p = probs[probs <= probs[het]].sum()
    return float(min(1.0, p))


def genotype_qc(
    data: pd.DataFrame,
    *,
    snp: str = "snp",
    genotype: str = "genotype",
    subject: str = "subject_id",
    group: str | None = None,
    n_expected: int | Mapping | None = None,
) -> pd.DataFrame:
    """Per-SNP (and per-``group``, e.g. ancestry) genotype quality control.

    Parameters
    ----------
    data : DataFrame
        Long genotypes table; ``genotype_std`` is used if present, else ``genotype`` is
        normalised (raising on unreadable calls).
    snp, genotype, subject : str
        Column names.
    group : str, optional
        Column to stratify by (allele frequencies differ by ancestry).
    n_expected : int or Mapping, optional
        Number of subjects expected to be genotyped (the call-rate denominator); a mapping
        may give it per group. Default: the rows present for that SNP.

    Returns
    -------
    DataFrame
        Columns ``snp, [group], n, n_called, call_rate, genotype_hom1, genotype_het,
        genotype_hom2, n_hom1, n_het, n_hom2, allele_1, allele_2, freq_allele_1,
        freq_allele_2, minor_allele, maf, hwe_p``. Alleles and genotypes are in registry
        order; ``minor_allele`` is the sample's (ties: the registry's first allele).

    Examples
    --------
    >>> df = pd.DataFrame({"subject_id": list("abcd"), "snp": "rs53576",
    ...                    "genotype": ["AA", "AG", "GG", "NA"]})
    >>> qc = genotype_qc(df)
    >>> qc[["n", "n_called", "call_rate", "maf"]].to_dict("records")
    [{'n': 4, 'n_called': 3, 'call_rate': 0.75, 'maf': 0.5}]
    """
    cols = [snp, subject] + ([group] if group else [])
    needed = cols + ([] if "genotype_std" in data.columns else [genotype])
    require_columns(data, needed, table="genotypes", step="genotype_qc")
    if "genotype_std" in data.columns:
        frame = data
    else:
        frame = normalize_genotypes(data, snp=snp, genotype=genotype).data
    frame = frame.assign(_rsid=frame[snp].astype(str).str.strip().str.lower())
    unknown = sorted(set(frame["_rsid"]) - set(SNPS))
    if unknown:
        raise ContractError(
            f"genotypes table names unknown SNP(s) {', '.join(unknown)}; known rsIDs: "
            f"{', '.join(sorted(SNPS))}"
        )
    keys = ["_rsid"] + ([group] if group else [])
    records = []
    for key, grp in frame.groupby(keys, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        reg = SNPS[key[0]]
        a1, a2 = reg.alleles
        hom1, het, hom2 = reg.genotypes
        calls = grp["genotype_std"]
        n = len(grp)
        if n_expected is not None:
            if isinstance(n_expected, Mapping):
                expected = n_expected.get(key[1] if group else key[0])
            else:
                expected = n_expected
            n = int(expected) if expected is not None else n
        n_called = int(calls.notna().sum())
        c1, ch, c2 = (int((calls == g).sum()) for g in (hom1, het, hom2))
        total_alleles = 2 * (c1 + ch + c2)
        f1 = (2 * c1 + ch) / total_alleles if total_alleles else np.nan
        f2 = 1 - f1 if total_alleles else np.nan
        if total_alleles:
            minor = a1 if f1 <= f2 else a2
            maf = min(f1, f2)
        else:
            minor, maf = None, np.nan
        rec = {"snp": reg.rsid}
        if group:
            rec[group] = key[1]
        rec.update(
            n=n,
            n_called=n_called,
            call_rate=n_called / n if n else np.nan,
            genotype_hom1=hom1,
            genotype_het=het,
            genotype_hom2=hom2,
            n_hom1=c1,
            n_het=ch,
            n_hom2=c2,
            allele_1=a1,
            allele_2=a2,
            freq_allele_1=f1,
            freq_allele_2=f2,
            minor_allele=minor,
            maf=maf,
            hwe_p=hwe_exact(ch, c1, c2) if n_called else np.nan,
        )
        records.append(rec)
    return pd.DataFrame.from_records(records)


def _call_words(value) -> str:
    """A no-call as the log states it: the text as written in quotes, or "(empty)"."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA \
            or not str(value).strip():
        return "(empty)"
    return f"“{str(value).strip()}”"

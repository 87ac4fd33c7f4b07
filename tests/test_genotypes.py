"""Genotype normalisation, coding, QC and the exact HWE test.

References: Wigginton, Cutler & Abecasis 2005 worked values (also in /shared/reference/README),
and the ``snphwe`` package (the authors' own algorithm, independent of our code) on random
tables; allele-count/MAF checks on hand-countable tables.
"""

import numpy as np
import pandas as pd
import pytest
from snphwe import snphwe

from hormonestats.derive.genotypes import (
    GROUPINGS,
    code_genotypes,
    genotype_qc,
    hwe_exact,
    normalize_genotypes,
)
from hormonestats.errors import ContractError, DataError
from hormonestats.log import LOG_COLUMNS
from hormonestats.study.genotype_calls import genotype_problems


def _table(calls, snp="rs53576"):
    return pd.DataFrame(
        {
            "subject_id": [f"s{i}" for i in range(len(calls))],
            "snp": snp,
            "genotype": calls,
        }
    )


# ---------------------------------------------------------------- normalisation


def test_all_spellings_map_to_registry_order():
    calls = ["AG", "A/G", "G/A", "GA", "A|G", "A G", "a/g", "g a"]
    out, log = normalize_genotypes(_table(calls))
    assert out["genotype_std"].tolist() == ["AG"] * len(calls)
    assert log.empty and list(log.columns) == LOG_COLUMNS


def test_homozygotes_and_other_snp_order():
    # rs1042778 alleles are G/T: "AA" is not allowed -> must raise
    with pytest.raises(DataError):
        normalize_genotypes(_table(["AA"], snp="rs1042778"))
    out, _ = normalize_genotypes(_table(["gg", "T/G", "tt"], snp="rs1042778"))
    assert out["genotype_std"].tolist() == ["GG", "GT", "TT"]


def test_no_calls_become_missing_and_are_logged():
    calls = ["00", "--", "NA", "", "0/0", None, np.nan, "AA"]
    data = _table(calls)
    out, log = normalize_genotypes(data)
    assert out["genotype_std"].isna().sum() == 7
    assert out["genotype_std"].iloc[-1] == "AA"
    assert len(log) == 7
    assert set(log["action"]) == {"flagged"}
    assert log["row"].tolist() == list(range(7))
    assert log["subject_id"].tolist() == [f"s{i}" for i in range(7)]
    assert log["reason"].str.contains("no-call").all()


def test_input_not_mutated():
    data = _table(["G/A", "--"])
    before = data.copy()
    normalize_genotypes(data)
    pd.testing.assert_frame_equal(data, before)


def test_foreign_alleles_collected_into_one_error():
    data = _table(["AG", "AC", "TT", "GG", "XYZ"])
    with pytest.raises(DataError) as info:
        normalize_genotypes(data)
    msg = str(info.value)
    assert "rs53576" in msg and "rows 1, 2, 4" in msg
    assert "A, G" in msg  # allowed alleles named
    assert "3 unreadable" in msg


def test_reverse_strand_is_complemented():
    # reverse strand of A/G is T/C
    data = _table(["TC", "CC", "T/T"])
    out, _ = normalize_genotypes(data, strand={"rs53576": "reverse"})
    assert out["genotype_std"].tolist() == ["AG", "GG", "AA"]
    with pytest.raises(DataError):
        normalize_genotypes(data)  # undeclared: an error, never a silent flip
    with pytest.raises(ContractError):
        normalize_genotypes(data, strand={"rs53576": "backwards"})


def test_numeric_dosage_needs_counted_allele():
    data = _table([0, 1, 2, "2", np.nan])
    out, log = normalize_genotypes(data, counted_allele={"rs53576": "A"})
    assert out["genotype_std"].tolist()[:4] == ["GG", "AG", "AA", "AA"]
    assert len(log) == 1
    out, _ = normalize_genotypes(data, counted_allele={"rs53576": "G"})
    assert out["genotype_std"].tolist()[:4] == ["AA", "AG", "GG", "GG"]
    with pytest.raises(DataError, match="counted allele"):
        normalize_genotypes(data)
    with pytest.raises(ContractError):
        normalize_genotypes(data, counted_allele={"rs53576": "C"})
    with pytest.raises(DataError):
        normalize_genotypes(_table([3]), counted_allele={"rs53576": "A"})


def test_genotype_problems_is_tidy_and_does_not_raise():
    data = pd.DataFrame(
        {
            "subject_id": ["a", "b", "c", "d"],
            "snp": ["rs53576", "rs12345", "rs2254298", "rs2254298"],
            "genotype": ["AG", "AA", "AC", "--"],
        }
    )
    problems = genotype_problems(data)
    assert list(problems.columns) == ["row", "column", "value", "snp", "message"]
    assert problems["row"].tolist() == [1, 2]
    assert problems["column"].tolist() == ["snp", "genotype"]
    assert "unknown SNP" in problems["message"].iloc[0]
    assert genotype_problems(_table(["AG", "--"])).empty


def test_missing_column_is_a_data_error():
    with pytest.raises(DataError, match="genotype"):
        normalize_genotypes(pd.DataFrame({"snp": ["rs53576"]}))


# ---------------------------------------------------------------- coding


def _coded_input():
    return pd.concat(
        [
            _table(["AA", "AG", "GG", "--"]),
            _table(["GG", "AG", "AA", "AG"], snp="rs2254298"),
        ],
        ignore_index=True,
    )


def test_additive_dominant_recessive_het_columns():
    data, _ = normalize_genotypes(_coded_input())
    add = code_genotypes(data, snp=["rs53576", "rs2254298"])
    assert list(add.columns) == ["subject_id", "rs53576_add_A", "rs2254298_add_A"]
    assert add["rs53576_add_A"].tolist()[:3] == [2.0, 1.0, 0.0]
    assert np.isnan(add["rs53576_add_A"].iloc[3])
    assert add["rs2254298_add_A"].tolist() == [0.0, 1.0, 2.0, 1.0]
    dom = code_genotypes(data, snp="rs53576", coding="dominant")
    assert dom["rs53576_dom_A"].tolist()[:3] == [1.0, 1.0, 0.0]
    assert np.isnan(dom["rs53576_dom_A"].iloc[3])
    rec = code_genotypes(data, snp="rs53576", coding="recessive", effect_allele="G")
    assert rec.columns[1] == "rs53576_rec_G"
    assert rec["rs53576_rec_G"].tolist()[:3] == [0.0, 0.0, 1.0]
    het = code_genotypes(data, snp="rs53576", coding="heterozygote")
    assert het["rs53576_het"].tolist()[:3] == [0.0, 1.0, 0.0]


def test_group_coding_rs53576_gg_vs_a_carriers():
    assert "rs53576_GG_vs_Acarrier" in GROUPINGS
    assert "Rodrigues" in GROUPINGS["rs53576_GG_vs_Acarrier"].citation
    grp = code_genotypes(_coded_input(), snp="rs53576", coding="group")
    col = grp["rs53576_GG_vs_Acarrier"]
    assert col.tolist()[:3] == ["A_carrier", "A_carrier", "GG"]
    assert pd.isna(col.iloc[3])
    with pytest.raises(ContractError, match="grouping"):
        code_genotypes(_coded_input(), snp="rs53576", coding="group", grouping="nope")


def test_coding_errors():
    data = _coded_input()
    with pytest.raises(ContractError, match="coding"):
        code_genotypes(data, snp="rs53576", coding="codominant")
    with pytest.raises(ContractError, match="effect allele"):
        code_genotypes(data, snp="rs53576", effect_allele="T")
    with pytest.raises(ContractError, match="minor allele"):
        code_genotypes(_table(["CT"], snp="rs2268498"), snp="rs2268498")
    dup = pd.concat([_table(["AA"]), _table(["GG"])], ignore_index=True)
    with pytest.raises(DataError, match="conflicting"):
        code_genotypes(dup, snp="rs53576")


def test_coding_does_not_mutate():
    data = _coded_input()
    before = data.copy()
    code_genotypes(data, snp="rs53576", coding="group")
    pd.testing.assert_frame_equal(data, before)


# ---------------------------------------------------------------- HWE


def test_hwe_published_values():
    # Wigginton et al. 2005 / snphwe documentation values (shared/reference/README.md)
    assert hwe_exact(500, 10, 5000) == pytest.approx(0.65157189991, abs=1e-10)
    assert hwe_exact(1000, 20, 5000) == pytest.approx(1.26598491e-5, rel=1e-7)


def test_hwe_matches_snphwe_on_random_tables():
    rng = np.random.default_rng(20240501)
    for _ in range(300):
        n = int(rng.integers(1, 400))
        p = rng.uniform(0.02, 0.98)
        # sometimes out of equilibrium
        f = rng.choice([0.0, 0.3, -0.3])
        probs = np.array([p * p + f * p * (1 - p), 2 * p * (1 - p) * (1 - f), (1 - p) ** 2])
        probs = np.clip(probs, 1e-9, None)
        hom1, het, hom2 = rng.multinomial(n, probs / probs.sum())
        ours = hwe_exact(int(het), int(hom1), int(hom2))
        theirs = snphwe(int(het), int(hom1), int(hom2))
        assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12), (het, hom1, hom2)


def test_hwe_edge_cases():
    assert hwe_exact(0, 0, 50) == 1.0
    assert hwe_exact(0, 0, 0) == 1.0
    assert hwe_exact(0, 25, 25) < 1e-10  # no heterozygotes at p = 0.5
    with pytest.raises(DataError):
        hwe_exact(-1, 2, 3)
    with pytest.raises(DataError):
        hwe_exact(1.5, 2, 3)


# ---------------------------------------------------------------- QC


def test_qc_counts_frequencies_and_hwe():
    calls = ["AA"] * 10 + ["AG"] * 40 + ["GG"] * 50 + ["--"] * 5
    qc = genotype_qc(_table(calls))
    row = qc.iloc[0]
    assert row["snp"] == "rs53576"
    assert (row["n"], row["n_called"]) == (105, 100)
    assert row["call_rate"] == pytest.approx(100 / 105)
    assert (row["n_hom1"], row["n_het"], row["n_hom2"]) == (10, 40, 50)
    assert row["freq_allele_1"] == pytest.approx(60 / 200)  # hand count of A alleles
    assert row["minor_allele"] == "A" and row["maf"] == pytest.approx(0.30)
    assert row["hwe_p"] == pytest.approx(snphwe(40, 10, 50), rel=1e-9)
    qc2 = genotype_qc(_table(calls), n_expected=120)
    assert qc2["call_rate"].iloc[0] == pytest.approx(100 / 120)


def test_qc_by_ancestry_group():
    data = _table(["AA", "AG", "GG", "GG", "AA", "AA"])
    data["ancestry"] = ["eur", "eur", "eur", "eur", "eas", "eas"]
    qc = genotype_qc(data, group="ancestry")
    assert qc["ancestry"].tolist() == ["eas", "eur"]
    assert qc["maf"].tolist() == pytest.approx([0.0, 3 / 8])
    assert qc["minor_allele"].tolist() == ["G", "A"]
    assert qc["hwe_p"].iloc[0] == 1.0


def test_qc_unknown_snp_raises():
    with pytest.raises(DataError, match="unknown SNP"):
        genotype_qc(_table(["AA"], snp="rs1"))

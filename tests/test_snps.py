"""SNP registry: alleles against dbSNP build 156 and the OXTR literature (see snps.py)."""

import pytest

from hormonestats.errors import ContractError
from hormonestats.registry.snps import SNPS, Snp, get_snp


def test_registry_holds_the_brief_snps():
    assert set(SNPS) == {
        "rs53576",
        "rs2254298",
        "rs1042778",
        "rs2268498",
        "rs7632287",
        "rs237887",
        "rs3796863",
    }


@pytest.mark.parametrize(
    ("rsid", "alleles", "position"),
    [
        # dbSNP build 156, forward strand, GRCh38.p14; Rodrigues et al. 2009 (rs53576 A/G)
        ("rs53576", ("A", "G"), 8762685),
        ("rs2254298", ("A", "G"), 8760542),
    ],
)
def test_confirmed_snps_match_dbsnp(rsid, alleles, position):
    snp = get_snp(rsid)
    assert snp.alleles == alleles
    assert snp.position_grch38 == position
    assert snp.chromosome == "3" and snp.gene == "OXTR"
    assert snp.minor_allele == "A"


def test_literature_alleles():
    # Apicella et al. 2010 table of analysed SNPs (minor alleles); O'Connell et al. 2012
    assert get_snp("rs1042778").alleles == ("G", "T")
    assert get_snp("rs1042778").minor_allele == "T"
    assert get_snp("rs237887").minor_allele == "G"
    assert get_snp("rs7632287").minor_allele == "A"
    assert set(get_snp("rs2268498").alleles) == {"C", "T"}
    assert get_snp("rs3796863").gene == "CD38"
    assert set(get_snp("rs3796863").alleles) == {"A", "C"}


def test_every_entry_is_well_formed_and_sourced():
    for rsid, snp in SNPS.items():
        assert isinstance(snp, Snp) and snp.rsid == rsid
        assert len(snp.alleles) == 2 and snp.alleles[0] != snp.alleles[1]
        assert all(a in "ACGT" for a in snp.alleles)
        assert snp.minor_allele is None or snp.minor_allele in snp.alleles
        assert snp.source and snp.note
        if snp.position_grch38 is None or snp.minor_allele is None:
            assert "not confirmed" in snp.note


def test_registry_is_read_only_and_entries_frozen():
    with pytest.raises(TypeError):
        SNPS["rs1"] = None  # type: ignore[index]
    with pytest.raises(AttributeError):
        get_snp("rs53576").gene = "X"  # type: ignore[misc]


def test_unknown_rsid_lists_known():
    with pytest.raises(ContractError, match="rs53576") as info:
        get_snp("rs999")
    assert "rs999" in str(info.value)
    assert get_snp(" RS53576 ").rsid == "rs53576"

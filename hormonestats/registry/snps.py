"""Registry of the oxytocin-pathway SNPs the package knows (plain data).

Each :class:`Snp` records the two alleles in *registry order*; canonical genotype strings
(``genotype_std`` from :func:`hormonestats.derive.genotypes.normalize_genotypes`) list the alleles in
that order, so rs53576 heterozygotes are always ``"AG"``, never ``"GA"``.

Alleles are given on the strand the OXTR / CD38 literature reports them, which for the SNPs
below is also the forward (plus) strand of the genome as dbSNP reports it where we could
check it. Sources, per SNP, are in ``source``; anything we could not confirm is said in
``note``:

- rs53576: dbSNP build 156 (forward strand G>A, chr3:8762685 on GRCh38.p14); Rodrigues et al.
  2009 (PNAS 106:21437) report the same A/G alleles; global minor allele A (1000 Genomes
  frequency about 0.40). Bakermans-Kranenburg & van IJzendoorn 2014 and Li et al. 2015
  contrast GG with A-carriers.
- rs2254298: dbSNP build 156 (forward G>A, chr3:8760542 on GRCh38.p14); minor allele A
  (1000 Genomes 0.21).
- rs1042778, rs237887, rs7632287: alleles and minor alleles as listed by Apicella et al. 2010
  (PLoS One 5:e11153, table of analysed SNPs; Swedish twins) and, for rs7632287, Walum et al.
  2012 (Biol Psychiatry 71:419). GRCh38 positions not confirmed here (``None``).
- rs2268498: T/C promoter-region SNP (O'Connell et al. 2012, J Behav Brain Sci 2:60); minor
  allele not confirmed here.
- CD38 rs3796863: A/C, A-carriers contrasted with CC homozygotes (McInnis, McQuaid et al.,
  Stress; year not checked here); studied by Sauer et al. 2012 (Neuropsychopharmacology).
  Minor allele and position not confirmed here.

>>> get_snp("rs53576").alleles
('A', 'G')
>>> sorted(SNPS)[:2]
['rs1042778', 'rs2254298']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ..errors import ContractError

__all__ = ["SNPS", "Snp", "get_snp"]


@dataclass(frozen=True)
class Snp:
    """One SNP of the registry.

    Attributes
    ----------
    rsid : str
        dbSNP reference SNP id, e.g. ``"rs53576"``.
    gene : str
        Gene symbol (``"OXTR"``, ``"CD38"``).
    alleles : tuple of str
        The two alleles in registry order; canonical genotype strings use this order.
    chromosome : str
        Chromosome name (``"3"``).
    position_grch38 : int or None
        1-based position on GRCh38, where confirmed against dbSNP; otherwise ``None``.
    minor_allele : str or None
        Global minor allele as stated by ``source``; ``None`` where not confirmed.
    note : str
        What is known, and what could not be confirmed.
    source : str
        Where the alleles, position and minor allele come from (author, year).
    """

    rsid: str
    gene: str
    alleles: tuple[str, str]
    chromosome: str
    position_grch38: int | None
    minor_allele: str | None
    note: str
    source: str

    @property
    def genotypes(self) -> tuple[str, str, str]:
        """The three canonical genotype strings, homozygote 1, heterozygote, homozygote 2.

        >>> get_snp("rs53576").genotypes
        ('AA', 'AG', 'GG')
        """
        a, b = self.alleles
        return (a + a, a + b, b + b)


_SNP_LIST = [
    Snp(
        rsid="rs53576",
        gene="OXTR",
        alleles=("A", "G"),
        chromosome="3",
        position_grch38=8762685,
        minor_allele="A",
        note=(
            "Intron 3 of OXTR. Alleles A/G on the forward strand (dbSNP reports G>A). "
            "The literature contrasts GG homozygotes with A-carriers (AA/AG). A is the major "
            "allele in East Asian samples."
        ),
        source=(
            "dbSNP build 156 (NCBI); Rodrigues et al. 2009; "
            "Bakermans-Kranenburg & van IJzendoorn 2014; Li et al. 2015"
        ),
    ),
    Snp(
        rsid="rs2254298",
        gene="OXTR",
        alleles=("A", "G"),
        chromosome="3",
        position_grch38=8760542,
        minor_allele="A",
        note=(
            "Intron 3 of OXTR. Alleles A/G on the forward strand (dbSNP reports G>A, and a "
            "rare G>T). Minor allele A (1000 Genomes about 0.21; lower in Europeans)."
        ),
        source="dbSNP build 156 (NCBI); Apicella et al. 2010",
    ),
    Snp(
        rsid="rs1042778",
        gene="OXTR",
        alleles=("G", "T"),
        chromosome="3",
        position_grch38=None,
        minor_allele="T",
        note=(
            "OXTR 3' UTR. Alleles G/T as reported in the literature; minor allele T in a "
            "Swedish sample (MAF 0.41, Apicella et al. 2010). Strand and GRCh38 position not "
            "confirmed against dbSNP here."
        ),
        source="Apicella et al. 2010",
    ),
    Snp(
        rsid="rs2268498",
        gene="OXTR",
        alleles=("C", "T"),
        chromosome="3",
        position_grch38=None,
        minor_allele=None,
        note=(
            "OXTR promoter region. Alleles T/C as reported by O'Connell et al. 2012 (TT vs "
            "C-carriers). Minor allele, strand and GRCh38 position not confirmed here."
        ),
        source="O'Connell et al. 2012",
    ),
    Snp(
        rsid="rs7632287",
        gene="OXTR",
        alleles=("A", "G"),
        chromosome="3",
        position_grch38=None,
        minor_allele="A",
        note=(
            "OXTR 3' region. Alleles A/G; minor allele A (MAF 0.26 in Apicella et al. 2010; "
            "A associated with pair-bonding traits in women, Walum et al. 2012). GRCh38 "
            "position not confirmed here."
        ),
        source="Walum et al. 2012; Apicella et al. 2010",
    ),
    Snp(
        rsid="rs237887",
        gene="OXTR",
        alleles=("A", "G"),
        chromosome="3",
        position_grch38=None,
        minor_allele="G",
        note=(
            "Intron 3 of OXTR. Alleles A/G; minor allele G in a Swedish sample (MAF 0.38, "
            "Apicella et al. 2010). Global minor allele and GRCh38 position not confirmed here."
        ),
        source="Apicella et al. 2010",
    ),
    Snp(
        rsid="rs3796863",
        gene="CD38",
        alleles=("A", "C"),
        chromosome="4",
        position_grch38=None,
        minor_allele=None,
        note=(
            "CD38 intron. Alleles A/C as reported in the literature (A-carriers vs CC). "
            "Minor allele, strand and GRCh38 position not confirmed here."
        ),
        source="McInnis, McQuaid et al. (Stress); Sauer et al. 2012",
    ),
]

#: rsID -> :class:`Snp` (read-only).
SNPS: Mapping[str, Snp] = MappingProxyType({s.rsid: s for s in _SNP_LIST})


def get_snp(rsid: str) -> Snp:
    """Look up a SNP by rsID (case-insensitive).

    Raises
    ------
    ContractError
        If the rsID is not in the registry; the message lists the known rsIDs.

    Examples
    --------
    >>> get_snp("RS2254298").gene
    'OXTR'
    """
    key = str(rsid).strip().lower()
    if key in SNPS:
        return SNPS[key]
    raise ContractError(
        f"unknown SNP {rsid!r}; known rsIDs: {', '.join(sorted(SNPS))}. "
        "Add study-specific SNPs in the study contract."
    )

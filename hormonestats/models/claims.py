"""The registry of claims: each seed claim as a named, testable model specification.

The project's second seed text (a clinical-wellness article on hormones and oxytocin signalling,
its "Academic" section and the table "Hormonal Influences on Oxytocin Signaling Mechanisms")
makes mechanistic claims; each is written here as one :class:`Hypothesis`: the model family, the
variables (roles) it needs, the estimate that decides it and the sign the claim predicts. The
seed is not peer-reviewed; the ``source`` of each entry names the seed and, where one exists, the
literature behind the mechanism, and says when the human behavioural evidence is weak or null.
The entries are data of one shape (a registry); :mod:`hormonestats.models.hypotheses` tests them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["HYPOTHESES", "SEED_TEXT", "Hypothesis", "hypotheses"]

SEED_TEXT = "seed 001 (clinical-wellness article, 'Academic' section and its table)"


@dataclass(frozen=True)
class Hypothesis:
    """One claim as a model specification.

    Attributes
    ----------
    name : str
        Registry key.
    claim : str
        The claim in one sentence.
    family : str
        Model family: ``"moderation"``, ``"mediation"``, ``"gxe"`` or ``"regression"`` (any key
        of :data:`RUNNERS`).
    roles : Mapping[str, str]
        Model argument -> role name, e.g. ``{"y": "outcome", "x": "oxytocin", "m": "estradiol"}``.
        ``test_hypotheses``'s ``mapping`` turns role names into columns.
    key_term : str
        Which estimate decides the claim: ``"interaction"`` (the x by m product / G x E term),
        ``"indirect"`` (a*b) or ``"slope"`` (the coefficient of ``x``).
    predicted_sign : int
        +1 or -1 for a directional prediction; 0 for a two-sided, exploratory test.
    source : str
        Where the claim comes from (the seed) and the literature behind it (author, year).
    options : Mapping
        Extra keyword arguments for the model (e.g. the genotype coding).
    """

    name: str
    claim: str
    family: str
    roles: Mapping[str, str]
    key_term: str
    predicted_sign: int
    source: str
    options: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self):
        object.__setattr__(self, "roles", MappingProxyType(dict(self.roles)))
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))
        if self.predicted_sign not in (-1, 0, 1):
            raise ValueError(f"predicted_sign must be -1, 0 or +1, got {self.predicted_sign!r}")

    @property
    def role_names(self) -> tuple[str, ...]:
        """The role names this hypothesis needs mapped to columns."""
        return tuple(self.roles.values())


_ENTRIES = [
    Hypothesis(
        name="estradiol_oxytocin",
        claim=(
            "Estradiol upregulates oxytocin receptors, so the effect of oxytocin on the social "
            "outcome is larger at higher estradiol (positive oxytocin x estradiol interaction)."
        ),
        family="moderation",
        roles={"y": "outcome", "x": "oxytocin", "m": "estradiol"},
        key_term="interaction",
        predicted_sign=+1,
        source=(
            f"{SEED_TEXT}: 'Estradiol upregulates OXTR density'. Animal evidence for estrogen "
            "dependence of oxytocin-mediated social recognition: Choleris et al. 2003 (PNAS). "
            "Human evidence for the interaction is sparse."
        ),
    ),
    Hypothesis(
        name="testosterone_aromatization",
        claim=(
            "Testosterone acts on the outcome partly through its aromatization to estradiol "
            "(positive indirect effect testosterone -> estradiol -> outcome); the direct path "
            "stands for androgen-receptor effects."
        ),
        family="mediation",
        roles={"x": "testosterone", "mediator": "estradiol", "y": "outcome"},
        key_term="indirect",
        predicted_sign=+1,
        source=(
            f"{SEED_TEXT}: 'indirectly via aromatization to estradiol; direct androgen receptor "
            "effects'. Cross-sectional mediation cannot establish conversion; estradiol measured "
            "in serum or saliva is only a proxy for brain aromatization."
        ),
    ),
    Hypothesis(
        name="progesterone_anxiety",
        claim="Higher progesterone goes with lower anxiety (negative slope).",
        family="regression",
        roles={"y": "anxiety", "x": "progesterone"},
        key_term="slope",
        predicted_sign=-1,
        source=(
            f"{SEED_TEXT}: 'Progesterone deficiency: increased anxiety'. Mechanism via "
            "allopregnanolone, a positive allosteric modulator of GABA-A receptors "
            "(Majewska et al. 1986, Science)."
        ),
    ),
    Hypothesis(
        name="progesterone_allopregnanolone_anxiety",
        claim=(
            "Progesterone lowers anxiety through allopregnanolone (negative indirect effect "
            "progesterone -> allopregnanolone -> anxiety)."
        ),
        family="mediation",
        roles={"x": "progesterone", "mediator": "allopregnanolone", "y": "anxiety"},
        key_term="indirect",
        predicted_sign=-1,
        source=(
            f"{SEED_TEXT}: 'Neurosteroid modulation of GABA-A receptors'; allopregnanolone as "
            "GABA-A modulator: Majewska et al. 1986 (Science). Tested only when allopregnanolone "
            "is measured and mapped."
        ),
    ),
    Hypothesis(
        name="cortisol_oxytocin",
        claim=(
            "Chronically high cortisol impairs oxytocin signalling, so the effect of oxytocin on "
            "the outcome is smaller at higher cortisol (negative oxytocin x cortisol interaction)."
        ),
        family="moderation",
        roles={"y": "outcome", "x": "oxytocin", "m": "cortisol"},
        key_term="interaction",
        predicted_sign=-1,
        source=(
            f"{SEED_TEXT}: 'Chronic cortisol elevation can impair ... receptor sensitivity'. "
            "Related human evidence concerns the reverse direction (oxytocin and social support "
            "dampen cortisol: Heinrichs et al. 2003, Biol Psychiatry)."
        ),
    ),
    Hypothesis(
        name="oxtr_genotype",
        claim=(
            "The effect of oxytocin on the outcome differs by OXTR rs53576 genotype "
            "(oxytocin x genotype interaction; direction not predicted: exploratory)."
        ),
        family="gxe",
        roles={"y": "outcome", "env": "oxytocin", "gene": "rs53576"},
        key_term="interaction",
        predicted_sign=0,
        source=(
            "Not a seed claim in itself (the seed discusses OXTR expression). Meta-analyses find "
            "no reliable rs53576 main effect on sociality (Bakermans-Kranenburg & van "
            "IJzendoorn 2014) or a very small one (Li et al. 2015, d = 0.11), so no direction is "
            "predicted. Covariate x gene and covariate x oxytocin terms as Keller (2014) asks; "
            "genotype coded dominant (carriers of the counted allele vs non-carriers) when the "
            "column holds allele counts, as a two-level group otherwise."
        ),
        options={"coding": "dominant"},
    ),
    Hypothesis(
        name="estradiol_within_person",
        claim=(
            "When a person's estradiol is higher than her own average, her social-cognition "
            "outcome is higher (within-person estradiol slope, person-mean centred)."
        ),
        family="mixed",
        roles={"y": "outcome", "x": "estradiol", "subject": "subject"},
        key_term="within",
        predicted_sign=1,
        source=(
            f"{SEED_TEXT}: estradiol upregulates OXTR density, so 'fluctuations in estrogen "
            "levels, such as those experienced during the menstrual cycle ... can correlate with "
            "shifts in mood, social cognition'. Cycle effects are within-person questions "
            "(Curran & Bauer 2011; Schmalenberger et al. 2021)."
        ),
    ),
    Hypothesis(
        name="progesterone_anxiety_within_person",
        claim=(
            "When a person's progesterone is higher than her own average, her anxiety is lower "
            "(within-person progesterone slope, person-mean centred)."
        ),
        family="mixed",
        roles={"y": "anxiety", "x": "progesterone", "subject": "subject"},
        key_term="within",
        predicted_sign=-1,
        source=(
            f"{SEED_TEXT}: progesterone (through allopregnanolone) has calming, anxiolytic "
            "effects; tested within person across the cycle (Curran & Bauer 2011)."
        ),
    ),
]

#: The registry: hypothesis name -> :class:`Hypothesis` (read-only).
hypotheses: Mapping[str, Hypothesis] = MappingProxyType({h.name: h for h in _ENTRIES})
#: The same registry under the upper-case name the other registries use (ANALYTES, SNPS).
HYPOTHESES = hypotheses

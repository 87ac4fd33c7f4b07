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

__all__ = ["DEFAULT_ROLES", "DESIGN_ANALYSES", "HYPOTHESES", "SEED_TEXT", "Hypothesis", "default_mapping",
           "hypotheses"]

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
    optional : tuple of str
        Role names the model uses when they are mapped and does without otherwise (e.g. the
        sequence of a crossover, built from the conditions when absent; the role that makes
        dyad members distinguishable).
    fdr_family : str
        The family of hypotheses its p value is adjusted with: ``"primary"`` (one test per
        claim) or a secondary family, e.g. ``"item_level"`` for a second analysis of a claim
        the primary family already tests on the same data (adjusted apart, so that one claim
        does not get two shots in the primary family).
    """

    name: str
    claim: str
    family: str
    roles: Mapping[str, str]
    key_term: str
    predicted_sign: int
    source: str
    options: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    optional: tuple[str, ...] = ()
    fdr_family: str = "primary"

    def __post_init__(self):
        object.__setattr__(self, "roles", MappingProxyType(dict(self.roles)))
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))
        if self.predicted_sign not in (-1, 0, 1):
            raise ValueError(f"predicted_sign must be -1, 0 or +1, got {self.predicted_sign!r}")

    @property
    def role_names(self) -> tuple[str, ...]:
        """The role names this hypothesis needs mapped to columns."""
        return tuple(self.roles.values())

    @property
    def required_roles(self) -> tuple[str, ...]:
        """The role names that must be mapped for the hypothesis to be tested."""
        return tuple(r for r in self.roles.values() if r not in self.optional)


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
        roles={"y": "outcome", "x": "oxytocin", "m": "rs53576"},
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
    Hypothesis(
        name="progesterone_within_person",
        claim=(
            "When a person's progesterone is higher than her own average, her social-cognition "
            "outcome differs (within-person progesterone slope, person-mean centred; direction "
            "not predicted: exploratory)."
        ),
        family="mixed",
        roles={"y": "outcome", "x": "progesterone", "subject": "subject"},
        key_term="within",
        predicted_sign=0,
        source=(
            f"{SEED_TEXT}: progesterone's neurosteroid actions. Findings on emotion recognition "
            "across the cycle point both ways (Derntl et al. 2008; Conway et al. 2007), so no "
            "direction is predicted; within person as Curran & Bauer (2011) ask."
        ),
    ),
    Hypothesis(
        name="progesterone_luteal_within_person",
        claim=(
            "Within the same person, progesterone is higher in the mid-luteal than in the "
            "mid-follicular phase (phase contrast of log progesterone, random intercept per "
            "person; a censored likelihood when readings below the LOD are kept censored)."
        ),
        family="phase_contrast",
        roles={"y": "progesterone", "phase": "cycle_phase", "subject": "subject"},
        key_term="phase",
        predicted_sign=+1,
        source=(
            "The ovarian cycle's endocrinology, not the seed: the corpus luteum secretes "
            "progesterone after ovulation, and follicular-phase progesterone is low, often near "
            "a salivary assay's LOD (Schmalenberger et al. 2021). A manipulation check of the "
            "cycle phases, and the cycle design's hormone outcome."
        ),
        options={"low": "midfollicular", "high": "midluteal"},
    ),
    Hypothesis(
        name="oxytocin_crossover",
        claim=(
            "Within the same person, the social-cognition outcome is higher after intranasal "
            "oxytocin than after placebo (drug effect of the crossover, adjusted for period; "
            "carry-over checked through the sequence effect)."
        ),
        family="crossover",
        roles={"y": "outcome", "drug": "oxytocin", "period": "period", "subject": "subject",
               "sequence": "sequence"},
        key_term="drug",
        predicted_sign=+1,
        source=(
            f"{SEED_TEXT}: oxytocin signalling shapes social cognition. A within-subject trial "
            "found better RMET performance after 24 IU (Domes et al. 2007, Biol Psychiatry); "
            "meta-analyses of emotion recognition find small or null effects (Leppanen et al. "
            "2017). Analysis of the 2x2 crossover as Senn (2002)."
        ),
        optional=("sequence",),
    ),
    Hypothesis(
        name="oxytocin_actor",
        claim=(
            "A partner's own oxytocin goes with his or her own relationship outcome (positive "
            "actor effect in the actor-partner interdependence model)."
        ),
        family="apim",
        roles={"y": "outcome", "x": "oxytocin", "dyad": "dyad", "role": "dyad_role"},
        key_term="actor",
        predicted_sign=+1,
        source=(
            f"{SEED_TEXT}: oxytocin and bonding. Intranasal oxytocin increased positive "
            "communication in couple conflict (Ditzen et al. 2009, Biol Psychiatry); plasma "
            "oxytocin tracks couples' interactive reciprocity (Schneiderman et al. 2012). APIM: "
            "Kenny, Kashy & Cook (2006); distinguishable when the dyad_role is mapped."
        ),
        optional=("dyad_role",),
    ),
    Hypothesis(
        name="oxytocin_partner",
        claim=(
            "A partner's oxytocin goes with the other partner's relationship outcome (positive "
            "partner effect in the actor-partner interdependence model)."
        ),
        family="apim",
        roles={"y": "outcome", "x": "oxytocin", "dyad": "dyad", "role": "dyad_role"},
        key_term="partner",
        predicted_sign=+1,
        source=(
            f"{SEED_TEXT}: oxytocin and bonding, here across partners. Evidence for partner "
            "effects is thin (Schneiderman et al. 2012 report couple-level associations); APIM: "
            "Kenny, Kashy & Cook (2006)."
        ),
        optional=("dyad_role",),
    ),
    Hypothesis(
        name="oxytocin_cortisol_reactivity",
        claim=(
            "Oxytocin dampens the cortisol response to a psychosocial stressor: the cortisol "
            "area under the curve with respect to increase (AUCi, over each participant's "
            "sample times) is lower in the oxytocin arm."
        ),
        family="regression",
        roles={"y": "cortisol_reactivity", "x": "oxytocin"},
        key_term="slope",
        predicted_sign=-1,
        source=(
            f"{SEED_TEXT}: oxytocin buffers stress. Intranasal oxytocin with social support "
            "lowered cortisol during the Trier Social Stress Test (Heinrichs et al. 2003, Biol "
            "Psychiatry); AUCi as Pruessner et al. (2003)."
        ),
    ),
    Hypothesis(
        name="oxytocin_cortisol_peak",
        claim=(
            "Oxytocin lowers the peak cortisol increase after a psychosocial stressor (largest "
            "measured value after baseline minus baseline), lower in the oxytocin arm."
        ),
        family="regression",
        roles={"y": "cortisol_peak_increase", "x": "oxytocin"},
        key_term="slope",
        predicted_sign=-1,
        source=(
            f"{SEED_TEXT}: oxytocin buffers stress (Heinrichs et al. 2003); the peak increase "
            "is the second reactivity index Miller et al. (2013) recommend reporting."
        ),
    ),
    Hypothesis(
        name="estradiol_oxytocin_items",
        claim=(
            "Estradiol upregulates oxytocin receptors, so the effect of oxytocin on the accuracy "
            "of each RMET item is larger at higher estradiol (positive oxytocin x log estradiol "
            "interaction on the log-odds of a correct answer, with crossed subject and item "
            "random effects)."
        ),
        family="item_glmm",
        roles={"x": "oxytocin", "m": "estradiol", "subject": "subject"},
        key_term="interaction",
        predicted_sign=+1,
        source=(
            f"{SEED_TEXT}: 'Estradiol upregulates OXTR density' (Choleris et al. 2003). The "
            "item-level analysis of accuracy with crossed participants and items follows Baayen, "
            "Davidson & Bates (2008) and Barr et al. (2013); the RMET: Baron-Cohen et al. (2001). "
            "A second analysis of the claim of 'estradiol_oxytocin' on the same responses, so "
            "adjusted in its own FDR family ('item_level')."
        ),
        fdr_family="item_level",
    ),
]

#: Role -> the analysis-table columns that stand for it by default, in order of preference: the
#: first one a study's table has is used (``hs.test_hypotheses(mapping=None)``, ``hormonestats
#: run`` without ``--map``). Together they map every bundled study: hormones on the natural-log
#: scale (the concentration when the study was processed without the log), the oxytocin arm (1/0) or else the measured oxytocin level, the RMET total or else
#: IRI empathic concern as the social outcome, the session as the period of a crossover, the
#: couple and the partner's role, the cortisol reactivity indices of a stress test.
DEFAULT_ROLES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "outcome": ("rmet_total", "iri_ec"),
    "oxytocin": ("oxytocin_arm", "log_oxytocin"),
    "estradiol": ("log_estradiol", "estradiol"),
    "testosterone": ("log_testosterone", "testosterone"),
    "progesterone": ("log_progesterone", "progesterone"),
    "cortisol": ("log_cortisol", "cortisol"),
    "allopregnanolone": ("log_allopregnanolone", "allopregnanolone"),
    "anxiety": ("pss10_total",),
    "rs53576": ("rs53576_add_A",),
    "subject": ("subject_id",),
    "cycle_phase": ("cycle_phase",),
    "period": ("session",),
    "sequence": ("sequence",),
    "dyad": ("dyad_id",),
    "dyad_role": ("role",),
    "cortisol_reactivity": ("cortisol_auc_i",),
    "cortisol_peak_increase": ("cortisol_peak_reactivity",),
})


#: The canned analysis of each study design: design analysis -> the hypotheses it tests
#: (``hormonestats run crossover_trial CONTRACT DATA_DIR``; a script each in ``analyses/``).
DESIGN_ANALYSES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "crossover_trial": ("oxytocin_crossover",),
    "couples": ("oxytocin_actor", "oxytocin_partner"),
    "stress_reactivity": ("oxytocin_cortisol_reactivity", "oxytocin_cortisol_peak"),
    "cycle": ("estradiol_within_person", "progesterone_within_person",
              "progesterone_anxiety_within_person", "progesterone_luteal_within_person"),
})


def default_mapping(columns, mapping: Mapping[str, str] | None = None) -> dict[str, str]:
    """Role -> column: the first default of :data:`DEFAULT_ROLES` the table has, under ``mapping``.

    The roles of ``mapping`` win; a role whose defaults are all absent is left out.

    >>> default_mapping(["iri_ec", "log_oxytocin", "dyad_id"])
    {'outcome': 'iri_ec', 'oxytocin': 'log_oxytocin', 'dyad': 'dyad_id'}
    >>> default_mapping(["rmet_total", "iri_ec"], {"outcome": "iri_ec"})
    {'outcome': 'iri_ec'}
    """
    present = {str(c) for c in columns}
    out = {}
    for role, candidates in DEFAULT_ROLES.items():
        found = next((c for c in candidates if c in present), None)
        if found is not None:
            out[role] = found
    out.update(mapping or {})
    return out

#: The registry: hypothesis name -> :class:`Hypothesis` (read-only).
hypotheses: Mapping[str, Hypothesis] = MappingProxyType({h.name: h for h in _ENTRIES})
#: The same registry under the upper-case name the other registries use (ANALYTES, SNPS).
HYPOTHESES = hypotheses

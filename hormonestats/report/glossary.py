"""What every column of a report table means: the notes printed under each table.

:data:`COLUMNS` maps a column name (as the tidy tables spell it) to one sentence,
:data:`TABLE_NOTES` to the short phrase an APA table's note uses (the one glossary both the
report's notes and the documentation read);
:data:`PATTERNS` explains the columns whose names are built from the study (``log_<analyte>``,
``<rsid>_add_<allele>``, ``<instrument>_<scale>``, ...). :func:`column_notes` returns the
notes for the columns of one table, in table order, so a report can print them under it; the
documentation's glossary page is generated from the same data, so the two cannot disagree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType

__all__ = ["COLUMNS", "PATTERNS", "TABLE_NOTES", "column_notes", "explain_column"]

_COLUMNS = {
    # hypotheses table
    "hypothesis": "Name of the registered hypothesis (hs.hypotheses), the claim it tests.",
    "family": "Model family that tests it: moderation, mediation, gxe (gene x environment), "
    "regression or mixed (within-person).",
    "term": "The estimate that decides the claim: the interaction, the indirect effect (a*b) "
    "or the slope, named as in the model table.",
    "estimate": "Unstandardised estimate (b) of the term, in units of the outcome per unit of "
    "the predictor (hormones on the natural-log scale).",
    "std_error": "Standard error of the estimate (SE).",
    "statistic": "Test statistic (t for OLS and mixed models, z where stated).",
    "df": "Degrees of freedom of the test.",
    "conf_low": "Lower bound of the confidence interval (95% unless stated); percentile "
    "bootstrap for indirect effects.",
    "conf_high": "Upper bound of the confidence interval (95% unless stated).",
    "p_value": "Two-sided p-value of the term, unadjusted.",
    "p_fdr": "p-value adjusted across the tested hypotheses of the family (Benjamini & "
    "Hochberg 1995 false discovery rate unless stated).",
    "p_adjusted": "p-value adjusted for multiple testing (method stated with the table).",
    "predicted_sign": "Direction the claim predicts: +1 positive, -1 negative, 0 no direction "
    "predicted (exploratory, two-sided).",
    "agrees": "True when the confidence interval excludes 0 and, for a directional claim, the "
    "estimate has the predicted sign; False otherwise (also when not tested).",
    "n": "Number of observations the estimate rests on (complete cases).",
    "covariates": "Covariates the model was adjusted for (main effects); a covariate that is "
    "one of the model's own variables is left out and the reason says so.",
    "status": "tested, not tested (roles not mapped) or failed (the model could not be "
    "fitted; the reason gives the error).",
    "reason": "Why a hypothesis was not tested or failed, or which covariates were left out; "
    "in the deviations table, the researcher's reason for the deviation (left empty to fill in).",
    # deviations from a pre-registered plan
    "deviation": "How the run differs from its pre-registered plan (e.g. covariate added, "
    "sample size short of plan, alpha changed).",
    "concerns": "What the deviation concerns: a hypothesis, role, option, rule or participant.",
    "planned": "What the pre-registered plan says.",
    "actual": "What the run did.",
    "size": "The size of the deviation in words (e.g. n = 171, planned 200).",
    "columns": "The analysis-table column each role of the hypothesis maps to (role=column).",
    "fix": "The --map options that would map the missing roles (best guesses; check them).",
    "variant": "Processing variant of the sensitivity analysis (LOD policy, winsorising) the "
    "row was computed under.",
    # model tables
    "std_estimate": "Standardised estimate (beta): the estimate with outcome and predictors in "
    "SD units.",
    "mediator": "The mediator the path or indirect effect runs through.",
    "ci_method": "How the confidence interval was computed (e.g. percentile bootstrap).",
    # assay quality
    "analyte": "Hormone or other analyte (registry name).",
    "matrix": "Sample matrix: saliva, plasma, serum, urine or hair.",
    "n_below_lod": "Readings below the assay's limit of detection (LOD).",
    "pct_below_lod": "Percent of readings below the LOD.",
    "n_above_range": "Readings above the registry's (or the contract's) plausible range.",
    "plate_id": "Assay plate.",
    "n_samples": "Samples (replicate means) on the plate.",
    "intra_cv": "Intra-assay coefficient of variation (%): mean CV of the replicate wells of "
    "each sample on the plate.",
    "control": "Plate control (e.g. CTRL_low) whose readings across plates give the "
    "inter-assay CV.",
    "n_plates": "Plates the control was measured on.",
    "mean": "Mean (M).",
    "sd": "Standard deviation (SD).",
    "inter_cv": "Inter-assay coefficient of variation (%): SD / mean of the control's plate "
    "means across plates.",
    "stage": "Stage of the row accounting: input wells, excluded at a step, analysed.",
    # genotype quality
    "snp": "SNP (dbSNP rsID).",
    "n_called": "Participants with a genotype call.",
    "call_rate": "Share of participants with a call (n_called / n).",
    "genotype_hom1": "First homozygous genotype (registry allele order).",
    "genotype_het": "Heterozygous genotype.",
    "genotype_hom2": "Second homozygous genotype.",
    "n_hom1": "Count of the first homozygous genotype.",
    "n_het": "Count of heterozygotes.",
    "n_hom2": "Count of the second homozygous genotype.",
    "allele_1": "First allele (registry order).",
    "allele_2": "Second allele (registry order).",
    "freq_allele_1": "Frequency of allele 1 among the called alleles.",
    "freq_allele_2": "Frequency of allele 2 among the called alleles.",
    "minor_allele": "The less frequent allele in this sample.",
    "maf": "Minor allele frequency in this sample.",
    "hwe_p": "p-value of the exact Hardy-Weinberg equilibrium test (Wigginton et al. 2005).",
    "ancestry": "Ancestry group the row is computed within (pooling ancestries departs from "
    "Hardy-Weinberg by mixture alone).",
    # reliability
    "scale": "Instrument scale (subscale or total).",
    "instrument": "Questionnaire or task (registry name).",
    "n_items": "Items in the scale.",
    "alpha": "Cronbach's alpha.",
    "alpha_conf_low": "Lower bound of alpha's 95% confidence interval (Feldt et al. 1987).",
    "alpha_conf_high": "Upper bound of alpha's 95% confidence interval (Feldt et al. 1987).",
    "omega_total": "McDonald's omega total (one-factor model).",
    "mean_inter_item_r": "Mean correlation between the scale's items.",
    # table 1
    "variable": "Participant characteristic.",
    "level": "Category of a categorical characteristic (for a date: its range).",
    "kind": "numeric (mean and SD), date (range, earliest to latest) or categorical (count "
            "and percent).",
    "group": "Group or arm the row describes (all participants when empty).",
    "count": "Participants in the category.",
    "percent": "Percent of the group's participants in the category.",
    # power
    "n_sims": "Simulated data sets per sample size.",
    "power": "Share of simulations in which the test rejected at alpha.",
    "mc_se": "Monte-Carlo standard error of the power: sqrt(power (1 - power) / n_sims).",
    "mean_estimate": "Mean estimate of the term across simulations.",
    "true_value": "The term's true value in the simulation (scale stated with the command).",
    "coverage": "Share of simulations whose confidence interval contains the true value.",
    "target_power": "The power the sample size was searched for.",
    "n_evaluations": "Sample sizes simulated during the search.",
    # analysis table (fixed names)
    "subject_id": "Participant identifier.",
    "session": "Session (visit, period) of the row.",
    "responses_session": "Session of the questionnaire responses joined to the row.",
    "sex": "Participant's sex as recorded (female, male, other).",
    "age": "Age in years.",
    "arm": "Treatment arm as recorded in the subjects table.",
    "dyad_id": "Couple (dyad) the participant belongs to.",
    "role": "Distinguishable role within the dyad (e.g. female_partner).",
    "sequence": "Order of the conditions in a crossover (e.g. AB: oxytocin first).",
    "contraception": "Hormonal contraception as recorded (none, combined_oral, ...).",
    "menopause_stage": "Menopausal stage as recorded.",
    "cycle_id": "Menstrual cycle (per participant) the visit falls in.",
    "cycle_length": "Length of the cycle in days (onset to next onset).",
    "luteal_length": "Days from ovulation to the next onset.",
    "ovulation_source": "How ovulation was dated: LH test, or counted back from the next onset.",
    "cycle_included": "Whether the cycle meets the inclusion rules (length within bounds).",
    "oxytocin_arm": "1 when the participant (session) received intranasal oxytocin, 0 placebo.",
    "cycle_phase": "Menstrual-cycle phase of the visit.",
    "forward_day": "Cycle day counted forward from menses onset (onset = 1).",
    "backward_day": "Cycle day counted back from the next onset (day before = -1).",
    "days_from_ovulation": "Days from the estimated ovulation (0 = ovulation day).",
    "cycle_time": "Position in the cycle on a common scale (see hs.cycle_days).",
    # reporting checklists
    "guideline": "The reporting guideline or consensus the item comes from.",
    "item": "What the guideline asks a report to state.",
    "evidence": "What the contract and the data say about the item.",
    "where": "Where in the contract or the tables to record the item.",
    # equivalence
    "delta_min": "Smallest symmetric equivalence bound (+-delta, in the estimate's units) that "
    "the two one-sided tests would establish at the stated alpha: the 90% interval's larger "
    "absolute limit.",
    "tost_low": "Lower limit of the 1 - 2 alpha (90%) interval the two one-sided tests use.",
    "tost_high": "Upper limit of the 1 - 2 alpha (90%) interval the two one-sided tests use.",
    "lower_bound": "Lower equivalence bound.",
    "upper_bound": "Upper equivalence bound.",
    "p_lower": "p of the one-sided test that the effect exceeds the lower bound.",
    "p_upper": "p of the one-sided test that the effect is below the upper bound.",
    "p_tost": "p of the equivalence test (two one-sided tests): the larger of the two.",
    "equivalent": "True when both one-sided tests reject, so the effect lies within the bounds.",
    # study designs
    "effect_size": "Which effect size the row gives: Cohen's d on the within-person SD of a "
    "crossover (cohens_d_within) or d_av, the mean difference over the conditions' mean SD.",
    "actor": "Actor effect: the person's own predictor on their own outcome (APIM).",
    "partner": "Partner effect: the partner's predictor on the person's outcome (APIM).",
    # multiverse
    "spec_id": "Number of the specification (its position in the product of the decisions).",
    "is_default": "True for the specification that uses every default choice (the planned "
    "analysis).",
    "decision": "An analytic decision varied in the multiverse.",
    "n_choices": "How many choices of the decision were analysed.",
    "variance_share": "Share of the variance of the estimates explained by the decision (eta "
    "squared of the estimates by its choices).",
    "test": "Statistic of the specification curve tested under the null (Simonsohn et al. "
    "2020).",
    "observed": "The statistic on the observed data.",
    "null_median": "Median of the statistic over the resamples under the null.",
    "n_null": "Resamples under the null.",
    "n_specifications": "Specifications entering the test.",
    # reliability of repeated sampling
    "value_scale": "Scale of the values analysed: log (natural log of the canonical unit) or "
    "raw.",
    "n_subjects": "Participants with at least one analysed value.",
    "n_readings": "Analysed samples (replicate means) entering the random-intercept model.",
    "samples_per_subject": "Mean number of analysed samples per participant.",
    "icc": "Intraclass correlation of a random-intercept model fitted by REML to every sample: "
    "the share of the variance that lies between persons.",
    "icc_conf_low": "Lower bound of the profile-likelihood confidence interval of icc "
    "(restricted likelihood; 95% unless stated).",
    "icc_conf_high": "Upper bound of the profile-likelihood confidence interval of icc "
    "(restricted likelihood; 95% unless stated).",
    "icc1": "Shrout-Fleiss ICC1 (ICC(1)): reliability of one sample, from the one-way ANOVA of "
    "the participants who gave every sample.",
    "icc1_conf_low": "Lower bound of the F-based confidence interval of ICC1 (95% unless stated).",
    "icc1_conf_high": "Upper bound of the F-based confidence interval of ICC1 (95% unless "
    "stated).",
    "icc2": "Shrout-Fleiss ICC1k (ICC(2)): reliability of the person mean of all occasions.",
    "icc2_conf_low": "Lower bound of the F-based confidence interval of ICC1k (95% unless "
    "stated).",
    "icc2_conf_high": "Upper bound of the F-based confidence interval of ICC1k (95% unless "
    "stated).",
    "n_complete": "Participants who gave a sample on every occasion (the Shrout-Fleiss table).",
    "n_occasions": "Occasions (sessions x sample numbers) of the Shrout-Fleiss table.",
    "reliability_of_mean": "Spearman-Brown reliability of a participant's mean of "
    "samples_per_subject samples, from icc.",
    "target": "Reliability of the person mean planned for.",
    "samples_needed": "Samples per participant whose mean reaches the target reliability "
    "(Spearman-Brown from icc; round up; infinite when the between-person variance is zero).",
    "note": "Why a value could not be estimated (empty when it was).",
    # generalized mixed models (item-level accuracy)
    "odds_ratio": "Odds ratio: exp(estimate) of a log-odds coefficient.",
    "odds_ratio_low": "Lower bound of the odds ratio's confidence interval (exp of conf_low).",
    "odds_ratio_high": "Upper bound of the odds ratio's confidence interval (exp of "
    "conf_high).",
    "probability": "Predicted probability of a correct answer from the fixed effects (random "
    "effects at zero), at the centre of the moderating hormone.",
    "slope_probability": "Slope on the probability scale: change in the probability of a "
    "correct answer per natural-log unit of the hormone, at its centre (p(1 - p) x slope).",
    "slope_probability_se": "Delta-method standard error of slope_probability.",
    "slope_probability_low": "Lower bound of slope_probability's Wald confidence interval.",
    "slope_probability_high": "Upper bound of slope_probability's Wald confidence interval.",
    "variance": "Variance of a random effect (log-odds scale for a logit model).",
    "correlation": "Correlation of two random effects of one grouping (empty for a single "
    "random intercept).",
}

#: Column name -> what it means (read-only).
COLUMNS: Mapping[str, str] = MappingProxyType(_COLUMNS)

#: The same meanings as short phrases for a table's note (``"SE = standard error"``), read by
#: :func:`hormonestats.report.columns.column_notes`; a column without one gets its sentence.
_TABLE_NOTES = {
    "hypothesis": "the registered hypothesis",
    "family": "model family",
    "equation": "which equation of the model",
    "mediator": "the mediating variable",
    "snp": "single-nucleotide polymorphism (rs number)",
    "analyte": "hormone measured",
    "matrix": "sample matrix (saliva, plasma, serum, urine)",
    "plate_id": "assay plate",
    "instrument": "questionnaire or task (and its scale)",
    "scale": "scale of the instrument",
    "term": "model term (× marks an interaction)",
    "m_label": "moderator level at which the slope is taken",
    "m_value": "moderator value at that level",
    "estimate": "unstandardised estimate",
    "std_error": "standard error",
    "std_estimate": "standardised estimate",
    "statistic": "test statistic (t; z where the test is asymptotic)",
    "df": "degrees of freedom",
    "ci": "confidence interval",
    "p_value": "p value (two-sided)",
    "p_fdr": "p value adjusted for the false discovery rate across the family "
             "(Benjamini & Hochberg, 1995)",
    "p_adjusted": "adjusted p value",
    "hwe_p": "exact test of Hardy–Weinberg equilibrium (Wigginton et al., 2005)",
    "partial_eta2": "partial eta squared",
    "partial_eta_sq": "partial eta squared",
    "eta2": "eta squared",
    "f2": "Cohen's f²",
    "cohens_f2": "Cohen's f²",
    "cohens_d": "Cohen's d",
    "d": "Cohen's d",
    "r": "correlation",
    "r2": "proportion of variance explained",
    "delta_r2": "change in R² when the term is added",
    "predicted_sign": "direction the hypothesis predicts",
    "agrees": "whether the confidence interval excludes 0 and, for a directional claim, the "
              "estimate has the predicted sign",
    "n": "number of observations used",
    "n_called": "participants with a genotype call",
    "n_below_lod": "readings below the limit of detection",
    "pct_below_lod": "percentage of readings below the limit of detection",
    "call_rate": "proportion of participants with a genotype call",
    "maf": "minor allele frequency",
    "cv": "coefficient of variation (SD / mean × 100)",
    "intra_cv": "intra-assay coefficient of variation of replicate readings",
    "inter_cv": "inter-assay coefficient of variation of control samples across plates",
    "power": "proportion of simulated studies with p < α",
    "mc_se": "Monte Carlo standard error of the power",
    "mean_estimate": "mean estimate over the simulated studies",
    "coverage": "proportion of simulated CIs that contain the true value",
    "alpha": "Cronbach's α",
    "omega": "McDonald's ω",
    "omega_total": "McDonald's ω total",
    "control": "plate control sample",
    "mean": "mean",
    "sd": "standard deviation",
    "n_samples": "number of samples",
    "n_plates": "number of plates",
    "n_items": "number of items",
    "ci_method": "how the confidence interval was computed",
    "status": "for a hypothesis, tested or why it could not be; for a checklist item, met, not "
              "met or not recorded",
    "reason": "why (for a hypothesis not tested, or a logged exclusion; for a deviation from "
              "the plan, the researcher's reason)",
    "deviation": "how the run differs from the pre-registered plan",
    "concerns": "the hypothesis, role, option, rule or participant concerned",
    "size": "the deviation in words",
    "step": "processing step that logged the rows",
    "action": "excluded (dropped), altered (value changed, original kept) or flagged (kept, "
              "marked)",
    "table": "input table",
    "n_rows": "rows concerned",
    "n_subjects": "distinct IDs concerned (participants, or plate controls)",
    "n_input": "rows read",
    "n_excluded": "rows excluded (each counted once, at the first step that excluded it)",
    "n_analysed": "rows left for the analysis",
    "stage": "input, excluded at a step, or analysed",
}

TABLE_NOTES: Mapping[str, str] = MappingProxyType(_TABLE_NOTES)

#: Columns named after the study's own analytes, SNPs and instruments: (regex, template).
PATTERNS: tuple[tuple[str, str], ...] = (
    (r"^(?P<x>\w+)_censored$", "True when {x} was below the LOD in every replicate well "
     "(lod_policy 'censored'): {x} (and its log) then holds the LOD, an upper bound, and a "
     "censored likelihood treats it so; a sample with some wells detected holds the mean of "
     "its detected wells, uncensored."),
    (r"^log_(?P<x>\w+)$", "Natural log of {x} (canonical unit), the scale the models use."),
    (r"^(?P<x>\w+)_auc_g$", "{x}: area under the curve with respect to ground over the "
     "session's sample times (Pruessner et al. 2003)."),
    (r"^(?P<x>\w+)_auc_i$", "{x}: area under the curve with respect to increase, above the "
     "first sample (Pruessner et al. 2003)."),
    (r"^(?P<x>\w+)_peak_reactivity$", "{x}: largest measured value after the baseline minus "
     "the baseline."),
    (r"^(?P<x>\w+)_time_to_peak$", "{x}: minutes from the reference time to the peak."),
    (r"^(?P<x>rs\d+)_add_(?P<a>[ACGT])$", "{x}: copies of the {a} allele (0, 1, 2), additive "
     "coding."),
    (r"^(?P<x>rs\d+)_(?P<g>\w+)_vs_(?P<h>\w+)$", "{x}: two-level grouping, {g} vs {h}."),
    (r"^(?P<x>[a-z0-9]+)_total$", "{x}: total score of the instrument."),
    (r"^(?P<x>[a-z0-9]+)_(?P<s>[a-z]{2,3})$", "{x}: score of the {s} scale of the instrument."),
)

_ANALYTE_COLUMN = "{x}: the session's first (baseline) sample, mean of its replicate wells, " \
    "in the analyte's canonical unit."


def explain_column(name: str) -> str | None:
    """What a column means, or None when the glossary does not know it.

    >>> explain_column("agrees").startswith("True when the confidence interval excludes 0")
    True
    >>> explain_column("log_cortisol")
    'Natural log of cortisol (canonical unit), the scale the models use.'
    >>> explain_column("rs53576_add_A")
    'rs53576: copies of the A allele (0, 1, 2), additive coding.'
    """
    name = str(name)
    if name in COLUMNS:
        return COLUMNS[name]
    from ..registry.analytes import ANALYTES

    if name in ANALYTES:
        return _ANALYTE_COLUMN.format(x=name)
    for pattern, template in PATTERNS:
        m = re.match(pattern, name)
        if m:
            return template.format(**m.groupdict())
    return None


def column_notes(columns: Iterable[str]) -> list[str]:
    """``"column: meaning"`` for every column the glossary knows, in the order given.

    >>> column_notes(["hypothesis", "p_fdr", "unknown_column"])[1][:34]
    'p_fdr: p-value adjusted across the'
    """
    out = []
    for col in dict.fromkeys(map(str, columns)):
        text = explain_column(col)
        if text is not None:
            out.append(f"{col}: {text}")
    return out

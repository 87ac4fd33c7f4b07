"""The pre-registration as a reader sees it: markdown and Word, in a standard template's order.

The sections follow the OSF Preregistration template and PRP-QUANT (Bosnjak et al. 2022):
study information, hypotheses with their predicted directions, design, sampling plan (with the
power analysis behind n), variables and their measurement, exclusion and LOD rules, analysis
models with covariates, inference criteria and multiplicity, what counts as support, and the
plan's identity (its hash). Both formats are written from one list of sections
(:func:`plan_sections`), so they say the same. The plan is plain data (the content of
``plan.json``, see :mod:`hormonestats.workflows.prereg`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

__all__ = ["SECTION_TITLES", "plan_docx", "plan_markdown", "plan_sections"]

#: the sections of the document, in order
SECTION_TITLES = (
    "Study information",
    "Hypotheses",
    "Design plan",
    "Sampling plan",
    "Variables and their measurement",
    "Exclusion criteria and limits of detection",
    "Analysis plan",
    "Inference criteria and multiplicity",
    "What counts as support",
    "Plan identity",
)

_SIGN = {1: "positive", -1: "negative", 0: "no direction predicted (two-sided, exploratory)"}
_TERM = {"interaction": "the interaction term", "indirect": "the indirect effect (a*b)",
         "slope": "the slope of the predictor"}
_LOD = {"flag": "have no value and are excluded from the analysis (flagged)",
        "lod/2": "are replaced by LOD/2", "lod/sqrt2": "are replaced by LOD/sqrt(2) (Hornung "
        "& Reed 1990)", "censored": "are kept as left-censored at the LOD for a "
        "censored-likelihood model"}
_FDR = {"fdr_bh": "Benjamini-Hochberg false discovery rate", "fdr_by":
        "Benjamini-Yekutieli false discovery rate", "holm": "Holm family-wise error rate",
        "bonferroni": "Bonferroni family-wise error rate", "hommel": "Hommel family-wise error "
        "rate"}


def _study(plan) -> list:
    study = plan["study"]
    text = [f"Study: {study['name']}."]
    if study.get("description"):
        text.append(study["description"])
    seen = ("The plan was written after the data were read (roles resolved against the "
            "analysis table)." if plan.get("data_seen") else
            "The plan was written from the study contract alone, before any data were seen.")
    return [" ".join(text), seen]


def _hypotheses(plan) -> list:
    items = []
    for h in plan["hypotheses"]:
        items.append(f"{h['name']}: {h['claim']} Predicted direction of "
                     f"{_TERM.get(h['key_term'], h['key_term'])}: "
                     f"{_SIGN.get(h['predicted_sign'], h['predicted_sign'])}.")
    return [f"{len(items)} confirmatory hypotheses form one family:", items]


def _design(plan) -> list:
    design = plan["study"]["design"]
    words = {"between": "between-subjects", "within": "within-subjects (repeated measures)",
             "crossover": "crossover", "dyadic": "dyadic (couples)"}.get(design, design)
    agents = plan["measures"].get("agents") or []
    text = f"Design: {words}."
    if agents:
        text += f" Conditions (treatment agents): {', '.join(agents)}."
    return [text]


def _sampling(plan) -> list:
    size = plan["sample_size"]
    unit = "couples (dyads)" if plan["study"]["design"] == "dyadic" else "participants"
    out = [f"Planned sample size: n = {size['n']} {unit}."]
    power = size.get("power")
    if size["basis"] == "power analysis" and power:
        how = (f"the smallest n whose simulated power reaches {power['target_power']:.2f}"
               if power.get("target_power") is not None else "the power at the planned n")
        out.append(
            f"Basis: a simulation power analysis (hormonestats power) for hypothesis "
            f"{power['hypothesis']} (term {power['term']}), {how}: power "
            f"{power['power']:.3f} (Monte-Carlo SE {power['mc_se']:.3f}, {power['n_sims']} "
            f"simulations, alpha {power['alpha']}, seed {power['seed']}"
            + (f", effects {power['effects']}" if power.get("effects") else
               ", the package's default effects") + ")." + (
                " The power is that of this one test at the unadjusted alpha; the family's "
                "multiplicity correction lowers it." if len(plan["hypotheses"]) > 1 else ""))
    else:
        out.append("Basis: the sample size was set by the researchers (no power analysis is "
                   "recorded in the plan).")
    out.append("Data collection stops at the planned n; a different n is reported as a "
               "deviation.")
    return out


def _variables(plan) -> list:
    measures = plan["measures"]
    items = [f"{name}: {', '.join(spec['unit'])}, {', '.join(spec['matrix'])}, "
             f"{spec['method']}" + (", extracted" if spec.get("extracted") else "")
             for name, spec in measures.get("analytes", {}).items()]
    items += [f"genotype {snp}" for snp in measures.get("snps", [])]
    items += [f"instrument {inst}" for inst in measures.get("instruments", [])]
    roles = [f"{role} = {column}" for role, column in plan["roles"].items()]
    return ["Measured variables (hormones with unit, matrix and assay method; genotypes; "
            "questionnaires):", items or ["(none named in the contract)"],
            "Roles of the hypotheses and the analysed columns:", roles]


def _exclusions(plan) -> list:
    proc, rules = plan["processing"], plan["exclusion_rules"]
    items = [f"Readings below the limit of detection {_LOD.get(proc['lod_policy'], proc['lod_policy'])}.",
             f"Duplicate wells with a CV above {proc['max_cv']}% are "
             + ("excluded." if proc["exclude_imprecise"] else "flagged (kept)."),
             "Hormone values are " + ("natural-log transformed" if proc["transform"] == "log"
                                      else "analysed untransformed")
             + ("; outliers winsorised at mean +- "
                f"{proc['winsorize_k']} SD on the log scale." if proc["outliers"] == "winsorize"
                else "; no outlier removal.")]
    for name, rule in rules.get("instruments", {}).items():
        limit = rule.get("max_missing")
        items.append(f"{name}: a score is computed with at most {limit} missing item"
                     f"{'s' if limit != 1 else ''}, else missing." if limit is not None else
                     f"{name}: a score needs every item.")
    for name, rule in rules.get("analytes", {}).items():
        if rule.get("range"):
            low, high = rule["range"]
            items.append(f"{name}: values outside [{low}, {high}] are "
                         + ("excluded." if rule.get("enforce_range") else "flagged."))
    items.append("No participant is excluded by hand; every exclusion is logged with its rule.")
    return ["Data exclusion rules, applied by hormonestats and logged row by row:", items]


def _analysis(plan) -> list:
    covs = plan["covariates"]
    items = [f"{h['name']}: {h['family']} model, "
             + ", ".join(f"{k} = {v}" for k, v in h["roles"].items())
             + (f"; adjusted for {', '.join(covs)}" if covs else "; no covariates")
             for h in plan["hypotheses"]]
    inf = plan["inference"]
    boot = (f"Indirect effects: percentile bootstrap with {inf['n_boot']} resamples. "
            if any(h["family"] == "mediation" for h in plan["hypotheses"]) else "")
    missing = (f"multiply imputed {inf['impute']} times (below-LOD readings within (0, LOD) "
               "unless a LOD policy is given), each hypothesis pooled by Rubin's rules"
               if inf.get("impute") else "complete cases within each model (each model's n "
               "reported)")
    return [items, f"{boot}Missing values: {missing}."]


def _inference(plan) -> list:
    inf = plan["inference"]
    return [f"Alpha = {inf['alpha']}; the p values of the family are adjusted with the "
            f"{_FDR.get(inf['fdr_method'], inf['fdr_method'])} ({inf['fdr_method']}) across the "
            f"{len(plan['hypotheses'])} hypotheses; intervals at "
            f"{inf['conf_level']:.0%} confidence."]


def _support(plan) -> list:
    alpha = plan["inference"]["alpha"]
    items = []
    for h in plan["hypotheses"]:
        sign = h["predicted_sign"]
        term = _TERM.get(h["key_term"], h["key_term"])
        if sign:
            items.append(f"{h['name']}: supported when the adjusted p < {alpha} and the "
                         f"estimate of {term} is {_SIGN[sign]}; contradicted when the adjusted "
                         f"p < {alpha} and the estimate has the other sign; otherwise not "
                         "supported (the data do not distinguish the effect from zero).")
        else:
            items.append(f"{h['name']}: an effect of either sign is supported when the "
                         f"adjusted p of {term} < {alpha}; otherwise not supported.")
    return ["Each hypothesis is judged on its adjusted p value and the sign of its estimate "
            "(the verdicts hormonestats writes in the report):", items]


def _identity(plan) -> list:
    return [f"Plan hash {plan.get('hash', '')} (SHA-256 of the canonical JSON of plan.json "
            f"without its hash), frozen {plan['created']} with hormonestats "
            f"{plan['package_version']}. A later run compares itself with this plan and "
            "writes a deviations table."]


def plan_sections(plan: Mapping) -> list[tuple[str, list]]:
    """(title, blocks) for each section; a block is a paragraph (str) or a list of items."""
    makers = (_study, _hypotheses, _design, _sampling, _variables, _exclusions, _analysis,
              _inference, _support, _identity)
    return [(title, make(plan)) for title, make in zip(SECTION_TITLES, makers)]


def plan_markdown(plan: Mapping) -> str:
    """The plan as a markdown document (one ``##`` heading per section)."""
    lines = [f"# Pre-registration: {plan['study']['name']}", ""]
    for title, blocks in plan_sections(plan):
        lines += [f"## {title}", ""]
        for block in blocks:
            if isinstance(block, list):
                lines += [f"- {item}" for item in block] + [""]
            else:
                lines += [block, ""]
    return "\n".join(lines)


def plan_docx(plan: Mapping, path) -> Path:
    """The plan as a Word document (one level-1 heading per section)."""
    from .docx_export import _docx

    docx = _docx()
    document = docx.Document()
    document.add_heading(f"Pre-registration: {plan['study']['name']}", level=0)
    for title, blocks in plan_sections(plan):
        document.add_heading(title, level=1)
        for block in blocks:
            if isinstance(block, list):
                for item in block:
                    document.add_paragraph(item, style="List Bullet")
            else:
                document.add_paragraph(block)
    document.save(str(path))
    return Path(path)

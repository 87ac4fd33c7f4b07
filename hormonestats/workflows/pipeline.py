"""A whole analysis as one call: validate -> process -> QC -> hypotheses -> figures -> report.

``run_analysis`` is what ``hormonestats demo``, ``hormonestats run NAME`` and the scripts in
``analyses/`` call; it only strings together the public API. Every number in the results
folder comes from the study, the parameters and the seed, which the manifest records, so the
same inputs and seed reproduce every table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from ..options import ExecutionOptions, ProcessingOptions
from .analysis_run import AnalysisRun
from .design_outputs import design_outputs
from .roles import DEFAULT_MAPPING, REPEATED_DESIGNS

__all__ = ["DEFAULT_LABELS", "DEFAULT_MAPPING", "REPEATED_DESIGNS", "AnalysisRun",
           "run_analysis"]


#: Words for the columns of the example study's analysis table (methods text, report).
DEFAULT_LABELS = {
    "rmet_total": "RMET total score",
    "oxytocin_arm": "oxytocin arm",
    "log_estradiol": "log estradiol",
    "log_testosterone": "log testosterone",
    "log_progesterone": "log progesterone",
    "log_cortisol": "log cortisol",
    "log_oxytocin": "log oxytocin",
    "pss10_total": "PSS-10 total score",
    "iri_ec": "IRI empathic concern",
    "iri_pt": "IRI perspective taking",
    "iri_fs": "IRI fantasy",
    "iri_pd": "IRI personal distress",
    "cortisol_auc_i": "cortisol AUCi",
    "cortisol_peak_reactivity": "peak cortisol increase",
}


def reliability_table(study) -> pd.DataFrame | None:
    """Alpha and omega of every scale of every item-level instrument of a study (see
    :func:`hormonestats.derive.reliability.study_reliability`)."""
    from ..derive.reliability import study_reliability

    return study_reliability(study)


def registry_claim(name: str) -> str:
    """The claim of a registered hypothesis in words ('' when not registered)."""
    from ..models.hypotheses import hypotheses as registry

    spec = registry.get(name) if hasattr(registry, "get") else None
    return str(getattr(spec, "claim", "") or "")


def subjects_by_group(study) -> tuple[pd.DataFrame, str | None]:
    """The subjects table and the column that splits it into the study's arms or groups.

    The subjects table's own ``arm``, ``group``, ``sequence`` or ``role`` column, else the arm
    the treatments table gives (``arm`` = each subject's agent, when every subject received
    one agent), else none. The caller's table is not changed.
    """
    subjects = study["subjects"]
    groups = [g for g in ("arm", "group", "sequence", "role") if g in subjects.columns]
    if groups:
        return subjects, groups[0]
    treatments = dict(study.tables).get("treatments")
    if treatments is None or not {"subject_id", "agent"} <= set(treatments.columns) or \
            "subject_id" not in subjects.columns:
        return subjects, None
    given = treatments.dropna(subset=["agent"])
    agents = given.groupby(given["subject_id"].astype(str))["agent"].agg(
        lambda a: sorted(set(a.astype(str))))
    if agents.empty or not (agents.map(len) == 1).all():  # a crossover: no arm per subject
        return subjects, None
    arm = subjects["subject_id"].astype(str).map(agents.map(lambda a: a[0]))
    return subjects.assign(arm=arm), "arm"


def study_paragraph(study, table: pd.DataFrame, family: pd.DataFrame) -> str:
    """The study in one paragraph: design, sample, measures and what was tested."""
    contract = study.contract
    subjects, group = subjects_by_group(study)
    parts = [f"{contract.name}: a {contract.design}-subjects study" if contract.design in
             ("between", "within") else f"{contract.name}: a {contract.design} study"]
    groups = [group] if group else []
    n = len(subjects)
    sample = f"of {n} participants"
    if groups:
        counts = subjects[groups[0]].value_counts().sort_index()
        sample += " (" + ", ".join(f"{int(k)} {lv}" for lv, k in counts.items()) + ")"
    parts[0] += f" {sample}."
    measures = []
    analytes = list(getattr(contract, "analytes", {}) or {})
    if analytes:
        measures.append("hormones " + ", ".join(analytes))
    snps = list(getattr(contract, "snps", {}) or {})
    if snps:
        measures.append("SNPs " + ", ".join(snps))
    instruments = list(getattr(contract, "instruments", {}) or {})
    if instruments:
        measures.append("instruments " + ", ".join(i.upper() for i in instruments))
    if measures:
        parts.append("Measured: " + "; ".join(measures) + ".")
    tested = family.loc[family["status"] == "tested"] if "status" in family.columns else family
    if len(family):
        from ..models.hypotheses import hypotheses as registry

        second = [h for h in tested.get("hypothesis", ()) if getattr(
            registry.get(h), "fdr_family", "primary") != "primary"]
        apart = (f" (the second analyses of a claim, {', '.join(second)}, in a secondary "
                 "family of their own)" if second else "")
        parts.append(
            f"{len(tested)} of {len(family)} registered hypotheses could be tested on the "
            f"analysis table ({len(table)} rows); their p values are adjusted for the false "
            f"discovery rate across the family{apart}, and each verdict below says in words "
            "what the data show.")
    return " ".join(parts)


def run_analysis(
    study,
    *,
    out,
    hypotheses: Sequence[str] | None = None,
    mapping: Mapping[str, str] | None = None,
    covariates: Sequence[str] = (),
    n_boot: int = 5000,
    title: str | None = None,
    console=None,
    options: ProcessingOptions | Mapping | None = None,
    execution: ExecutionOptions | Mapping | None = None,
    seed: int | None = None,
    process_options: Mapping | None = None,
    impute: int = 0,
    alpha: float = 0.05,
    fdr_method: str = "fdr_bh",
    exclude_subjects: Mapping[str, str] | Sequence[str] | None = None,
    prereg=None,
) -> AnalysisRun:
    """Run the canned analysis of a study into a results folder.

    Parameters
    ----------
    study : Study
    out : path
        Results folder (written atomically: a partial run leaves no complete-looking folder).
        Refused (DataError) when it holds files hormonestats did not write or an input of the
        study, or is, contains or lies inside the data folder (it may sit beside the contract);
        see :mod:`hormonestats.report.output_guard`.
    hypotheses : names from ``hs.hypotheses``; None = every one that can apply to the study.
    mapping : role -> column of the analysis table, given by the user. Each column must exist
        (else :class:`~hormonestats.errors.ModelError` with the closest names); the roles left
        out take their column from :data:`DEFAULT_MAPPING` where the table has it.
    covariates : columns of the analysis table every model is adjusted for (each must exist);
        they are named in the hypotheses table (``covariates`` column), the methods text and
        the manifest's parameters.
    n_boot : bootstrap resamples of the mediation hypotheses (recorded in the manifest).
    options : :class:`~hormonestats.options.ProcessingOptions` or mapping, optional
        How the assays are processed (LOD policy, CV limit, ...); recorded in the manifest.
    execution : :class:`~hormonestats.options.ExecutionOptions` or mapping, optional
        The seed of the bootstraps (default :data:`~hormonestats.options.DEFAULT_SEED`);
        recorded in the manifest.
    seed : int, optional
        The same as ``execution=ExecutionOptions(seed=...)``.
    process_options : mapping, optional
        Processing options in :func:`hormonestats.process_samples`' spelling (override
        ``options``).
    impute : int
        0 (default): complete cases. m >= 2: the analysis table is multiply imputed m times
        (:func:`hormonestats.impute`; below-LOD readings imputed within (0, LOD) unless a LOD
        policy is given) and every hypothesis is pooled by Rubin's rules
        (:func:`hormonestats.test_hypotheses_imputed`); the methods text says what was imputed
        and how, and the imputation model is written as ``imputation_model``.
    alpha, fdr_method : float, str
        The level and the multiplicity correction of the hypothesis family
        (:func:`hormonestats.test_hypotheses`).
    exclude_subjects : sequence of subject IDs, or mapping ID -> reason, optional
        Participants excluded by hand: every row of theirs is taken out before processing and
        logged (step "excluded by hand"); with a plan each is a deviation.
    prereg : Plan or path of a ``plan.json``, optional
        The pre-registered plan (:func:`hormonestats.preregister`): the run is compared with it
        and the deviations (:func:`hormonestats.workflows.deviations.deviations`) are written
        as the ``deviations`` table, shown in report.html and said in the methods text with
        the plan's hash and date; a plan edited after it was frozen is said to be so.

    Returns
    -------
    AnalysisRun
        The written folder (``.folder``), the validation report, the processed study, the QC
        tables, the role plan (``.roles``: every hypothesis, applicable or not and why, see
        :func:`hormonestats.workflows.roles.role_plan`), the hypothesis family (``.hypotheses``,
        applicable hypotheses only; ``.fits`` each model), the hypotheses table, the methods
        text, every table and figure written and the manifest; see
        :class:`~hormonestats.workflows.analysis_run.AnalysisRun`. Hypotheses that cannot apply
        to the study are written to ``not_applicable.csv``, apart from the results.
    """
    from ..report.output_guard import check_results_folder, run_inputs, study_inputs
    from .deviations import as_plan

    plan = as_plan(prereg)
    _check_inference(alpha, fdr_method)
    # refuse a results folder that would destroy or alter what hormonestats did not write,
    # before any work is done
    check_results_folder(out, study_inputs(study) + run_inputs(
        [plan.path] if plan is not None and plan.path else []))
    mapping = dict(mapping or {})
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    given = dict(process_options or {})
    impute = int(impute)
    if impute == 1 or impute < 0:
        from ..errors import HormoneStatsError

        raise HormoneStatsError(
            f"impute: m must be 0 (complete cases) or at least 2, got {impute}")
    if impute and "lod_policy" not in given and not (
            isinstance(options, ProcessingOptions)
            or (isinstance(options, Mapping) and "lod_policy" in options)):
        given["lod_policy"] = "flag"  # readings below the LOD imputed below it
    processing = ProcessingOptions.coerce(options, **given)
    seed = ExecutionOptions.coerce(execution, seed=seed).seed
    results: dict = {}
    with _Steps(console, total=6) as say:
        return _run(study, out=out, hypotheses=hypotheses, mapping=mapping,
                    covariates=covariates, seed=seed, n_boot=n_boot, title=title,
                    processing=processing, process_options=given, say=say, results=results,
                    impute=impute, inference={"alpha": alpha, "fdr_method": fdr_method},
                    exclude_subjects=exclude_subjects, prereg=plan)


def _check_inference(alpha, fdr_method) -> None:
    """Refuse an alpha outside (0, 1) or an unknown correction before any work is done."""
    from ..errors import HormoneStatsError
    from ..models.effects import FDR_METHODS

    if fdr_method not in FDR_METHODS:
        raise HormoneStatsError(f"fdr_method {fdr_method!r} is unknown; allowed: "
                                f"{', '.join(FDR_METHODS)}")
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise HormoneStatsError(f"alpha must be between 0 and 1, got {alpha!r}")


class _Steps:
    """Progress display of the six steps (rich): a bar in a terminal, step lines in a log."""

    def __init__(self, console, total: int):
        self.console = console
        self.total = total
        self.progress = None

    def __enter__(self):
        if self.console is None:
            return lambda *a, **k: None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), console=self.console, transient=True)
        self.progress.start()
        self.task = self.progress.add_task("analysis", total=self.total)
        self.done = 0

        def say(message: str, **kwargs) -> None:
            if self.done:
                self.progress.advance(self.task)
            self.done += 1
            self.progress.update(self.task, description=message)
            self.console.print(message, **kwargs)

        return say

    def __exit__(self, *exc):
        if self.progress is not None:
            self.progress.update(self.task, completed=self.total)
            self.progress.stop()
        return False


def _run(study, *, out, hypotheses, mapping, covariates, seed, n_boot, title, processing,
         process_options, say, results, impute=0, inference=None, exclude_subjects=None,
         prereg=None) -> AnalysisRun:
    from ..derive.processing import process_study
    from ..report import manifest, methods_text, package_versions, write_report
    from ..report.output_guard import study_inputs
    from ..study.validation import validate
    from .deviations import deviation_outputs, exclude_by_hand, prereg_facts, with_log

    say("[bold]1/6[/] validating the study against its contract", markup=True)
    report = validate(study)
    results["validation"] = report
    report.raise_for_errors()
    original = study  # the sample as read; participants excluded by hand are logged
    study, by_hand = exclude_by_hand(study, exclude_subjects)

    say("[bold]2/6[/] processing assays, genotypes and instruments", markup=True)
    processed = with_log(process_study(study, options=processing), by_hand)
    results["processed"] = processed
    table = processed.table

    say("[bold]3/6[/] assay and measurement quality", markup=True)
    qc = _qc_tables(study, processed)
    results["qc"] = qc

    say("[bold]4/6[/] testing the hypotheses (FDR across the family)", markup=True)
    from .roles import check_columns, merge_mapping, role_plan

    check_columns(table.columns, mapping=mapping, covariates=covariates)
    items = _item_responses(study)  # keyed RMET item responses, for item-level models
    plan = role_plan(table, design=study.contract.design, mapping=mapping, hypotheses=hypotheses,
                     instruments=tuple(study.contract.instruments), items=items is not None)
    results["roles"] = plan
    applicable = plan.loc[plan["status"] == "applicable", "hypothesis"].tolist()
    not_applicable = plan.loc[plan["status"] != "applicable"].reset_index(drop=True)
    usable = merge_mapping(mapping, table.columns)
    missing = _missingness(table, usable, covariates, qc)
    family, imputed = _family(study, processed, impute, mapping=usable, hypotheses=applicable,
                              covariates=tuple(covariates), seed=seed, n_boot=n_boot,
                              items=items, **(inference or {}))
    results["imputed"] = imputed
    results["hypotheses"] = family
    hyp_table = _with_covariates(family.table, usable, covariates)
    results["hypotheses_table"] = hyp_table

    say("[bold]5/6[/] figures", markup=True)
    design = design_outputs(
        family, table, samples=processed.samples.samples if processed.samples is not None
        else None, subjects=study["subjects"], labels=DEFAULT_LABELS)
    figures = _figures(family, qc, design["figures"])

    say("[bold]6/6[/] report, methods text and manifest", markup=True)
    settings = processed.samples.settings if processed.samples is not None else {}
    subjects, group = subjects_by_group(study)
    groups = [group] if group else []
    methods = methods_text(
        subjects=subjects,
        group=group,
        samples_summary=processed.samples.samples if processed.samples is not None else None,
        lod_table=qc.get("lod_summary"),
        lod_policy=settings.get("lod_policy"),
        cv_table=qc.get("intra_assay_cv"),
        inter_cv_table=qc.get("inter_assay_cv"),
        max_cv=settings.get("max_cv"),
        transform=settings.get("transform"),
        log=processed.log,
        genotype_qc=qc.get("genotype_qc"),
        reliability=qc.get("reliability"),
        models={name: design["methods"].get(name) or (r.results[0] if r.family == "pooled"
                                                      else r)
                for name, r in family.results.items() if r is not None},
        hypotheses=family.table, alpha=family.alpha, fdr_method=family.fdr_method,
        versions=package_versions(),
        labels=DEFAULT_LABELS,
    )
    prereg_tables, prereg_captions, prereg_text = deviation_outputs(
        results, prereg, original, family=family, mapping=usable, covariates=covariates,
        processing=processing, n_boot=n_boot, by_hand=by_hand, impute=impute,
        not_applicable=not_applicable)
    methods += "\n\n" + _missing_paragraph(missing, imputed, family) + prereg_text
    results["methods"] = methods
    man = manifest(
        inputs=dict(study.sources) if study.sources else {},
        contract=study.contract,
        parameters={"hypotheses": applicable,
                    "not_applicable": not_applicable["hypothesis"].tolist(),
                    "mapping": usable, "mapping_given": mapping,
                    "covariates": list(covariates), "n_boot": n_boot,
                    "process_options": process_options,
                    "processing": processing.as_dict(),
                    "execution": ExecutionOptions(seed=seed).as_dict(),
                    "impute": imputed.imputed.settings if imputed is not None else None,
                    **prereg_facts(prereg, inference, by_hand)},
        seed=seed,
    )
    from ..report import table1
    from ..report.verdicts import plain_verdicts
    from .sensitivity import sensitivity

    # the same family under the other LOD policies and with winsorising (Pollet & van der
    # Meij 2017): a finding that flips with a processing choice is reported as such
    # (the variant processed as this run was is this run's fit, not a second one)
    results["sensitivity"] = sensitivity(
        study, mapping=usable, hypotheses=applicable, covariates=covariates, seed=seed,
        n_boot=min(n_boot, 2000), base=processing,
        planned=(processing, family.table, len(table))) if applicable else None

    from ..models.equivalence import equivalence_regions
    from ..report.checklists import checklist

    tables = {"table1": table1(subjects, group=group),
              "hypotheses": hyp_table, "analysis_table": table, **qc}
    if results["sensitivity"] is not None:
        tables["sensitivity"] = results["sensitivity"].table
    if imputed is not None:
        tables["imputation_model"] = imputed.model
    if len(not_applicable):
        tables["not_applicable"] = not_applicable
    # reviewers' asks: how small an effect the data rule out where a predicted effect is not
    # significant (two one-sided tests), and which reporting-guideline items the study meets
    equivalence = equivalence_regions(family)
    if len(equivalence):
        tables["equivalence"] = equivalence
    tables["checklist"] = checklist(study)
    for name, res in family.results.items():
        tables[f"model_{name}"] = res.table
    tables.update(design["tables"])
    n_input = {t: len(f) for t, f in original.tables.items()}
    tables.update(prereg_tables)
    captions = {**_captions(family, figures, groups), **design["captions"], **prereg_captions}
    folder = write_report(
        Path(out),
        title=title or f"hormonestats: {study.contract.name}",
        tables=tables,
        figures=figures,
        methods=methods,
        log=processed.log,
        manifest=man,
        n_input=n_input,
        summary=study_paragraph(study, table, family.table),
        verdicts=plain_verdicts(family.table, alpha=family.alpha, claims={
            name: registry_claim(name) for name in family.table["hypothesis"]}),
        captions=captions,
        protect=study_inputs(study),
    )
    import matplotlib.pyplot as plt

    for fig in figures.values():
        plt.close(getattr(fig, "figure", fig))
    return AnalysisRun(folder=folder, tables=tables, figures=figures, manifest=man, **results)


def _item_responses(study):
    """The study's keyed item-level RMET responses (None when it has none)."""
    from ..derive.items import study_item_table

    found = study_item_table(study)
    return None if found is None else found.data


def _qc_tables(study, processed) -> dict[str, pd.DataFrame]:
    """The assay, genotype and measurement-quality tables of a processed study."""
    qc: dict[str, pd.DataFrame] = {}
    if processed.samples is not None:
        qc["lod_summary"] = processed.samples.lod_summary
        if len(processed.samples.intra_cv):  # no table of CVs where no sample had two wells
            qc["intra_assay_cv"] = processed.samples.intra_cv
        if not processed.samples.inter_cv.empty:
            qc["inter_assay_cv"] = processed.samples.inter_cv
        qc["sample_accounting"] = processed.samples.accounting()
    if processed.genotype_qc is not None:
        qc["genotype_qc"] = processed.genotype_qc
    if processed.genotype_qc_by_ancestry is not None:
        qc["genotype_qc_by_ancestry"] = processed.genotype_qc_by_ancestry
    rel = reliability_table(study)
    if rel is not None:
        qc["reliability"] = rel
    from .sampling_qc import sampling_reliability_table

    sampling = sampling_reliability_table(processed)
    if sampling is not None:
        qc["sampling_reliability"] = sampling
    return qc


def _family(study, processed, impute: int, **kwargs):
    """The hypothesis family on the analysis table (complete cases), or on ``impute``
    completed tables pooled by Rubin's rules; (family, ImputedStudy or None)."""
    from ..models.hypotheses import test_hypotheses

    if not impute:
        return test_hypotheses(processed.table, **kwargs), None
    from .imputation import impute as impute_study
    from .imputation import test_hypotheses_imputed

    imputed = impute_study(study, processed=processed, m=impute, seed=kwargs["seed"],
                           mapping=kwargs["mapping"])
    return test_hypotheses_imputed(imputed, **kwargs), imputed


def _missingness(table, usable, covariates, qc):
    """What is missing among the variables the hypotheses and covariates use (before any
    imputation), added to the QC tables."""
    from ..derive.missingness import missingness

    used = [c for c in dict.fromkeys([*usable.values(), *covariates])
            if c in table.columns and c != usable.get("subject")]
    missing = missingness(table, columns=used)
    qc.update(missing.tables())
    return missing


def _missing_paragraph(missing, imputed, family) -> str:
    """Missing data in the methods: the summary, and how they were imputed and pooled."""
    text = missing.sentence()
    if imputed is not None:
        from .imputation import pooled_sentence

        text += " " + imputed.methods_text() + " " + pooled_sentence(family.table)
    return text


def _figures(family, qc: dict, design_figures: Mapping = MappingProxyType({})) -> dict:
    """The results folder's figures: the forest plot, each model's family figures
    (:data:`hormonestats.report.plots.FAMILY_FIGURES`) and the assay QC."""
    from ..report import plots

    figures = {}
    tested = family.table[family.table["status"] == "tested"]
    if len(tested):
        figures["forest"] = plots.forest(family.table)
    for name, res in family.results.items():
        for kind, draw in plots.FAMILY_FIGURES.get(res.family, {}).items():
            if (drawn := draw(res)) is not None:
                figures[f"{name}_{kind}"] = drawn
    figures.update(design_figures)  # the designs' figures (design_outputs), before the QC
    if "lod_summary" in qc and len(qc["lod_summary"]):
        figures["qc_lod"] = plots.qc_lod(qc["lod_summary"])
    if "intra_assay_cv" in qc and len(qc["intra_assay_cv"]):
        figures["qc_cv"] = plots.qc_cv(qc["intra_assay_cv"])
    return figures


def _captions(family, figures: dict, groups: list) -> dict:
    """Captions of Table 1 and of the interaction figures."""
    captions = {}
    if groups:
        captions["table1"] = f"Sample characteristics by {groups[0]}"
    for name, res in family.results.items():
        if f"{name}_interaction" in figures:
            facts = res.methods_facts()
            y, x = facts["y"], facts["x"]
            captions[f"{name}_interaction"] = (
                f"Predicted {DEFAULT_LABELS.get(y, y)} across "
                f"{DEFAULT_LABELS.get(x, x)} at levels of the moderator, hypothesis “{name}” "
                "(95% confidence intervals)")
    return captions


def _with_covariates(table: pd.DataFrame, mapping: Mapping[str, str], covariates) -> pd.DataFrame:
    """The hypotheses table with a ``covariates`` column: the adjustment each model had.

    A covariate that is one of a model's own variables is left out of that model (the
    ``reason`` column says so), and so out of its entry here.
    """
    from ..models.hypotheses import hypotheses as registry

    used = []
    for name, status in zip(table["hypothesis"], table["status"]):
        own = {mapping.get(r) for r in registry[name].role_names} if name in registry else set()
        covs = [c for c in covariates if c not in own] if status == "tested" else []
        used.append(", ".join(covs))
    out = table.copy()
    out.insert(out.columns.get_loc("n") + 1 if "n" in out.columns else len(out.columns),
               "covariates", pd.Series(used, index=out.index, dtype="str"))
    return out

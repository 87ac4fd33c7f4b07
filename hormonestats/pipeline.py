"""A whole analysis as one call: validate -> process -> QC -> hypotheses -> figures -> report.

``run_analysis`` is what ``hormonestats demo``, ``hormonestats run NAME`` and the scripts in
``analyses/`` call; it only strings together the public API. Every number in the results
folder comes from the study, the parameters and the seed, which the manifest records, so the
same inputs and seed reproduce every table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

__all__ = ["DEFAULT_MAPPING", "run_analysis"]

#: Roles of the registered hypotheses -> columns of the analysis table of the example study
#: (``process_study``): hormones on the natural-log scale, the intranasal oxytocin arm (1/0),
#: the RMET total as the social-cognition outcome and the PSS-10 as the anxiety-related score.
DEFAULT_MAPPING = {
    "outcome": "rmet_total",
    "oxytocin": "oxytocin_arm",
    "estradiol": "log_estradiol",
    "testosterone": "log_testosterone",
    "progesterone": "log_progesterone",
    "cortisol": "log_cortisol",
    "anxiety": "pss10_total",
    "rs53576": "rs53576_add_A",
    "subject": "subject_id",
}

#: Study designs with repeated measures per person: their default family is the mixed-model one.
REPEATED_DESIGNS = ("within", "crossover")


def reliability_table(study) -> pd.DataFrame | None:
    """Alpha and omega of every scale of every item-level instrument of a study.

    Instruments given only as task totals (no item rows) and the trust game have no internal
    consistency to estimate and are left out. None when nothing is left.
    """
    from .derive.processing import instrument_keys
    from .derive.reliability import reliability

    if "responses" not in study.tables:
        return None
    responses = study["responses"]
    keys = instrument_keys(study)
    parts = []
    for name in study.contract.instruments:
        inst = study.contract.instrument(name)
        rows = responses[responses["instrument"].astype(str) == name]
        items = rows["item"].astype(str).str.lstrip("0").isin(inst.items)
        if inst.scoring == "trust_game" or not items.any():
            continue
        table = reliability(responses, instrument=inst, key=keys.get(name)).table
        label = table["scale"].map(
            lambda sc, n=name: sc if str(sc).startswith(n) else f"{n}_{sc}"
        ) if "scale" in table.columns else name
        parts.append(table.assign(instrument=label))
    return pd.concat(parts, ignore_index=True) if parts else None


def study_folders(study) -> list[Path]:
    """The folders holding a study's table files and its contract (never written into)."""
    folders = [Path(p).parent for p in dict(study.sources).values()]
    if study.contract.path is not None:
        folders.append(Path(study.contract.path).parent)
    return list(dict.fromkeys(folders))


def run_analysis(
    study,
    *,
    out,
    hypotheses: Sequence[str] | None = None,
    mapping: Mapping[str, str] | None = None,
    covariates: Sequence[str] = (),
    seed: int = 20261122,
    n_boot: int = 5000,
    title: str | None = None,
    console=None,
    process_options: Mapping | None = None,
) -> dict:
    """Run the canned analysis of a study into a results folder.

    Parameters
    ----------
    study : Study
    out : path
        Results folder (written atomically: a partial run leaves no complete-looking folder).
        Refused (DataError) when it holds files hormonestats did not write, or is, contains or
        lies inside the data folder or the contract's folder.
    hypotheses : names from ``hs.hypotheses``; None = all that the mapping supports.
    mapping : role -> column of the analysis table (default :data:`DEFAULT_MAPPING`).
    seed, n_boot : bootstrap settings (recorded in the manifest).

    Returns
    -------
    dict with the validation report, the processed study, the hypothesis family result, the
    QC tables and the path of the written folder.
    """
    from .report.provenance import check_results_folder

    # refuse a results folder that would destroy or alter what hormonestats did not write,
    # before any work is done
    check_results_folder(out, protect=study_folders(study))
    mapping = dict(DEFAULT_MAPPING if mapping is None else mapping)
    process_options = dict(process_options or {})
    results: dict = {}
    with _Steps(console, total=6) as say:
        return _run(study, out=out, hypotheses=hypotheses, mapping=mapping,
                    covariates=covariates, seed=seed, n_boot=n_boot, title=title,
                    process_options=process_options, say=say, results=results)


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


def _run(study, *, out, hypotheses, mapping, covariates, seed, n_boot, title, process_options,
         say, results) -> dict:
    from .derive.processing import process_study
    from .models.hypotheses import test_hypotheses
    from .report import manifest, methods_text, package_versions, plots, write_report
    from .study.validation import validate

    say("[bold]1/6[/] validating the study against its contract", markup=True)
    report = validate(study)
    results["validation"] = report
    report.raise_for_errors()

    say("[bold]2/6[/] processing assays, genotypes and instruments", markup=True)
    processed = process_study(study, **process_options)
    results["processed"] = processed
    table = processed.table

    say("[bold]3/6[/] assay and measurement quality", markup=True)
    qc: dict[str, pd.DataFrame] = {}
    if processed.samples is not None:
        qc["lod_summary"] = processed.samples.lod_summary
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
    results["qc"] = qc

    say("[bold]4/6[/] testing the hypotheses (FDR across the family)", markup=True)
    if hypotheses is None:
        from .models.hypotheses import hypotheses as registry

        repeated = study.contract.design in REPEATED_DESIGNS
        hypotheses = [name for name, h in registry.items() if (h.family == "mixed") == repeated]
    usable = {k: v for k, v in mapping.items() if v in table.columns}
    family = test_hypotheses(table, mapping=usable, hypotheses=hypotheses,
                             covariates=tuple(covariates), seed=seed, n_boot=n_boot)
    results["hypotheses"] = family

    say("[bold]5/6[/] figures", markup=True)
    figures = {}
    tested = family.table[family.table["status"] == "tested"]
    if len(tested):
        figures["forest"] = plots.forest(family.table)
    for name, res in family.results.items():
        if res is None:
            continue
        if hasattr(res, "johnson_neyman") and hasattr(res, "predictions"):
            figures[f"{name}_interaction"] = plots.interaction(res)
            figures[f"{name}_johnson_neyman"] = plots.johnson_neyman(res)
        elif hasattr(res, "boot_indirect"):
            figures[f"{name}_paths"] = plots.mediation_paths(res)
    if "lod_summary" in qc and len(qc["lod_summary"]):
        figures["qc_lod"] = plots.qc_lod(qc["lod_summary"])
    if "intra_assay_cv" in qc and len(qc["intra_assay_cv"]):
        figures["qc_cv"] = plots.qc_cv(qc["intra_assay_cv"])

    say("[bold]6/6[/] report, methods text and manifest", markup=True)
    models = [r for r in family.results.values() if r is not None]
    methods = methods_text(
        samples_summary=processed.samples.samples if processed.samples is not None else None,
        lod_table=qc.get("lod_summary"),
        lod_policy=processed.samples.settings["lod_policy"] if processed.samples else None,
        cv_table=qc.get("intra_assay_cv"),
        inter_cv_table=qc.get("inter_assay_cv"),
        log=processed.log,
        genotype_qc=qc.get("genotype_qc"),
        reliability=qc.get("reliability"),
        models=models,
        versions=package_versions(),
    )
    results["methods"] = methods
    man = manifest(
        inputs=dict(study.sources) if study.sources else {},
        contract=study.contract,
        parameters={"hypotheses": list(hypotheses),
                    "mapping": mapping, "covariates": list(covariates), "n_boot": n_boot,
                    "process_options": process_options},
        seed=seed,
    )
    from .models.sensitivity import sensitivity
    from .report import table1

    # the same family under the other LOD policies and with winsorising (Pollet & van der
    # Meij 2017): a finding that flips with a processing choice is reported as such
    results["sensitivity"] = sensitivity(
        study, mapping={k: v for k, v in mapping.items() if v in table.columns},
        hypotheses=hypotheses, covariates=covariates, seed=seed, n_boot=min(n_boot, 2000))

    groups = [g for g in ("arm", "group", "sequence", "role") if g in study["subjects"].columns]
    tables = {"table1": table1(study["subjects"], group=groups[0] if groups else None),
              "hypotheses": family.table, "sensitivity": results["sensitivity"],
              "analysis_table": table, **qc}
    for name, res in family.results.items():
        if res is not None and hasattr(res, "table"):
            tables[f"model_{name}"] = res.table
    n_input = {t: len(f) for t, f in study.tables.items()}
    folder = write_report(
        Path(out),
        title=title or f"hormonestats: {study.contract.name}",
        tables=tables,
        figures=figures,
        methods=methods,
        log=processed.log,
        manifest=man,
        n_input=n_input,
    )
    import matplotlib.pyplot as plt

    for fig in figures.values():
        plt.close(getattr(fig, "figure", fig))
    results["folder"] = folder
    return results

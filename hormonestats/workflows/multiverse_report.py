"""The results folder of a multiverse analysis: specifications, skipped combinations, the decisions
that matter, the tests under the null, the specification curve, methods text and manifest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ..options import ExecutionOptions

__all__ = ["multiverse_methods", "write_multiverse"]


def multiverse_methods(result) -> str:
    """A methods paragraph for a multiverse analysis (what was varied, how it was tested)."""
    tested = int((result.table["status"] == "tested").sum())
    varied = "; ".join(f"{name} ({', '.join(choices)})"
                       for name, choices in result.decisions.items())
    text = (f"We ran a multiverse analysis of the {result.hypothesis} hypothesis over the "
            f"decisions {varied}. Of the {tested + len(result.skipped)} combinations, "
            f"{tested} were analysed and {len(result.skipped)} could not apply (listed with "
            "their reasons in the skipped table). Each specification went through the same "
            "processing and model as the planned analysis.")
    if result.inference is not None:
        n_null = int(result.inference["n_null"].iloc[0])
        text += (" The specification curve was tested against data generated under the null "
                 f"({n_null} resamples of participants with the key effect removed from every "
                 "specification; Simonsohn, Simmons & Nelson, 2020).")
    return text


def write_multiverse(
    study,
    *,
    out,
    hypothesis: str,
    decisions: Mapping[str, Sequence[str]] | None = None,
    mapping: Mapping[str, str] | None = None,
    covariates: Sequence[str] = (),
    n_null: int = 500,
    execution: ExecutionOptions | Mapping | None = None,
    seed: int | None = None,
    n_jobs: int | None = None,
    scheduler=None,
    inputs: Mapping | None = None,
):
    """Validate the study, run :func:`hormonestats.multiverse` and write its results folder.

    The folder is checked before any work: it may not hold files hormonestats did not write,
    nor hold an input of the study, nor be, contain or lie inside the study's data folder. Returns
    ``(result, folder)``. ``execution`` (or the keywords ``seed``, ``n_jobs``,
    ``scheduler``) says where the specifications run and seeds the null draws (default
    :data:`~hormonestats.options.DEFAULT_SEED`); the manifest records it.
    """
    from ..report import write_report
    from ..report.multiverse_figure import specification_curve
    from ..report.output_guard import check_results_folder, study_inputs
    from ..report.provenance import manifest
    from ..study.validation import validate
    from .multiverse import multiverse

    protect = study_inputs(study)
    check_results_folder(out, protect)
    validate(study).raise_for_errors()
    ex = ExecutionOptions.coerce(execution, seed=seed, n_jobs=n_jobs, scheduler=scheduler)
    result = multiverse(study, hypothesis=hypothesis, decisions=decisions, mapping=mapping,
                        covariates=covariates, n_null=n_null, execution=ex)
    tables = {"specifications": result.table, "skipped": result.skipped,
              "decisions_that_matter": result.importance()}
    if result.inference is not None:
        tables["inference_under_null"] = result.inference
    figure = specification_curve(result)
    sources = dict(study.sources) if getattr(study, "sources", None) else {}
    man = manifest(
        inputs=sources or {k: str(v) for k, v in (inputs or {}).items()},
        contract=study.contract,
        parameters={"analysis": "multiverse", "hypothesis": hypothesis,
                    "decisions": {k: list(v) for k, v in result.decisions.items()},
                    "mapping": dict(result.mapping), "mapping_given": dict(mapping or {}),
                    "covariates": list(covariates),
                    "n_null": n_null, "execution": ex.as_dict()},
        seed=ex.seed,
    )
    folder = write_report(Path(out), title=f"hormonestats: multiverse of {hypothesis}",
                          tables=tables, figures={"specification_curve": figure},
                          methods=multiverse_methods(result), manifest=man, protect=protect)
    return result, folder

"""``hormonestats demo``: the whole pipeline on the bundled example study.

validate -> process (assays, genotypes, instruments) -> QC tables -> hypotheses with FDR ->
figures -> report (``results/demo/report.html``), then a within-person result on the bundled
cycle study (when present) and a small power table for the main hypothesis.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from ..options import DEFAULT_SEED
from .analysis_run import DemoRun

__all__ = ["run_demo"]

#: Fixed seed of the demo (bootstrap and power simulations).
DEMO_SEED = DEFAULT_SEED


def _show(console, title: str, frame: pd.DataFrame, columns=None, digits: int = 3) -> None:
    """Print a table as plain aligned text (readable in any terminal width and in CI logs)."""
    frame = frame if columns is None else frame[[c for c in columns if c in frame.columns]]
    text = frame.to_string(index=False, float_format=lambda v: f"{v:.{digits}g}")
    console.print(f"\n{title}", style="bold", markup=False)
    console.print(text, markup=False, soft_wrap=True)


def run_demo(*, out: Path = Path("results/demo"), console=None, progress: bool = True,
             n_boot: int = 5000, power_sims: int = 500) -> DemoRun:
    """Run the demo; returns a :class:`~hormonestats.workflows.analysis_run.DemoRun` (the
    analysis run, the power table and the within-person model; used by tests and notebooks)."""
    from rich.console import Console

    from ..datasets import CATALOGUE, read_dataset
    from .pipeline import run_analysis

    console = console or Console()
    quiet = Console(quiet=True)
    study = read_dataset("example_study")
    console.rule("[bold]hormonestats demo: the bundled example study")
    console.print(repr(study), markup=False)
    # the example study mixes women and men, whose hormone levels differ by sex: every model
    # is adjusted for sex (otherwise sex differences masquerade as hormone effects)
    run = run_analysis(study, out=out, seed=DEMO_SEED, n_boot=n_boot, covariates=("sex",),
                       console=console if progress else quiet,
                       title="hormonestats demo: example study")
    console.print(run.validation.summary(), markup=False, soft_wrap=True)
    processed = run.processed
    qc = run.qc
    _show(console, "Processing: row accounting of the samples table (wells)",
          qc["sample_accounting"])
    _show(console, "Readings below the limit of detection", qc["lod_summary"])
    if "intra_assay_cv" in qc:  # only where samples had more than one well
        _show(console, "Intra-assay CV (%) by plate", qc["intra_assay_cv"].head(10))
    if "inter_assay_cv" in qc:
        _show(console, "Inter-assay CV (%) of plate controls", qc["inter_assay_cv"])
    n_excl = int((processed.log["action"] == "excluded").sum())
    console.print(f"Exclusion log: {len(processed.log)} entries ({n_excl} exclusions); "
                  "every entry is in exclusion_log.csv of the results folder.", markup=False)
    _show(console, "Genotype QC (exact HWE test, Wigginton et al. 2005)", qc["genotype_qc"],
          ["snp", "n", "n_called", "call_rate", "n_hom1", "n_het", "n_hom2", "minor_allele",
           "maf", "hwe_p"])
    if "genotype_qc_by_ancestry" in qc:
        _show(console, "Genotype QC within ancestry groups (a pooled sample of several "
              "ancestries departs from Hardy-Weinberg by mixture alone)",
              qc["genotype_qc_by_ancestry"],
              ["snp", "ancestry", "n", "call_rate", "maf", "hwe_p"])
    if "reliability" in qc:
        _show(console, "Reliability of the instruments", qc["reliability"],
              ["instrument", "n", "n_items", "alpha", "alpha_conf_low", "alpha_conf_high",
               "omega_total"])
    _show(console, "Hypotheses, adjusted for sex (Benjamini-Hochberg FDR across the family)",
          run.hypotheses.table,
          ["hypothesis", "term", "estimate", "conf_low", "conf_high", "p_value", "p_fdr",
           "predicted_sign", "agrees", "n", "status"])

    within_person = None
    if "cycle_study" in CATALOGUE:
        from ..errors import HormoneStatsError

        try:
            within_person = _within_person(console)
        except (HormoneStatsError, FileNotFoundError) as err:  # the cycle data are optional
            console.print(f"(within-person example skipped: {err})", markup=False)
    power = _power(console, power_sims)
    folder = Path(run.folder)
    console.print(f"\nResults folder: {folder}  (open {folder / 'report.html'} in a browser)",
                  markup=False)
    return DemoRun(analysis=run, power=power, within_person=within_person)


def _within_person(console):
    from ..datasets import read_dataset
    from ..derive.processing import process_study
    from ..models.mixed import MixedModelWarning, mixed

    study = read_dataset("cycle_study")
    table = process_study(study).table
    y = next((c for c in ("rmet_total", "outcome", "iri_ec", "pss10_total") if c in table.columns
              and table[c].notna().any()), None)
    if y is None or "log_estradiol" not in table.columns:
        raise FileNotFoundError("cycle study has no outcome and estradiol columns")
    with warnings.catch_warnings():  # the result keeps them; they are printed below
        warnings.simplefilter("ignore", MixedModelWarning)
        res = mixed(table, y=y, x="log_estradiol", subject="subject_id")
    _show(console, f"Within-person (cycle study): {y} on estradiol, person-mean centred",
          res.table)
    for note in res.warnings:
        console.print(f"Model note: {note}", markup=False, soft_wrap=True)
    return res


def _power(console, n_sims: int):
    from ..simulate.power import power

    table = power("estradiol_oxytocin", n=[100, 200, 400, 800], n_sims=n_sims,
                  seed=DEMO_SEED, progress=False)
    _show(console, f"Power of estradiol x oxytocin ({n_sims} simulations per n)", table,
          ["n", "power", "mc_se", "mean_estimate", "coverage"])
    return table

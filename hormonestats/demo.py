"""``hormonestats demo``: the pipeline on the bundled example study, step by step."""

from __future__ import annotations

from pathlib import Path

__all__ = ["run_demo"]


def run_demo(*, out: Path = Path("results/demo"), console=None, progress: bool = True) -> dict:
    """Validate the bundled example study and print what was found.

    Returns a dict of the intermediate results (used by tests and notebooks).
    """
    from rich.console import Console

    from .datasets import read_dataset
    from .validation import validate

    console = console or Console()
    results: dict = {}
    study = read_dataset("example_study")
    results["study"] = study
    console.rule("[bold]hormonestats demo: example study")
    console.print(repr(study), markup=False)
    report = validate(study)
    results["validation"] = report
    console.print(report.summary(), markup=False, soft_wrap=True)
    report.raise_for_errors()
    return results

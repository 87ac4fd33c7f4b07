"""The one shape every study command takes: positional ``CONTRACT DATA_DIR``.

``validate``, ``qc``, ``checklist``, ``run``, ``hypotheses`` and ``multiverse`` all take the
contract and the data folder as their positional arguments (after the analysis or hypothesis
name where there is one). The older options ``--contract`` / ``--data`` are kept as aliases; giving
both spellings of one path, or neither, is a mistake with a message. ``run`` also takes the
processing options the multiverse varies (:class:`hormonestats.ProcessingOptions`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["ContractArg", "ContractOpt", "DataArg", "DataOpt", "ProcessingArgs",
           "processing_options", "study_paths"]

ContractArg = Annotated[
    Path | None, typer.Argument(help="The study contract (YAML).", show_default=False)]
DataArg = Annotated[
    Path | None, typer.Argument(help="Folder holding the study's table files.",
                                show_default=False)]
ContractOpt = Annotated[
    Path | None, typer.Option("--contract", help="Same as CONTRACT (kept for older scripts).",
                              show_default=False)]
DataOpt = Annotated[
    Path | None, typer.Option("--data", help="Same as DATA_DIR (kept for older scripts).",
                              show_default=False)]


def study_paths(contract, data_dir, contract_opt, data_opt, *, required: bool = True):
    """(contract, data folder) from the positional arguments or their option aliases.

    Fails (exit 2) when a path is given both ways with different values, or is missing while
    ``required`` (with ``required=False`` both may be absent, never only one).
    """
    from .common import _fail

    pairs = {"CONTRACT": (contract, contract_opt, "--contract"),
             "DATA_DIR": (data_dir, data_opt, "--data")}
    found = {}
    for name, (positional, option, flag) in pairs.items():
        if positional is not None and option is not None and Path(positional) != Path(option):
            _fail(f"{name} is given twice ({positional} and {flag} {option}); give it once")
        found[name] = positional if positional is not None else option
    missing = [n for n, v in found.items() if v is None]
    if missing and (required or len(missing) == 1):
        _fail(f"missing {' and '.join(missing)}: the study commands take CONTRACT DATA_DIR "
              "(e.g. hormonestats run full_study schemas/example_study.yaml data/ --out results)")
    return found["CONTRACT"], found["DATA_DIR"]


class ProcessingArgs:
    """The ``run`` options that set :class:`hormonestats.ProcessingOptions` (the choices the
    multiverse varies), each with the options' own default."""

    LodPolicy = Annotated[str, typer.Option(
        "--lod-policy", help="Readings below the LOD: flag (no value), lod/2, lod/sqrt2 "
        "(Hornung & Reed 1990) or censored.")]
    MaxCv = Annotated[float, typer.Option(
        "--max-cv", help="Replicate CV (%) above which a sample is flagged.")]
    ExcludeImprecise = Annotated[bool, typer.Option(
        "--exclude-imprecise", help="Exclude the samples above --max-cv (logged) instead of "
        "only flagging them.")]
    Outliers = Annotated[str, typer.Option(
        "--outliers", help="none, or winsorize: hormones at mean +- --winsorize-k SD on the "
        "log scale.")]
    WinsorizeK = Annotated[float, typer.Option("--winsorize-k", help="The k of --outliers "
                                               "winsorize.")]
    Transform = Annotated[str, typer.Option(
        "--transform", help="log (natural log of every analyte into log_<analyte>) or none.")]


def processing_options(**values):
    """The validated :class:`~hormonestats.options.ProcessingOptions` (exit 2 when not allowed)."""
    from ..errors import HormoneStatsError
    from ..options import ProcessingOptions
    from .common import _fail

    try:
        return ProcessingOptions(**values)
    except HormoneStatsError as err:
        _fail(str(err))
        raise  # unreachable: _fail exits

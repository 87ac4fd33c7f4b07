"""Command line: a thin layer over the public API (typer + rich).

Bad input (a contract naming an unknown analyte, an unreadable table, a study that fails
validation) prints a readable report and exits with code 2, never with a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from . import __version__
from .errors import HormoneStatsError

app = typer.Typer(
    name="hormonestats",
    help="Validate, process and model behavioural-endocrinology study data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

EXIT_BAD_INPUT = 2


def _version(value: bool) -> None:
    if value:
        console.print(f"hormonestats {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Validate, process and model behavioural-endocrinology study data."""


def _fail(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def validate(
    contract: Annotated[Path, typer.Argument(help="The study contract (YAML).")],
    data_dir: Annotated[Path, typer.Argument(help="Folder holding the study's table files.")],
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the failures as JSON to this file.")
    ] = None,
) -> None:
    """Check a study's tables against its contract; exit 0 if valid, 2 if not."""
    from .study import read_study
    from .validation import validate as run_validate

    try:
        study = read_study(contract, data_dir)
        report = run_validate(study)
    except HormoneStatsError as err:
        _fail(str(err))
        return
    if json_out is not None:
        json_out.write_text(report.to_json(), encoding="utf-8")
    console.print(report.summary(), markup=False, soft_wrap=True)
    if not report.ok:
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def datasets() -> None:
    """List the bundled datasets with their source and licence."""
    from rich.table import Table

    from .datasets import list_datasets

    table = Table()
    table.add_column("name", no_wrap=True)
    for name in ("design", "source", "licence", "description"):
        table.add_column(name)
    for row in list_datasets().itertuples():
        table.add_row(row.name, row.design, row.source, row.licence, row.description)
    console.print(table)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Results folder to write.")] = Path("results/demo"),
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress display.")] = False,
) -> None:
    """Run the whole pipeline on the bundled example study."""
    from .demo import run_demo

    try:
        run_demo(out=out, console=console, progress=not quiet)
    except HormoneStatsError as err:
        _fail(str(err))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``hormonestats`` command; returns the exit code.

    Usage errors (unknown option, missing argument) exit with 2 as click does; bad data exit
    with 2 through the commands; a bug still shows its traceback.
    """
    try:
        app(args=argv, prog_name="hormonestats", standalone_mode=True)
    except SystemExit as stop:
        code = stop.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except HormoneStatsError as err:  # defensive: a command that did not catch its own
        err_console.print(f"error: {err}", markup=False)
        return EXIT_BAD_INPUT
    return 0


def _console_main() -> None:  # pragma: no cover - exercised through the installed script
    sys.exit(main())

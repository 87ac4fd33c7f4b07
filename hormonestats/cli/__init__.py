"""Command line: a thin layer over the public API (typer + rich).

Bad input (a contract naming an unknown analyte, an unreadable table, a study that fails
validation, an unknown hypothesis, role or column) prints a readable report and exits with code
2, never with a traceback. ``run`` exits with 3 when nothing could be tested.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from .. import __version__
from ..errors import HormoneStatsError
from .helptext import EXIT_BAD_INPUT, power_epilog, run_epilog

app = typer.Typer(
    name="hormonestats",
    help="Validate, process and model behavioural-endocrinology study data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


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


def _os_message(path, err: OSError) -> str:
    where = f" ({err.filename})" if getattr(err, "filename", None) else ""
    return f"cannot write {path}: {err.strerror or err}{where}"


def _fail(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def add_lazy_help() -> None:
    """Fill the help texts that need the registries (built only when help is shown, so that
    starting the command stays fast)."""
    for info in app.registered_commands:
        name = getattr(info.callback, "__name__", "")
        if name == "run":
            info.epilog = run_epilog()
        elif name in ("power", "sample_size"):
            info.epilog = power_epilog()


#: The options that send the work to Dask (power, sample sizes, the multiverse).
SchedulerOption = Annotated[
    str | None, typer.Option(help="Dask scheduler address, e.g. tcp://host:8786.")
]
WorkersOption = Annotated[
    int | None, typer.Option(help="Start a local Dask cluster with this many workers.")
]


def _execution_target(stack, scheduler: str | None, workers: int | None):
    """Where --scheduler / --workers send the work: an address, a local cluster started in
    ``stack`` (closed with it), or None (this process, or local processes with --n-jobs)."""
    if scheduler is not None and workers is not None:
        _fail("give either --scheduler (a running cluster) or --workers (a local one), not both")
    if workers is None:
        return scheduler
    if workers < 1:
        _fail(f"--workers must be at least 1, got {workers}")
    from ..parallel import local_cluster

    return stack.enter_context(local_cluster(workers))


def _closest_text(name: str, choices) -> str:
    from ..workflows.roles import closest

    near = closest(name, choices)
    return f"; closest: {', '.join(near)}" if near else ""


def _parse_pairs(items, option: str, value_type=str) -> dict:
    out = {}
    for item in items or []:
        if "=" not in item:
            _fail(f"{option} expects NAME=VALUE, got {item!r}")
        key, value = (part.strip() for part in item.split("=", 1))
        if not key or not value:
            _fail(f"{option} expects NAME=VALUE, got {item!r}")
        try:
            out[key] = value_type(value)
        except ValueError:
            _fail(f"{option} {key}: {value!r} is not a number")
    return out


def _spread_multi(argv: list[str], option: str = "--n") -> list[str]:
    """Let ``--n 50 100 200`` mean ``--n 50 --n 100 --n 200`` (numbers after the option)."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        out.append(argv[i])
        if argv[i] == option:
            j = i + 1
            values = []
            while j < len(argv) and argv[j].lstrip("-").isdigit() and not argv[j].startswith("--"):
                values.append(argv[j])
                j += 1
            if values:
                out.append(values[0])
                for v in values[1:]:
                    out.extend([option, v])
                i = j
                continue
        i += 1
    return out


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``hormonestats`` command; returns the exit code.

    Usage errors (unknown option, missing argument) exit with 2 as click does; bad data exit
    with 2 through the commands; a bug still shows its traceback.
    """
    argv = _spread_multi(list(sys.argv[1:] if argv is None else argv))
    if "--help" in argv:
        add_lazy_help()
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


# the commands register themselves on ``app`` when imported, in the order --help lists them
# (the data flow: check the study, analyse it, plan the next one, read plates)
# isort: off
from . import study_commands  # noqa: E402
from . import analysis_commands  # noqa: E402
from . import planning_commands  # noqa: E402
from . import plate_commands  # noqa: E402
# isort: on

__all__ = ["analysis_commands", "app", "main", "planning_commands", "plate_commands",
           "study_commands"]

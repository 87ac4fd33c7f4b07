"""What the command modules share: the app, the consoles, the failure path and the option
parsers. ``cli/__init__`` only assembles the commands; every command module imports from here,
so no module of the command line imports its package back.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from .. import __version__
from .helptext import EXIT_BAD_INPUT, power_epilog, run_epilog

__all__ = ["SchedulerOption", "WorkersOption", "add_lazy_help", "app", "console", "err_console",
           "spread_multi"]

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


def _fail_on(path, err: Exception) -> None:
    """Exit 2 with a bad-input error in words; an OSError says which ``path`` it could not
    write."""
    _fail(_os_message(path, err) if isinstance(err, OSError) else str(err))


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


def spread_multi(argv: list[str], option: str = "--n") -> list[str]:
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

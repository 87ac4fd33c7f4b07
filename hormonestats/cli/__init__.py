"""Command line: a thin layer over the public API (typer + rich).

Bad input (a contract naming an unknown analyte, an unreadable table, a study that fails
validation, an unknown hypothesis, role or column) prints a readable report and exits with code
2, never with a traceback. ``run`` exits with 3 when nothing could be tested.
"""

from __future__ import annotations

import sys

from ..errors import HormoneStatsError
from .common import add_lazy_help, app, console, err_console, spread_multi
from .helptext import EXIT_BAD_INPUT


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``hormonestats`` command; returns the exit code.

    Usage errors (unknown option, missing argument) exit with 2 as click does; bad data exit
    with 2 through the commands; a bug still shows its traceback.
    """
    argv = spread_multi(list(sys.argv[1:] if argv is None else argv))
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


def run_script(path) -> None:
    """Run the canned analysis a script of ``analyses/`` is named for, with its arguments.

    ``analyses/couples.py CONTRACT DATA_DIR --out FOLDER ...`` is ``hormonestats run couples
    CONTRACT DATA_DIR --out FOLDER ...``: the script's file name is the analysis, the command
    line (``sys.argv[1:]``) its arguments; exits with the command's code.
    """
    from pathlib import Path

    sys.exit(main(["run", Path(path).stem, *sys.argv[1:]]))


def _console_main() -> None:  # pragma: no cover - exercised through the installed script
    sys.exit(main())


# the commands register themselves on ``app`` when imported, in the order --help lists them
# (the data flow: check the study, analyse it, plan the next one, read plates)
# isort: off
from . import study_commands  # noqa: E402
from . import analysis_commands  # noqa: E402
from . import planning_commands  # noqa: E402
from . import prereg_commands  # noqa: E402
from . import plate_commands  # noqa: E402
# isort: on

__all__ = ["analysis_commands", "app", "console", "err_console", "main", "planning_commands",
           "plate_commands", "prereg_commands", "run_script", "study_commands"]

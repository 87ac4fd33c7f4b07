"""The one guard every written path passes: never an input of the run, never in the data folder.

Every file and folder hormonestats writes (a results folder, ``validate --json``,
``checklist --html``, ``plates --out`` and ``--qc``, figures, Word and LaTeX exports, a
multiverse folder, a drafted contract) is checked here before anything is written:

- it is never one of the run's inputs (the contract, the data files, instrument definitions,
  answer keys, plate exports and layouts), and a results folder never holds one;
- it never lies inside the study's data folder, and a results folder never is or contains it
  (a results folder beside the contract, as in ``contract.yaml``, ``data/``, ``results/`` in
  one project folder, is fine);
- a folder is replaced only when it is an earlier hormonestats results folder (its
  ``COMPLETE`` marker lists the files the run wrote, and nothing else is there);
- symbolic links are resolved before any of this is decided.

A refusal raises :class:`~hormonestats.errors.DataError` saying what to do (the command line
exits with code 2).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .._files import inside as _inside
from ..errors import DataError

#: file written last into a results folder; its presence means the run finished
COMPLETE_MARKER = "COMPLETE"

__all__ = ["COMPLETE_MARKER", "RunInputs", "check_output_file", "check_results_folder",
           "is_complete", "manifest_inputs", "run_inputs", "study_inputs"]


def _resolve(path) -> Path:
    return Path(path).expanduser().resolve()




@dataclass(frozen=True)
class RunInputs:
    """What a run reads: input files (or parquet folders) and the data folders.

    Both are held resolved (symbolic links followed). Build with :func:`run_inputs` or
    :func:`study_inputs`; combine with ``+``.
    """

    files: tuple[Path, ...] = ()
    data_folders: tuple[Path, ...] = ()

    def __add__(self, other: RunInputs) -> RunInputs:
        return RunInputs(tuple(dict.fromkeys(self.files + other.files)),
                         tuple(dict.fromkeys(self.data_folders + other.data_folders)))


def run_inputs(files: Iterable = (), data_folders: Iterable = ()) -> RunInputs:
    """The inputs of a run from paths (None entries are skipped).

    Examples
    --------
    >>> ins = run_inputs(files=["contract.yaml"], data_folders=["data"])
    >>> [p.name for p in ins.files], [p.name for p in ins.data_folders]
    (['contract.yaml'], ['data'])
    """
    return RunInputs(tuple(dict.fromkeys(_resolve(f) for f in files if f is not None)),
                     tuple(dict.fromkeys(_resolve(d) for d in data_folders if d is not None)))


def study_inputs(study) -> RunInputs:
    """Everything a study was read from: contract, table files, instrument definitions,
    answer keys, and the folder(s) holding the table files (the data folder)."""
    sources = [Path(p) for p in dict(getattr(study, "sources", None) or {}).values()]
    contract = getattr(study, "contract", None)
    contract_path = getattr(contract, "path", None)
    files: list = [*sources, contract_path]
    data_folder = getattr(study, "data_folder", None) if sources else None
    folders = [p.parent for p in sources] + ([data_folder] if data_folder else [])
    base = Path(contract_path).parent if contract_path else None
    for spec in dict(getattr(contract, "instruments", None) or {}).values():
        definition = getattr(spec, "definition", None)
        if definition is not None:
            path = Path(definition)
            files.append(path if path.is_absolute() or base is None else base / path)
        key = getattr(spec, "key", None)
        if isinstance(key, str) and data_folder is not None:
            files.append(Path(data_folder) / key)
    return run_inputs(files, folders)


def manifest_inputs(manifest, protect=None) -> RunInputs:
    """``protect`` plus the input files and contract a manifest names (their folders are
    data folders when the input is a table file)."""
    inputs = _as_inputs(protect)
    if not isinstance(manifest, dict):
        return inputs
    paths = [e.get("path") for e in manifest.get("inputs") or [] if isinstance(e, dict)]
    paths = [p for p in paths if p]
    contract = manifest.get("contract")
    contract_path = contract.get("path") if isinstance(contract, dict) else None
    return inputs + run_inputs([*paths, contract_path], [Path(p).parent for p in paths])


def _as_inputs(protect) -> RunInputs:
    """``protect`` as RunInputs: a RunInputs, or paths (folders are data folders)."""
    if protect is None:
        return RunInputs()
    if isinstance(protect, RunInputs):
        return protect
    if isinstance(protect, str | Path):
        protect = [protect]
    paths = [_resolve(p) for p in protect if p is not None]
    return RunInputs(tuple(p for p in paths if not p.is_dir()),
                     tuple(p for p in paths if p.is_dir()))


def _beside(folder: Path) -> str:
    return str(folder.parent / "results")


def check_output_file(path, protect=None, *, what: str = "output file") -> Path:
    """Refuse an output file that is an input of the run or lies in the data folder.

    Parameters
    ----------
    path : str or Path
        The file about to be written.
    protect : RunInputs or paths, optional
        The run's inputs (see :func:`run_inputs`); folders among plain paths are data folders.
    what : str
        How the message names the output (e.g. ``"--json"``).

    Returns
    -------
    Path
        The resolved path to write.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "contract.yaml").write_text("name: x\\n")
    >>> check_output_file(d / "report.json", run_inputs([d / "contract.yaml"])).name
    'report.json'
    >>> check_output_file(d / "contract.yaml", run_inputs([d / "contract.yaml"]), what="--json")
    Traceback (most recent call last):
    ...
    hormonestats.errors.DataError: --json ... is an input of this run (the contract or a data file); it is never overwritten. Write it elsewhere, e.g. ...
    """
    inputs = _as_inputs(protect)
    target = Path(path).expanduser()
    resolved = target.resolve()
    shown = str(target) if target == resolved or not target.is_symlink() else (
        f"{str(target)!r} (a link to {str(resolved)!r})")
    shown = shown if shown.startswith("'") else repr(shown)
    suggestion = repr(str(Path.cwd() / "results" / resolved.name))
    if resolved in inputs.files:
        raise DataError(f"{what} {shown} is an input of this run (the contract or a data file); "
                        f"it is never overwritten. Write it elsewhere, e.g. {suggestion}")
    for folder in inputs.data_folders:
        if _inside(resolved, folder):
            raise DataError(f"{what} {shown} lies inside {str(folder)!r}, which holds the "
                            "study's data; nothing is written there. Write it outside the "
                            f"data folder, e.g. {repr(str(folder.parent / resolved.name))}")
    if resolved.is_dir():
        raise DataError(f"{what} {shown} is a folder; give a file name")
    return resolved


def check_results_folder(path, protect=None) -> Path:
    """Refuse a results folder that would destroy or alter files hormonestats did not write.

    A results folder may be new, empty, or an earlier hormonestats results folder (its
    ``COMPLETE`` marker lists the files the run wrote, and nothing else is there). It is
    refused when it is a file, when it holds anything else, when it is, contains or lies
    inside a data folder, and when it holds an input of the run (``protect``: a
    :class:`RunInputs`, or paths where folders are data folders). It may sit beside the
    contract. Symbolic links are resolved first.

    Returns the resolved folder; raises :class:`~hormonestats.errors.DataError` saying what to
    do.
    """
    from ..parallel import checkpoint_files

    inputs = _as_inputs(protect)
    target = Path(path).expanduser()
    resolved = target.resolve()
    for folder in inputs.data_folders:
        if _inside(resolved, folder) or _inside(folder, resolved):
            where = ("is" if resolved == folder else
                     "lies inside" if _inside(resolved, folder) else "contains")
            raise DataError(
                f"results folder {str(target)!r} {where} {str(folder)!r}, which holds the "
                "study's data; choose a results folder outside it (for example "
                f"{_beside(folder)!r}, beside the data folder)")
    held = [f for f in inputs.files if _inside(f, resolved)]
    if held:
        raise DataError(
            f"results folder {str(target)!r} holds {str(held[0])!r}, an input of this run; "
            "choose a results folder that holds none of the inputs (for example "
            f"{str(resolved / 'results')!r})")
    if target.exists() and not target.is_dir():
        raise DataError(f"results folder {str(target)!r} exists and is not a folder; choose "
                        "another path for the results")
    if resolved.is_dir() and any(resolved.iterdir()):
        # the finished chunks of an interrupted run (``--resume``) are ours too
        chunks = set(checkpoint_files(resolved))
        foreign = [f for f in _foreign_files(resolved) if f not in chunks]
        only_chunks = bool(chunks) and set(_written_files(resolved)) <= chunks
        if foreign or not (is_complete(resolved) or only_chunks):
            shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more"
                                               if len(foreign) > 5 else "")
            what = (f"files hormonestats did not write ({shown})" if foreign else
                    "folders that are not an earlier hormonestats results folder")
            raise DataError(
                f"results folder {str(target)!r} already holds {what}; it is replaced only when "
                "it is an earlier hormonestats results folder. Choose a new or empty folder, "
                "or move those files elsewhere first"
            )
    return resolved


def _written_files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _listed_files(folder: Path) -> set[str] | None:
    """The files a results folder's COMPLETE marker lists (None when it lists none)."""
    marker = folder / COMPLETE_MARKER
    if not marker.is_file():
        return None
    try:
        lines = marker.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    if "files:" not in lines:
        return None
    return set(lines[lines.index("files:") + 1:]) | {COMPLETE_MARKER}


def _manifest_says_ours(folder: Path) -> bool:
    try:
        data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(data, Mapping) and "hormonestats_version" in data


def _foreign_files(folder: Path) -> list[str]:
    """Files in ``folder`` that hormonestats did not write there ([] for our own folder)."""
    present = _written_files(folder)
    listed = _listed_files(folder)
    if listed is not None:
        return [f for f in present if f not in listed]
    if (folder / COMPLETE_MARKER).is_file() and _manifest_says_ours(folder):
        return []  # a results folder written before the marker listed its files
    return present


def is_complete(path) -> bool:
    """Whether ``path`` is a finished results folder (it holds the ``COMPLETE`` marker)."""
    return (Path(path) / COMPLETE_MARKER).is_file()

"""Provenance of a results folder: the manifest and the atomic folder it is written into.

Used through :mod:`hormonestats.report` (``hs.report.manifest``, ``hs.report.results_folder``).
A manifest records what is needed to reproduce a run: the package and dependency versions,
Python and platform, the SHA-256 of every input file, the study contract, all parameters and
seeds, and the UTC time. :func:`results_folder` makes a run's output appear all at once or not
at all, so an interrupted run never leaves a complete-looking folder behind.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import importlib.metadata as _md
import json
import os
import platform
import re
import secrets
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from .output_guard import (
    COMPLETE_MARKER,
    _foreign_files,
    _written_files,
    check_results_folder,
    is_complete,
)

__all__ = [
    "COMPLETE_MARKER",
    "check_results_folder",
    "file_sha256",
    "is_results_folder",
    "frame_sha256",
    "is_complete",
    "manifest",
    "package_versions",
    "results_folder",
    "write_manifest",
]


#: reported in every manifest even when not a declared dependency
_ALWAYS = ("numpy", "pandas", "scipy", "statsmodels", "matplotlib", "seaborn")


def _utc_now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def file_sha256(path, chunk_size: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file's bytes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d, "x.csv"); _ = p.write_bytes(b"abc")
    ...     file_sha256(p)[:16]
    'ba7816bf8f01cfea'
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"manifest: input file {str(path)!r} does not exist or is not a file")
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def frame_sha256(frame: pd.DataFrame) -> str:
    """SHA-256 of a DataFrame's CSV text (index, columns and values; deterministic)."""
    text = frame.to_csv(index=True, lineterminator="\n")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def package_versions(extra=()) -> dict[str, str | None]:
    """Installed versions of hormonestats, its required dependencies and ``extra`` names.

    Missing packages map to ``None``.

    Examples
    --------
    >>> v = package_versions()
    >>> "hormonestats" in v and "pandas" in v
    True
    """
    names = ["hormonestats"]
    try:
        requires = _md.requires("hormonestats") or []
    except _md.PackageNotFoundError:
        requires = []
    for req in requires:
        if "extra ==" in req.replace('"', "").replace("'", ""):
            continue
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req)
        if match:
            names.append(match.group(1))
    names += [*_ALWAYS, *extra]
    out: dict[str, str | None] = {}
    for name in dict.fromkeys(n.lower() for n in names):
        try:
            out[name] = _md.version(name)
        except _md.PackageNotFoundError:
            out[name] = None
    if out.get("hormonestats") is None:
        from .. import __version__

        out["hormonestats"] = __version__
    return out


def _jsonable(obj):
    """Convert parameters/contract objects to JSON-compatible values."""
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    if isinstance(obj, float):
        return obj if np.isfinite(obj) else str(obj)
    if isinstance(obj, np.generic):
        return _jsonable(obj.item())
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, pd.DataFrame):
        return [_jsonable(r) for r in obj.to_dict("records")]
    if isinstance(obj, pd.Series | np.ndarray):
        return [_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        items = sorted(obj, key=str) if isinstance(obj, set | frozenset) else obj
        return [_jsonable(v) for v in items]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    for method in ("to_dict", "model_dump", "dict"):
        fn = getattr(obj, method, None)
        if callable(fn):
            try:
                return _jsonable(fn())
            except TypeError:
                continue
    return str(obj)


def _contract_entry(contract):
    if contract is None:
        return None
    if isinstance(contract, str | os.PathLike) and Path(contract).is_file():
        path = Path(contract)
        return {
            "path": str(contract),
            "sha256": file_sha256(path),
            "text": path.read_text(encoding="utf-8"),
        }
    return _jsonable(contract)


def _input_entry(name, item) -> dict:
    if isinstance(item, pd.DataFrame):
        return {
            "name": str(name),
            "kind": "dataframe",
            "shape": list(item.shape),
            "sha256": frame_sha256(item),
        }
    path = Path(item)
    return {
        "name": str(name) if name is not None else path.name,
        "path": str(item),
        "bytes": path.stat().st_size if path.is_file() else None,
        "sha256": file_sha256(path),
    }


def manifest(
    *,
    inputs=(),
    contract=None,
    parameters: Mapping | None = None,
    seed=None,
) -> dict:
    """Everything needed to reproduce a run, as a JSON-ready dict.

    Parameters
    ----------
    inputs : sequence of paths, or dict of name -> path or DataFrame
        Input files (hashed with SHA-256; a DataFrame is hashed through its CSV text).
    contract : path, dict or Contract, optional
        The study contract: a YAML path (its text and hash are stored) or any object with
        ``to_dict()`` / a dataclass.
    parameters : dict, optional
        Every analysis parameter (LOD policy, CV limit, conf_level, ...).
    seed : int or dict, optional
        Random seed(s).

    Returns
    -------
    dict
        Keys ``hormonestats_version, created_utc, python, platform, packages, inputs,
        contract, parameters, seed``.

    Examples
    --------
    >>> m = manifest(parameters={"max_cv": 15}, seed=1)
    >>> m["parameters"], m["seed"], "pandas" in m["packages"]
    ({'max_cv': 15}, 1, True)
    """
    versions = package_versions()
    if isinstance(inputs, Mapping):
        items = list(inputs.items())
    elif isinstance(inputs, str | os.PathLike | pd.DataFrame):
        items = [(None, inputs)]
    else:
        items = [(None, item) for item in inputs]
    entries = []
    for i, (name, item) in enumerate(items):
        if name is None and isinstance(item, pd.DataFrame):
            name = f"input_{i + 1}"
        entries.append(_input_entry(name, item))
    return {
        "hormonestats_version": versions["hormonestats"],
        "created_utc": _utc_now(),
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
        },
        "platform": {
            "system": platform.system(),
            "release": platform.release(),
            "machine": platform.machine(),
            "platform": platform.platform(),
        },
        "packages": versions,
        "inputs": entries,
        "contract": _contract_entry(contract),
        "parameters": _jsonable(dict(parameters or {})),
        "seed": _jsonable(seed),
    }


def write_manifest(path, manifest: Mapping) -> Path:
    """Write a manifest as pretty, key-sorted JSON (UTF-8); returns the path.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_manifest(pathlib.Path(d, "manifest.json"), {"seed": 3})
    ...     json.loads(p.read_text())
    {'seed': 3}
    """
    path = Path(path)
    text = json.dumps(_jsonable(manifest), indent=2, sort_keys=True, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _fsync_dir(path: Path) -> None:
    """Flush a directory entry to disk where the platform allows it (POSIX)."""
    if os.name != "posix":  # pragma: no cover - Windows has no directory fds
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def is_results_folder(path) -> bool:
    """Whether ``path`` is a finished hormonestats results folder holding only what it wrote."""
    folder = Path(path)
    return folder.is_dir() and is_complete(folder) and not _foreign_files(folder)


@contextmanager
def results_folder(path, *, overwrite: bool = True, protect=()) -> Iterator[Path]:
    """Write a results folder atomically: all of it appears at once, or nothing does.

    The block writes into a hidden sibling ``.<name>.partial-<random>`` (the yielded path).
    On success a ``COMPLETE`` marker listing every file written is added last and the folder
    is renamed into place with :func:`os.replace`; an existing earlier results folder of that
    name is first moved aside and deleted after the swap. If the block raises (or is
    interrupted), the partial folder is removed; if the process is killed, only the hidden
    ``.partial`` folder remains, never ``path``.

    A folder is only ever replaced when it is an earlier hormonestats results folder: a
    non-empty folder holding anything else, one that is, contains or lies inside a data folder,
    or one holding an input of the run is refused before anything is written (see
    :func:`hormonestats.report.output_guard.check_results_folder`). A symbolic link is
    followed: the folder it points to is written, and nothing is left beside it.

    Parameters
    ----------
    path : str or Path
        The final folder.
    overwrite : bool
        Replace an earlier results folder at ``path`` (default) or raise :class:`DataError`.
    protect : RunInputs or sequence of paths, optional
        The run's inputs (:func:`hormonestats.report.output_guard.run_inputs`); among plain
        paths, folders are data folders (never written into) and files are inputs.

    Yields
    ------
    Path
        The temporary folder to write into (use paths relative to it).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with results_folder(pathlib.Path(d, "run1")) as out:
    ...         _ = (out / "table.csv").write_text("a,b\\n1,2\\n")
    ...     sorted(p.name for p in pathlib.Path(d, "run1").iterdir())
    ['COMPLETE', 'table.csv']
    """
    target = check_results_folder(path, protect)  # resolved: links followed
    if target.exists() and any(target.iterdir()) and not overwrite:
        raise DataError(f"results folder {str(target)!r} exists; pass overwrite=True to replace")
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    partial = parent / f".{target.name}.partial-{secrets.token_hex(4)}"
    partial.mkdir()
    try:
        yield partial
        files = [f for f in _written_files(partial) if f != COMPLETE_MARKER]
        (partial / COMPLETE_MARKER).write_text(
            "\n".join([f"hormonestats results folder, completed {_utc_now()}", "files:", *files])
            + "\n", encoding="utf-8")
        _fsync_dir(partial)
        aside = None
        if target.exists():
            check_results_folder(target, protect)  # nothing foreign arrived meanwhile
            aside = parent / f".{target.name}.old-{secrets.token_hex(4)}"
            os.replace(target, aside)
        try:
            os.replace(partial, target)
        except BaseException:
            if aside is not None:
                os.replace(aside, target)
            raise
        _fsync_dir(parent)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)

"""Files read within bounds: regular files only, of bounded size, named in every refusal.

A FIFO, a device or a folder given where a file belongs is refused before it is opened (reading
a FIFO would wait for ever, a device would never end), and so is a file larger than the limit of
its kind.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["MAX_DATA_BYTES", "MAX_TEXT_BYTES", "checked_file", "inside"]

#: The largest data file (csv, xlsx, sav, parquet) read whole into memory.
MAX_DATA_BYTES = 4 * 1024**3
#: The largest contract, definition or answer key.
MAX_TEXT_BYTES = 2 * 1024**2


def checked_file(path, *, what: str, limit: int, error=None, quote: bool = False) -> Path:
    """``path`` if it is a regular file no larger than ``limit`` bytes; else raise ``error``
    (a HormoneStatsError subclass, DataError by default) naming the file and what is wrong."""
    from .errors import DataError

    error = error or DataError
    path = Path(path)
    name = repr(path.name) if quote else path.name
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise error(f"{what} {name} not found" + (f" ({path})" if quote else "")) from None
    except OSError as err:
        raise error(f"{what} {name} cannot be opened: {err.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise error(f"{what} {name} is a folder, not a file ({path})")
    if not stat.S_ISREG(info.st_mode):
        kind = "a named pipe (FIFO)" if stat.S_ISFIFO(info.st_mode) else \
            "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else \
            "not a regular file"
        raise error(f"{what} {name} is {kind}; only regular files are read ({path})")
    if info.st_size > limit:
        raise error(f"{what} {name} is {info.st_size:,} bytes, more than the "
                    f"{limit:,} bytes such a file may have")
    return path


def inside(path: Path, folder: Path) -> bool:
    """True when ``path`` (resolved, links followed) lies inside ``folder``."""
    try:
        Path(path).resolve().relative_to(Path(folder).resolve())
    except ValueError:
        return False
    return True

"""The R side of a benchmark: the same data as a CSV for an R script, the words it prints.

Imported by the benchmark scripts of this folder (run as ``python benchmarks/NAME.py``, which
puts this folder on the import path).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd


def rscript_words(script: str, data: pd.DataFrame, args, tmp: Path) -> list[str] | None:
    """Run ``Rscript SCRIPT DATA.csv ARGS...`` on ``data`` and return what it prints, split.

    ``data`` and ``script`` are written to ``bench.csv`` and ``bench.R`` in ``tmp``; None when
    R is not installed (the benchmark then times hormonestats alone).
    """
    if shutil.which("Rscript") is None:
        return None
    csv, path = tmp / "bench.csv", tmp / "bench.R"
    data.to_csv(csv, index=False)
    path.write_text(script)
    return subprocess.run(["Rscript", str(path), str(csv), *map(str, args)],
                          capture_output=True, text=True, check=True).stdout.split()

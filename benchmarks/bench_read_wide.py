"""Speed of reading a wide sample file through a contract's column map against pandas.

Run:  python benchmarks/bench_read_wide.py [n_rows]      (default 1,000,000 rows)

The file is a lab's cortisol sheet: ``ParticipantID, Visit, Plate`` and one column per sample
time (``Cortisol_T1 .. Cortisol_T4``, nmol/L), one row per participant visit. Baseline, in the
same run: ``pandas.read_csv`` of the file (IDs as text) and ``DataFrame.melt`` of the four
sample columns into long rows, renaming the id columns. Measured: the samples table as
``read_study`` reads it through the contract's layout (``columns``, ``wide``, ``set``), which
also detects the dialect, checks the file's kind, spells the codes as the registry does, reads
the time columns and undoes format artefacts; each row keeps its file row and column.
Best of three runs each.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from hormonestats.study.contracts import load_contract
from hormonestats.study.sources import read_layout

CONTRACT = {
    "name": "bench",
    "tables": {
        "subjects": None,
        "samples": {
            "file": "cortisol.csv",
            "columns": {"ParticipantID": "subject_id", "Visit": "session", "Plate": "plate_id"},
            "wide": {"columns": r"Cortisol_T(?P<sample_number>\d)", "values": "value"},
            "set": {"analyte": "cortisol", "unit": "nmol/L", "matrix": "saliva"},
        },
    },
    "analytes": {"cortisol": {"unit": "nmol/L", "matrix": "saliva"}},
}


def write_file(folder: Path, n_rows: int, seed: int = 1) -> Path:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "ParticipantID": np.char.mod("S%06d", np.arange(n_rows) // 4),
        "Visit": np.char.mod("v%d", np.arange(n_rows) % 4),
        "Plate": np.char.mod("P%04d", np.arange(n_rows) // 200),
    })
    for t in range(1, 5):
        frame[f"Cortisol_T{t}"] = np.round(rng.lognormal(1.5, 0.6, n_rows), 3)
    path = folder / "cortisol.csv"
    frame.to_csv(path, index=False)
    return path


def baseline(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype={"ParticipantID": str, "Visit": str, "Plate": str})
    long = frame.melt(id_vars=["ParticipantID", "Visit", "Plate"], var_name="column",
                      value_name="value")
    return long.rename(columns={"ParticipantID": "subject_id", "Visit": "session",
                                "Plate": "plate_id"})


def best(fn, repeats: int = 3) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main(n_rows: int) -> None:
    contract = load_contract(CONTRACT)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = write_file(folder, n_rows)
        size = path.stat().st_size / 1e6
        t_pandas, long = best(lambda: baseline(path))
        t_ours, (ours, origins, _, _) = best(lambda: read_layout(contract, "samples", folder))
    assert len(ours) == len(long) == 4 * n_rows
    assert np.allclose(np.sort(ours["value"].to_numpy(float)), np.sort(long["value"]))
    print(f"wide file: {n_rows:,} rows x 4 sample columns ({size:.0f} MB) -> {len(ours):,} "
          "long rows")
    print(f"pandas.read_csv + melt (baseline): {t_pandas:.2f} s")
    print(f"read through the contract's layout: {t_ours:.2f} s "
          f"(rows named by file row and column: {origins.text(5)})")
    print(f"ratio: {t_ours / t_pandas:.2f}x (target: at most 1.5x)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)

"""Time and peak memory of hs.scan_study -> hs.validate -> hs.process_study on a samples table
larger than memory (20,000,000 wells), and a check that the scanned path gives what the
in-memory path gives.

Run:  python benchmarks/bench_large.py [n_rows]            (default 20,000,000)
      python benchmarks/bench_large.py --write-only N FOLDER   (only write the study into FOLDER)

The study is the bundled ``example_study``'s samples table copied under new subject, sample and
plate ids until it holds ``n_rows`` wells, written by ``large_study.write_large_study`` into a
temporary folder as parquet parts of 1,000,000 rows (``samples/part-*.parquet``), with the
roster of the subject copies (``subjects.parquet``) and a contract naming the two tables; the
folder is removed at the end.

Measured, in a fresh subprocess (so the writer's memory and imports are not counted): the
resident size (``VmRSS``) after the imports and before the calls; then the time
(``time.perf_counter``, one run) of each of

    large = hs.scan_study(contract, data_dir)
    report = hs.validate(large)
    out = hs.process_study(large, out=<folder>/processed)

and the peak resident set size (``VmHWM``) after each call, in MB.

Check, at 1,000,000 wells (another temporary folder): ``hs.validate`` of the scanned study
reports the same failures and warnings (after sorting by all columns) as ``hs.validate`` of the
same data read into memory (``large_study.read_in_memory``), and ``hs.process_study``'s analysis
table is the same (``pd.testing.assert_frame_equal``, rtol 1e-12).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time

import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from large_study import read_in_memory, write_large_study

import hormonestats as hs

CHECK_ROWS = 1_000_000


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _write(n_rows: int, folder: str) -> dict:
    t0 = time.perf_counter()
    info = write_large_study(folder, n_rows)
    seconds = time.perf_counter() - t0
    size = sum(os.path.getsize(os.path.join(d, f))
               for d, _, files in os.walk(folder) for f in files)
    print(f"write_large_study       {seconds:7.1f} s  {n_rows:,} wells in "
          f"{len(info['files'])} parts, {info['n_subjects']:,} subjects, "
          f"{size / 2**20:,.0f} MB on disk, peak RSS {_status_mb('VmHWM'):,.0f} MB")
    return info


def _child(contract: str, data_dir: str, n_rows: int) -> None:
    """In a fresh process: scan, validate and process the study, timing each call."""
    before = _status_mb("VmRSS")
    print(f"resident before the calls {before:,.0f} MB")
    t0 = time.perf_counter()
    large = hs.scan_study(contract, data_dir)
    try:
        t1 = time.perf_counter()
        print(f"hs.scan_study           {t1 - t0:7.2f} s  peak RSS {_status_mb('VmHWM'):,.0f} MB")
        report = hs.validate(large)
        t2 = time.perf_counter()
        print(f"hs.validate             {t2 - t1:7.2f} s  peak RSS {_status_mb('VmHWM'):,.0f} MB"
              f"  ok={report.ok}, {len(report.failures):,} failures, "
              f"{len(report.warnings):,} warnings")
        out = hs.process_study(large, out=os.path.join(data_dir, "processed"))
        t3 = time.perf_counter()
        print(f"hs.process_study        {t3 - t2:7.2f} s  peak RSS {_status_mb('VmHWM'):,.0f} MB"
              f"  {1e6 * (t3 - t2) / n_rows:.2f} us/well")
        print(f"total                   {t3 - t0:7.2f} s  peak RSS {_status_mb('VmHWM'):,.0f} MB"
              f"  peak growth {_status_mb('VmHWM') - before:,.0f} MB, analysis table "
              f"{out.table.shape[0]:,} x {out.table.shape[1]}")
    finally:
        large.close()


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows in the order of all columns (compared as text: the value column mixes types)."""
    order = frame.astype(str).sort_values(list(frame.columns), kind="stable").index
    return frame.loc[order].reset_index(drop=True)


def _check(n_rows: int = CHECK_ROWS) -> None:
    """The scanned study validates and processes as the same data read into memory."""
    folder = tempfile.mkdtemp(prefix="hs-large-check-")
    try:
        info = write_large_study(folder, n_rows)
        small = read_in_memory(info)
        large = hs.scan_study(info["contract"], info["data_dir"])
        try:
            mine, theirs = hs.validate(small), hs.validate(large)
            for part in ("failures", "warnings"):
                pd.testing.assert_frame_equal(_sorted(getattr(mine, part)),
                                              _sorted(getattr(theirs, part)))
            expected = hs.process_study(small).table
            got = hs.process_study(large, out=os.path.join(folder, "processed")).table
            pd.testing.assert_frame_equal(expected, got, check_exact=False, rtol=1e-12)
        finally:
            large.close()
        print(f"check at {n_rows:,} wells: scanned == in memory (validate: "
              f"{len(mine.failures)} failures, {len(mine.warnings)} warnings; analysis table "
              f"{expected.shape[0]:,} x {expected.shape[1]})")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(n_rows: int = 20_000_000) -> None:
    folder = tempfile.mkdtemp(prefix="hs-large-")
    try:
        info = _write(n_rows, folder)
        print(f"load average {os.getloadavg()[0]:.1f}", flush=True)
        child = subprocess.run([sys.executable, __file__, "--child", info["contract"],
                                info["data_dir"], str(n_rows)],
                               check=True, stdout=subprocess.PIPE, text=True)
        print(child.stdout, end="")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    _check()


if __name__ == "__main__":
    if len(sys.argv) > 4 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif len(sys.argv) > 3 and sys.argv[1] == "--write-only":
        _write(int(sys.argv[2]), sys.argv[3])
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000_000)

"""Time and peak memory of hs.scan_study -> hs.validate -> hs.process_study on a samples table
larger than memory (20,000,000 wells), and a check that the scanned path gives what the
in-memory path gives.

Run:  python benchmarks/bench_large.py [n_rows] [--no-baseline]   (default 20,000,000)
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

and the peak resident set size (``VmHWM``) after each call, in MB. Baseline, measured the same
way in another fresh process on the same files: the study read into memory
(``hs.read_study``, which reads the parquet folder as one table), ``hs.validate`` and
``hs.process_study`` (``--no-baseline`` skips it; at 20,000,000 wells it needs about 10 GB).

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

CHECK_ROWS = int(os.environ.get("HS_CHECK_ROWS", 1_000_000))


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


def _workers_hwm_mb() -> float:
    """Peak resident size of this process's worker processes (local ``n_jobs`` workers)."""
    total = 0.0
    me = str(os.getpid())
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/status") as fh:
                status = dict(line.split(":", 1) for line in fh if ":" in line)
        except OSError:
            continue
        if status.get("PPid", "").strip() == me and "VmHWM" in status:
            total += int(status["VmHWM"].split()[0]) / 1024
    return total


#: The runs: how the study is opened, and the note printed with it.
MODES = {
    "--child": "scanned (hs.scan_study), this process",
    "--child-2": "scanned (hs.scan_study), n_jobs=2 (2 local worker processes)",
    "--in-memory": "baseline: read into memory (hs.read_study)",
}


def _child(mode: str, contract: str, data_dir: str, n_rows: int) -> None:
    """In a fresh process: open (scan or read), validate and process the study, timing each
    call and reading the peak resident size after it."""
    before = _status_mb("VmRSS")
    print(f"resident before the calls {before:,.0f} MB")
    t0 = time.perf_counter()
    if mode == "--in-memory":
        study, name = hs.read_study(contract, data_dir), "hs.read_study"
    else:
        study = hs.scan_study(contract, data_dir, n_jobs=2 if mode == "--child-2" else 1)
        name = "hs.scan_study"
    lap = [t0, time.perf_counter()]

    def line(call: str, extra: str = "") -> None:
        lap.append(time.perf_counter())
        print(f"{call:<23} {lap[-1] - lap[-2]:7.2f} s  peak RSS {_status_mb('VmHWM'):,.0f} MB"
              f"{extra}", flush=True)

    try:
        lap.pop()
        line(name)
        report = hs.validate(study)
        line("hs.validate", f"  ok={report.ok}, {len(report.failures):,} failures, "
             f"{len(report.warnings):,} warnings")
        out = hs.process_study(study, out=os.path.join(data_dir, "processed")) \
            if mode != "--in-memory" else hs.process_study(study)
        line("hs.process_study")
        workers = _workers_hwm_mb()
        print(f"total                   {lap[-1] - t0:7.2f} s  peak RSS {_status_mb('VmHWM'):,.0f}"
              f" MB (+ {workers:,.0f} MB in worker processes)  peak growth "
              f"{_status_mb('VmHWM') - before:,.0f} MB, {1e6 * (lap[-1] - t0) / n_rows:.2f} "
              f"us/well; analysis table {out.table.shape[0]:,} x {out.table.shape[1]}")
    finally:
        if mode != "--in-memory":
            study.close()


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


def main(n_rows: int = 20_000_000, baseline: bool = True) -> None:
    folder = tempfile.mkdtemp(prefix="hs-large-")
    try:
        info = _write(n_rows, folder)
        print(f"load average {os.getloadavg()[0]:.1f}", flush=True)
        for mode, title in MODES.items():
            if mode == "--in-memory" and not baseline:
                continue
            print(f"\n{title}, fresh process:", flush=True)
            shutil.rmtree(os.path.join(info["data_dir"], "processed"), ignore_errors=True)
            child = subprocess.run([sys.executable, __file__, mode, info["contract"],
                                    info["data_dir"], str(n_rows)],
                                   check=True, stdout=subprocess.PIPE, text=True)
            print(child.stdout, end="", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    _check()


if __name__ == "__main__":
    if len(sys.argv) > 4 and sys.argv[1] in MODES:
        _child(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif len(sys.argv) > 3 and sys.argv[1] == "--write-only":
        _write(int(sys.argv[2]), sys.argv[3])
    else:
        args = [a for a in sys.argv[1:] if a != "--no-baseline"]
        main(int(args[0]) if args else 20_000_000, baseline="--no-baseline" not in sys.argv)

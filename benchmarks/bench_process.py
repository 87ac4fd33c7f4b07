"""Speed and memory of hs.process_study on a 1,000,000-reading samples table.

Run:  python benchmarks/bench_process.py [n_readings]      (default 1,000,000)

The study is the bundled ``example_study`` (200 subjects, five salivary hormones in duplicate
wells, plate controls, readings below the LOD written as text) with its subjects and samples
tables copied under new subject, sample and plate ids until the samples table holds
``n_readings`` wells. Only ``subjects`` and ``samples`` are kept, so the run measures the hormone
chain (LOD policy, canonical units, replicate means and CVs, the wide table, log transform, the
log of every decision and the assay quality tables).

Baseline, measured in the same run: a plain pandas ``groupby(...).mean()`` of the numeric wells
by the sample keys (subject, session, sample, analyte): the irreducible work of averaging
replicates. Time: best of 3 (``time.perf_counter``). Memory: the tracemalloc peak during the call
(numpy's buffers; Arrow's string buffers are not traced) and, in a fresh subprocess
that builds the same study, the growth of
the peak resident set size (``VmHWM``, reset before the call) over the resident size before it.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd

import hormonestats as hs

KEYS = ["subject_id", "session", "sample_id", "analyte"]


def build(n_readings: int) -> hs.Study:
    """The example study's subjects and samples copied until there are ``n_readings`` wells."""
    base = hs.read_dataset("example_study")
    samples, subjects = base["samples"], base["subjects"]
    copies = -(-n_readings // len(samples))
    k = np.repeat(np.arange(copies), len(samples))
    tag = pd.Series(np.char.mod("_%05d", k), dtype=object)
    big = pd.concat([samples] * copies, ignore_index=True)
    control = big["sample_type"].eq("control")
    for col in ("subject_id", "sample_id"):
        big[col] = big[col].where(control, big[col].astype(str) + tag)
    big["plate_id"] = big["plate_id"].astype(str) + tag
    big = big.iloc[:n_readings].reset_index(drop=True)
    ks = np.repeat(np.arange(copies), len(subjects))
    roster = pd.concat([subjects] * copies, ignore_index=True)
    roster["subject_id"] = roster["subject_id"].astype(str) + pd.Series(
        np.char.mod("_%05d", ks), dtype=object)
    roster = roster.loc[roster["subject_id"].isin(big["subject_id"])].reset_index(drop=True)
    return hs.Study(contract=base.contract, tables={"subjects": roster, "samples": big})


def baseline(samples: pd.DataFrame) -> pd.DataFrame:
    """Replicate means by sample key: the work no implementation can skip."""
    value = pd.to_numeric(samples["value"], errors="coerce")
    return value.groupby([samples[k] for k in KEYS], dropna=False, sort=False).mean()


def _best(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _traced_peak(fn) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _status_bytes(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _child(n_readings: int) -> None:
    """In a fresh process: peak RSS growth of one process_study call over the RSS before it
    (the peak is reset first through /proc/self/clear_refs, Linux 4.0+)."""
    study = build(n_readings)
    small = hs.read_dataset("example_study")
    # warm-up on the small study: imports and caches are not the call's memory
    hs.process_study(hs.Study(contract=small.contract,
                              tables={t: small[t] for t in ("subjects", "samples")}))
    gc.collect()
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    before = _status_bytes("VmRSS")
    hs.process_study(study)
    print(_status_bytes("VmHWM") - before)


def main(n_readings: int = 1_000_000) -> None:
    study = build(n_readings)
    samples = study["samples"]
    n = len(samples)
    out = hs.process_study(study)  # warm-up and a check that it runs
    t_hs = _best(lambda: hs.process_study(study))
    t_pd = _best(lambda: baseline(samples))
    m_hs = _traced_peak(lambda: hs.process_study(study))
    m_pd = _traced_peak(lambda: baseline(samples))
    rss = int(subprocess.run([sys.executable, __file__, "--child", str(n_readings)], check=True,
                             capture_output=True, text=True).stdout.split()[-1])
    print(f"{n:,} readings, {len(study['subjects']):,} subjects, analysis table "
          f"{out.table.shape[0]:,} x {out.table.shape[1]}, log {len(out.log):,} rows; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"hs.process_study        {t_hs:7.2f} s  {1e6 * t_hs / n:6.2f} us/reading  "
          f"tracemalloc peak {m_hs / n:6.0f} B/reading  RSS growth {rss / n:6.0f} B/reading")
    print(f"pandas groupby-mean     {t_pd:7.2f} s  {1e6 * t_pd / n:6.2f} us/reading  "
          f"tracemalloc peak {m_pd / n:6.0f} B/reading")
    print(f"ratio hs / pandas       {t_hs / t_pd:7.1f}x time, {m_hs / m_pd:5.1f}x memory")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        _child(int(sys.argv[2]))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)

"""Speed of the assay pipeline on a large simulated samples table (not part of the test run).

Run:  python benchmarks/bench_assays.py [n_samples]
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from hormonestats.derive.lod import apply_lod, lod_summary
from hormonestats.derive.precision import aggregate_replicates
from hormonestats.registry.units import to_canonical
from hormonestats.study.readings import parse_readings


def simulate(n_samples: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 2 * n_samples  # duplicate wells
    sample = np.repeat(np.arange(n_samples), 2)
    true = np.repeat(rng.lognormal(1.5, 0.6, n_samples), 2) * rng.lognormal(0, 0.05, n)
    lod = 1.0
    reading = np.where(true < lod, "<LOD", np.char.mod("%.3f", true)).astype(object)
    return pd.DataFrame(
        {
            "subject_id": pd.Series(sample // 10).astype(str),
            "sample_id": pd.Series(sample).astype(str),
            "analyte": "cortisol",
            "matrix": "saliva",
            "unit": "nmol/L",
            "plate_id": pd.Series(sample // 40).astype(str),
            "replicate": np.tile([1, 2], n_samples),
            "value": reading,
            "lod": lod,
        }
    )


def main(n_samples: int = 50_000) -> None:
    df = simulate(n_samples)
    steps = {}
    t0 = time.perf_counter()
    parse_readings(df["value"], lod=df["lod"])
    steps["parse_readings (text)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    out, _log = apply_lod(df, policy="lod/sqrt2")
    steps["apply_lod"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    lod_summary(df)
    steps["lod_summary"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    agg, _log = aggregate_replicates(out, value="value_lod")
    steps["aggregate_replicates"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    to_canonical(agg, value="value_lod")
    steps["to_canonical"] = time.perf_counter() - t0
    print(f"{len(df)} wells, {n_samples} samples")
    for name, secs in steps.items():
        print(f"  {name:<24} {secs:8.3f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)

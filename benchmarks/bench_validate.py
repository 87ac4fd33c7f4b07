"""Speed of hs.validate on a large samples table against raw pandera with equivalent checks.

Run:  python benchmarks/bench_validate.py [n_rows]      (default 1,000,000 rows)

The study has a roster of subjects and one samples table: duplicate saliva cortisol wells,
three samples per session, text readings with ``<LOD`` for values under the LOD (so the value
column is text, as in a real export). The baseline is a plain ``pandera.pandas`` schema with the
same per-column checks (required columns, numbers, whole numbers, allowed values, bounds,
readings that are numbers or censored text), the roster as an allowed-values check and the
row key as a uniqueness check, all lazy. ``hs.validate`` does that and more: units against the
registry and the contract, plausible ranges, LOD flags, sample-time order, identifiers.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd
import pandera.pandas as pa

import hormonestats as hs

CONTRACT = {"name": "bench", "tables": {"subjects": None, "samples": None},
            "analytes": {"cortisol": {"unit": "nmol/L", "matrix": "saliva"}}}


def simulate(n_rows: int, seed: int = 1) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n_samples = n_rows // 2
    sample = np.repeat(np.arange(n_samples), 2)
    n_subjects = int(sample[-1] // 30) + 1  # 10 sessions x 3 samples each
    subject = sample // 30
    session = (sample // 3) % 10
    number = sample % 3 + 1
    true = np.repeat(rng.lognormal(1.5, 0.6, n_samples), 2) * rng.lognormal(0, 0.05, 2 * n_samples)
    reading = np.where(true < 1.0, "<LOD", np.char.mod("%.3f", true)).astype(object)
    samples = pd.DataFrame({
        "subject_id": pd.Series(np.char.mod("S%06d", subject)).astype(object),
        "session": pd.Series(np.char.mod("v%d", session)).astype(object),
        "sample_number": number,
        "sample_time": (number - 1) * 30.0,
        "analyte": "cortisol",
        "matrix": "saliva",
        "value": reading,
        "unit": "nmol/L",
        "lod": 1.0,
        "replicate": np.tile([1, 2], n_samples),
        "plate_id": pd.Series(np.char.mod("P%04d", sample // 40)).astype(object),
    })
    subjects = pd.DataFrame({"subject_id": np.char.mod("S%06d", np.arange(n_subjects)),
                             "age": rng.integers(18, 60, n_subjects).astype(float)})
    return {"subjects": subjects.astype({"subject_id": object}), "samples": samples}


_READING = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|<\s*lod|nd|<\s*[\d.]+"


def pandera_baseline(tables) -> pa.DataFrameSchema:
    """A plain pandera schema with the checks hs.validate's schema stage makes."""
    roster = tables["subjects"]["subject_id"].tolist()

    def number(s):
        return pd.to_numeric(s, errors="coerce").notna()

    def whole(s):
        x = pd.to_numeric(s, errors="coerce")
        return x.notna() & (x.round() == x)

    def reading(s):
        return s.astype(str).str.strip().str.lower().str.fullmatch(_READING)

    keys = ["subject_id", "session", "sample_number", "sample_time", "matrix", "analyte",
            "replicate", "plate_id"]
    return pa.DataFrameSchema({
        "subject_id": pa.Column(None, pa.Check.isin(roster), nullable=False),
        "session": pa.Column(None, nullable=True),
        "sample_number": pa.Column(None, [pa.Check(whole), pa.Check.ge(0)], nullable=True),
        "sample_time": pa.Column(None, pa.Check(number), nullable=True),
        "analyte": pa.Column(None, pa.Check.isin(["cortisol"]), nullable=False),
        "matrix": pa.Column(None, pa.Check.isin(["saliva"]), nullable=False),
        "value": pa.Column(None, pa.Check(reading), nullable=True),
        "unit": pa.Column(None, pa.Check.isin(["nmol/L"]), nullable=False),
        "lod": pa.Column(None, [pa.Check(number), pa.Check.ge(0)], nullable=True),
        "replicate": pa.Column(None, [pa.Check(whole), pa.Check.ge(1)], nullable=True),
        "plate_id": pa.Column(None, nullable=True),
    }, unique=keys, coerce=False)


def _best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times)


def main(n_rows: int = 1_000_000, repeats: int = 3) -> None:
    tables = simulate(n_rows)
    study = hs.Study(contract=hs.load_contract(CONTRACT), tables=tables)
    schema = pandera_baseline(tables)
    report = hs.validate(study)
    assert report.ok, report.summary()
    schema.validate(tables["samples"], lazy=True)
    t_hs = _best(lambda: hs.validate(study), repeats)
    t_pa = _best(lambda: schema.validate(tables["samples"], lazy=True), repeats)
    print(f"{len(tables['samples']):,} sample rows, {len(tables['subjects']):,} subjects "
          f"(best of {repeats}, CPU time)")
    print(f"hs.validate                       {t_hs:7.2f} s")
    print(f"pandera, equivalent checks        {t_pa:7.2f} s")
    print(f"ratio hs / pandera                {t_hs / t_pa:7.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)

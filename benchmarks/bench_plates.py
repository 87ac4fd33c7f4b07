"""Plate pipeline speed: the bundled 4-plate cortisol ELISA from exports to samples rows.

Baseline, measured in the same run: a plain ``scipy.optimize.curve_fit`` of the LL.4 per plate
(numerical Jacobian, no weights, no 5PL, no limits, no intervals) and its closed-form inverse
of the sample ODs. Best of 5 runs. ``python benchmarks/bench_plates.py``
"""

from __future__ import annotations

import time

import numpy as np
from scipy.optimize import curve_fit

import hormonestats as hs
from hormonestats.datasets import dataset_path


def best(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    folder = dataset_path("cortisol_elisa") / "plates"
    exports = sorted(folder.glob("export_*"))
    wells = hs.read_plates(exports, layout=folder / "layout.csv")

    def ll4(x, b, c, d, e):
        return c + (d - c) / (1 + np.exp(b * (np.log(x) - np.log(e))))

    def baseline():
        for _, grp in wells.groupby("plate_id"):
            std = grp[grp["type"] == "standard"]
            p, _ = curve_fit(ll4, std["concentration"], std["od"], p0=[1, 0.05, 2.5, 3],
                             maxfev=10000)
            b, c, d, e = p
            y = grp.loc[grp["type"] == "sample", "od"].to_numpy()
            with np.errstate(invalid="ignore"):
                e * ((d - c) / (y - c) - 1) ** (1 / b)

    def read():
        hs.read_plates(exports, layout=folder / "layout.csv")

    def fit_4pl():
        curves = hs.fit_standard_curves(wells, model="4pl", weights="1/y^2")
        hs.plate_concentrations(wells, curves)

    def fit_auto():
        curves = hs.fit_standard_curves(wells, model="auto", weights="1/y^2")
        hs.plate_concentrations(wells, curves)

    base = best(baseline)
    rows = [("curve_fit LL.4 + inverse (baseline)", base),
            ("hs.read_plates (3 exports incl. xlsx, layout)", best(read)),
            ("hs.fit_standard_curves 4pl + plate_concentrations", best(fit_4pl)),
            ("hs.fit_standard_curves auto (4PL and 5PL) + plate_concentrations", best(fit_auto))]
    for name, t in rows:
        print(f"{name:70s} {1000 * t:8.1f} ms   ratio {t / base:6.2f}")


if __name__ == "__main__":
    main()

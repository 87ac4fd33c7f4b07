"""Standard curves that cannot be trusted: refused with the plate named, or marked not
converged with their wells flagged."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.derive.standard_curves import ll5
from hormonestats.errors import ModelError

LEVELS = np.array([0.3, 0.9, 2.7, 8.1, 24.3, 72.9])


def _wells(od, plate="CORT07", x=LEVELS):
    xs = np.repeat(x, 2)
    return pd.DataFrame({"plate_id": plate, "well": [f"A{i}" for i in range(1, len(xs) + 1)],
                         "type": "standard", "concentration": xs, "od": od(xs)})


def _good(xs):
    return ll5(xs, 1.1, 0.08, 2.4, 5.0) * (1 + 0.01 * np.tile([1, -1], len(xs) // 2))


def test_flat_standards_are_refused_with_the_plate_named():
    with pytest.raises(ModelError, match=r"plate 'CORT07'.*do not change with concentration"):
        hs.fit_standard_curve(_wells(lambda xs: np.full(len(xs), 0.8)))


def test_standards_not_monotone_in_concentration_are_refused():
    def swapped(xs):
        od = _good(xs)
        a, b = xs == 2.7, xs == 24.3
        od[a], od[b] = od[b].copy(), od[a].copy()
        return od

    with pytest.raises(ModelError, match=r"plate 'CORT07'.*not monotone.*2\.7 -> 8\.1"):
        hs.fit_standard_curve(_wells(swapped))


def test_cli_plates_names_the_flat_plate_without_traceback(tmp_path, capsys):
    from hormonestats.cli import main
    from hormonestats.datasets import dataset_path

    folder = dataset_path("cortisol_elisa") / "plates"
    layout = pd.read_csv(folder / "layout.csv", dtype=str)
    std_wells = set(layout.loc[layout["type"] == "standard", "well"])
    lines = []
    with open(folder / "export_1.csv", newline="") as fh:  # every standard well: one OD
        for row in csv.reader(fh):
            if row and len(row) == 13 and len(row[0]) == 1 and row[0].isalpha():
                row = [row[0], *("0.812" if f"{row[0]}{c}" in std_wells else v
                                 for c, v in enumerate(row[1:], start=1))]
            lines.append(row)
    flat = tmp_path / "export_flat.csv"
    with open(flat, "w", newline="") as fh:
        csv.writer(fh).writerows(lines)
    layout_path = tmp_path / "layout.csv"  # the two plates of this export
    layout[layout["plate_id"].isin(["CORT01", "CORT02"])].to_csv(layout_path, index=False)
    code = main(["plates", str(flat), "--layout", str(layout_path),
                 "--analyte", "cortisol", "--unit", "nmol/L", "--out", str(tmp_path / "s.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "do not change with concentration" in err and "plate '" in err
    assert not (tmp_path / "s.csv").exists()


def test_a_curve_without_an_interior_optimum_is_not_converged_and_flags_its_wells():
    # ODs straight in log concentration: no inflection within (or near) the standards
    curve = hs.fit_standard_curve(_wells(lambda xs: 0.2 + 0.001 * xs), model="4pl")
    assert not curve.converged and curve.problems
    assert any("no interior optimum" in p or "no curvature" in p or "bound" in p
               for p in curve.problems), curve.problems
    back = curve.back_calculate([0.21, 0.22, 0.25])
    assert set(back["flag"]) <= {"curve_not_converged", "below_curve", "above_curve"}
    assert "not converged" in curve.summary()


def test_a_sound_curve_stays_converged_with_ok_wells():
    curve = hs.fit_standard_curve(_wells(_good), model="4pl")
    assert curve.converged and curve.problems == ()
    assert (curve.back_calculate(ll5(np.array([2.0, 5.0, 10.0]), 1.1, 0.08, 2.4, 5.0))["flag"]
            == "ok").all()

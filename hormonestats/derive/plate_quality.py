"""Plate quality control: control CVs, drift of the standard curves, edge effects.

* Intra-assay CV: the CV of each control's replicate wells on a plate (back-calculated
  concentrations), averaged over plates; inter-assay CV: the CV of the control's plate means
  across plates (the usual definitions, e.g. Andreasson et al. 2015, Front Neurol 6:179).
* Drift: each curve parameter per plate, its CV across plates and its linear trend over the
  order the plates were run (slope per plate with its p-value; ``scipy.stats.linregress``).
* Edge effects: each well's OD deviation (%) from the mean of its replicate group, outer wells
  (rows A and H, columns 1 and 12) against inner wells, by Welch's t-test per plate and pooled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..display import ResultDisplay
from ..errors import DataError
from .back_calculation import plate_concentrations
from .standard_curves import StandardCurve, fit_standard_curves

__all__ = ["PlateQC", "edge_wells", "plate_qc"]


def edge_wells(wells: pd.DataFrame) -> pd.Series:
    """True for the outer ring of a 96-well plate (rows A, H; columns 1, 12)."""
    return wells["row"].isin(["A", "H"]) | wells["column"].isin([1, 12])


def _cv(values) -> float:
    v = pd.Series(values, dtype=float).dropna()
    return float(100 * v.std(ddof=1) / v.mean()) if len(v) > 1 and v.mean() > 0 else math.nan


@dataclass(frozen=True)
class PlateQC:
    """Quality of a run of plates (see :func:`plate_qc`)."""

    table: pd.DataFrame
    curves: dict = field(repr=False)
    controls: pd.DataFrame = field(repr=False)
    inter: pd.DataFrame = field(repr=False)
    drift: pd.DataFrame = field(repr=False)
    parameters: pd.DataFrame = field(repr=False)
    edge: pd.DataFrame = field(repr=False)
    flags: pd.DataFrame = field(repr=False)
    wells: pd.DataFrame = field(repr=False)
    rows: pd.DataFrame = field(repr=False)

    def _parts(self):
        return [("Standard curves per plate", self.table),
                ("Controls: intra-assay CV per plate (%)", self.controls),
                ("Controls: inter-assay CV across plates (%)", self.inter),
                ("Drift of the curve parameters across plates", self.drift),
                ("Edge effects (OD deviation from replicate mean, %)", self.edge),
                ("Readings by range flag", self.flags)]

    def summary(self) -> str:
        return ResultDisplay.text(f"Plate QC ({len(self.table)} plates)", self._parts())

    def _repr_html_(self) -> str:
        return ResultDisplay.html(f"Plate QC ({len(self.table)} plates)", self._parts())


def _controls(rows: pd.DataFrame):
    ctrl = rows[rows["sample_type"] == "control"]
    per_plate = []
    for (name, plate), grp in ctrl.groupby(["sample_id", "plate_id"], sort=False):
        conc = pd.to_numeric(grp["concentration"], errors="coerce")
        per_plate.append({"control": name, "plate_id": plate, "n_wells": len(grp),
                          "mean": float(conc.mean()), "sd": float(conc.std(ddof=1)),
                          "intra_cv": _cv(conc),
                          "nominal": float(grp["nominal"].iloc[0]) if "nominal" in grp
                          else math.nan})
    controls = pd.DataFrame(per_plate, columns=["control", "plate_id", "n_wells", "mean", "sd",
                                                "intra_cv", "nominal"])
    if not controls.empty:
        controls["recovery_pct"] = 100 * controls["mean"] / controls["nominal"]
    inter = []
    for name, grp in controls.groupby("control", sort=False):
        inter.append({"control": name, "n_plates": len(grp), "nominal": grp["nominal"].iloc[0],
                      "mean": float(grp["mean"].mean()), "sd": float(grp["mean"].std(ddof=1)),
                      "intra_cv": float(grp["intra_cv"].mean()), "inter_cv": _cv(grp["mean"])})
    return controls, pd.DataFrame(inter, columns=["control", "n_plates", "nominal", "mean", "sd",
                                                  "intra_cv", "inter_cv"])


def _drift(curves: dict[str, StandardCurve]):
    from scipy import stats

    params = pd.concat([c.table.assign(plate_id=p, plate_order=k)
                        for k, (p, c) in enumerate(curves.items())], ignore_index=True)
    out = []
    for term, grp in params.groupby("term", sort=False):
        est = grp["estimate"].to_numpy(float)
        row = {"term": term, "n_plates": len(grp), "mean": est.mean(),
               "sd": est.std(ddof=1) if len(est) > 1 else math.nan,
               "cv_pct": _cv(est) if term != "b" else 100 * est.std(ddof=1) / abs(est.mean())
               if len(est) > 1 else math.nan,
               "slope_per_plate": math.nan, "p_value": math.nan}
        if len(est) >= 3 and np.ptp(est) > 0:
            fit = stats.linregress(grp["plate_order"].to_numpy(float), est)
            row["slope_per_plate"], row["p_value"] = fit.slope, fit.pvalue
        out.append(row)
    return pd.DataFrame(out), params[["plate_id", "term", "estimate", "std_error"]]


def _edge(wells: pd.DataFrame) -> pd.DataFrame:
    from scipy import stats

    used = wells[wells["type"].isin(["standard", "blank", "control", "sample"])].copy()
    group = used.groupby(["plate_id", "type", "sample_id", "concentration"], dropna=False)["od"]
    used["n_rep"] = group.transform("size")
    used["deviation_pct"] = 100 * (used["od"] / group.transform("mean") - 1)
    used = used[used["n_rep"] > 1]
    used["edge"] = edge_wells(used)
    out = []
    for plate, grp in [*used.groupby("plate_id", sort=False), ("all plates", used)]:
        e = grp.loc[grp["edge"], "deviation_pct"]
        i = grp.loc[~grp["edge"], "deviation_pct"]
        row = {"plate_id": plate, "n_edge": len(e), "n_inner": len(i),
               "mean_edge": e.mean(), "mean_inner": i.mean(),
               "difference": e.mean() - i.mean(), "statistic": math.nan, "p_value": math.nan}
        if len(e) > 1 and len(i) > 1:
            test = stats.ttest_ind(e, i, equal_var=False)
            row["statistic"], row["p_value"] = float(test.statistic), float(test.pvalue)
        out.append(row)
    return pd.DataFrame(out)


def plate_qc(wells: pd.DataFrame, curves=None, *, rows: pd.DataFrame | None = None) -> PlateQC:
    """Quality control of a run of plates: curves, control CVs, drift, edge effects, flags.

    Parameters
    ----------
    wells : pandas.DataFrame
        The long well table with its layout (:func:`~hormonestats.study.plates.read_plates`).
    curves : dict of StandardCurve, optional
        Per-plate curves (default: :func:`fit_standard_curves` with its defaults).
    rows : pandas.DataFrame, optional
        The back-calculated rows (:func:`plate_concentrations`; computed if not given).

    Returns
    -------
    PlateQC
        ``table`` (one row per plate: model, AIC choice, weights, residual SD, LLOQ, ULOQ, LOD,
        mean OD of the NSB wells, the LOD rule), ``controls`` and ``inter`` (intra- and inter-assay CVs of the controls),
        ``drift`` and ``parameters`` (curve parameters across plates), ``edge`` (edge-effect
        tests) and ``flags`` (readings per range flag).

    Examples
    --------
    >>> import hormonestats as hs
    >>> from hormonestats.datasets import dataset_path
    >>> folder = dataset_path("cortisol_elisa") / "plates"
    >>> wells = hs.read_plates(sorted(folder.glob("export_*")), layout=folder / "layout.csv")
    >>> qc = hs.plate_qc(wells, hs.fit_standard_curves(wells, weights="1/y^2"))
    >>> qc.inter["control"].tolist()
    ['CTRL_low', 'CTRL_high']
    """
    if "type" not in wells.columns:
        raise DataError("plate_qc: the wells have no layout; read them with a layout")
    if curves is None:
        curves = fit_standard_curves(wells)
    curves = {str(k): v for k, v in curves.items()}
    if rows is None:
        rows = plate_concentrations(wells, curves)
    nominal = (wells[wells["type"] == "control"].groupby("sample_id")["concentration"].first())
    rows = rows.assign(nominal=rows["sample_id"].map(nominal))
    nsb = wells[wells["type"] == "nsb"].groupby("plate_id")["od"].mean().to_dict()
    table = pd.DataFrame([{
        "plate_id": p, "model": c.model, "weights": c.weights or "none", "n_standards":
        len(c.residuals), "sigma": c.sigma, "aic": c.aic, "lloq": c.lloq, "uloq": c.uloq,
        "lod": c.lod, "nsb_od": nsb.get(p, math.nan), "choice": c.choice,
        "lod_rule": c.lod_rule} for p, c in curves.items()])
    controls, inter = _controls(rows)
    drift, params = _drift(curves)
    flags = (rows.groupby(["sample_type", "flag"]).size().rename("n").reset_index())
    flags["pct"] = 100 * flags["n"] / flags.groupby("sample_type")["n"].transform("sum")
    return PlateQC(table, curves, controls, inter, drift, params, _edge(wells), flags, wells,
                   rows)

"""From plate wells and their standard curves to rows of the samples table.

Each sample and control well is back-calculated through its plate's curve (the dilution
applied); the row's ``lod`` is the plate's LOD times the well's dilution, so the existing LOD
policies (:func:`~hormonestats.derive.assays.apply_lod`) apply unchanged. A well whose OD lies
beyond the curve's zero-dose asymptote is written ``"<LOD"`` and one beyond the top asymptote
``">ULOQ"`` (censored readings that :func:`~hormonestats.study.readings.parse_readings`
understands); readings below the LLOQ or above the ULOQ keep their number and are flagged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError
from .standard_curves import StandardCurve, fit_standard_curves

__all__ = ["SAMPLE_COLUMNS", "plate_concentrations"]

#: Columns of the samples table written first (then the plate details).
SAMPLE_COLUMNS = ["subject_id", "session", "sample_id", "sample_number", "analyte", "matrix",
                  "value", "unit", "lod", "below_lod", "replicate", "plate_id", "sample_type",
                  "method"]
_DETAIL_COLUMNS = ["well", "od", "dilution", "concentration", "std_error", "conf_low",
                   "conf_high", "flag", "lloq", "uloq", "curve_model"]


def _curves_for(wells: pd.DataFrame, curves) -> dict[str, StandardCurve]:
    if curves is None:
        return fit_standard_curves(wells)
    if isinstance(curves, StandardCurve):
        curves = {curves.plate_id: curves}
    elif not isinstance(curves, dict):
        curves = {c.plate_id: c for c in curves}
    return {str(k): v for k, v in curves.items()}


def plate_concentrations(
    wells: pd.DataFrame,
    curves=None,
    *,
    analyte: str | None = None,
    unit: str | None = None,
    matrix: str | None = None,
    method: str | None = "immunoassay",
    conf_level: float | None = None,
) -> pd.DataFrame:
    """Back-calculate the sample and control wells into rows of the samples table.

    Parameters
    ----------
    wells : pandas.DataFrame
        Long well table with a layout (:func:`~hormonestats.study.plates.read_plates`).
    curves : dict, sequence of StandardCurve, StandardCurve or None
        The plates' curves keyed by plate id; ``None`` fits the default curve per plate
        (``model="auto"``, unweighted).
    analyte, unit, matrix, method : str, optional
        Written into every row (the unit is that of the standards' concentrations).
    conf_level : float, optional
        Level of the back-calculation intervals (default: each curve's).

    Returns
    -------
    pandas.DataFrame
        One row per sample or control well: the samples-table columns (``subject_id`` from the
        layout's ``subject_id`` or else its ``sample_id``; ``sample_type`` ``subject`` or
        ``control``; ``value`` the back-calculated concentration or ``"<LOD"``/``">ULOQ"``;
        ``lod`` and ``below_lod``), then ``well, od, dilution, concentration, std_error,
        conf_low, conf_high, flag, lloq, uloq, curve_model``, and the layout's extra columns.

    Raises
    ------
    DataError
        No layout columns, or a plate without a curve.

    Examples
    --------
    >>> import hormonestats as hs
    >>> from hormonestats.datasets import dataset_path
    >>> folder = dataset_path("cortisol_elisa") / "plates"
    >>> wells = hs.read_plates(sorted(folder.glob("export_*")), layout=folder / "layout.csv")
    >>> rows = hs.plate_concentrations(wells, analyte="cortisol", unit="nmol/L", matrix="saliva")
    >>> rows["sample_type"].value_counts().to_dict()
    {'subject': 296, 'control': 16}
    """
    if "type" not in wells.columns:
        raise DataError("plate_concentrations: the wells have no layout (type, sample_id, ...); "
                        "read them with hs.read_plates(..., layout=...)")
    curves = _curves_for(wells, curves)
    targets = wells[wells["type"].isin(["sample", "control"])]
    missing = sorted(set(targets["plate_id"].astype(str)) - set(curves))
    if missing:
        raise DataError(f"plate_concentrations: no standard curve for plates {missing}")
    parts = []
    for plate, grp in targets.groupby("plate_id", sort=False):
        curve = curves[str(plate)]
        back = curve.back_calculate(grp["od"].to_numpy(), dilution=grp["dilution"].to_numpy(),
                                    conf_level=conf_level)
        back.index = grp.index
        part = grp.drop(columns=["od", "dilution", "concentration"]).join(back)
        part["lod"] = curve.lod * part["dilution"]
        part["lloq"] = curve.lloq * part["dilution"]
        part["uloq"] = curve.uloq * part["dilution"]
        part["curve_model"] = curve.model
        parts.append(part)
    rows = pd.concat(parts).sort_index()
    out = pd.DataFrame(index=rows.index)
    ids = rows["subject_id"] if "subject_id" in rows.columns else rows["sample_id"]
    out["subject_id"] = ids.where(ids.notna(), rows["sample_id"]).astype(str)
    out["session"] = rows["session"] if "session" in rows.columns else pd.NA
    out["sample_id"] = rows["sample_id"]
    out["sample_number"] = rows["sample_number"] if "sample_number" in rows.columns else pd.NA
    out["analyte"] = analyte
    out["matrix"] = matrix
    value = rows["concentration"].astype(object)
    value = value.where(rows["flag"] != "below_curve", "<LOD")
    value = value.where(rows["flag"] != "above_curve", ">ULOQ")
    out["value"] = value
    out["unit"] = unit
    out["lod"] = rows["lod"]
    out["below_lod"] = rows["flag"].isin(["below_curve", "below_lod"])
    out["replicate"] = rows["replicate"].astype(int)
    out["plate_id"] = rows["plate_id"].astype(str)
    out["sample_type"] = np.where(rows["type"].eq("control"), "control", "subject")
    out["method"] = method
    for col in _DETAIL_COLUMNS:
        out[col] = rows[col]
    skip = set(out.columns) | {"type", "row", "column", "source", "_merge"}
    for col in rows.columns:
        if col not in skip:
            out[col] = rows[col]
    return out.reset_index(drop=True)

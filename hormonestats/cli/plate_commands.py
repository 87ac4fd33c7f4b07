"""The plate-reader command: plates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import HormoneStatsError
from .common import (
    _fail,
    app,
    console,
)


@app.command()
def plates(
    exports: Annotated[list[Path], typer.Argument(help="Plate reader exports (csv/xlsx).")],
    layout: Annotated[Path, typer.Option(help="The plate layout (csv/xlsx).")],
    analyte: Annotated[str, typer.Option(help="Analyte measured, e.g. cortisol.")],
    unit: Annotated[str, typer.Option(help="Unit of the standards, e.g. nmol/L.")],
    out: Annotated[Path, typer.Option(help="Samples table (csv) to write.")],
    matrix: Annotated[str, typer.Option(help="Sample matrix.")] = "saliva",
    method: Annotated[str, typer.Option(help="Assay method.")] = "immunoassay",
    model: Annotated[str, typer.Option(help="Curve: 4pl, 5pl or auto (by AIC).")] = "auto",
    weights: Annotated[str, typer.Option(help="Weights: 1/y^2, 1/y or none.")] = "1/y^2",
    qc: Annotated[
        Path | None, typer.Option("--qc", help="Also write the plate QC as an HTML page.")
    ] = None,
) -> None:
    """Standard curves per plate and back-calculated concentrations -> a samples table."""
    from ..derive.back_calculation import plate_concentrations
    from ..derive.standard_curves import fit_standard_curves
    from ..registry.analytes import get_analyte
    from ..registry.units import unit_allowed
    from ..report.output_guard import check_output_file, run_inputs
    from ..study.plates import read_plates

    inputs = run_inputs([*exports, layout])
    try:
        out = check_output_file(out, inputs, what="--out")
        if qc is not None:
            qc = check_output_file(qc, inputs, what="--qc")
            if qc == out:
                _fail("--qc and --out name the same file; give the plate QC page its own name, "
                      f"e.g. {str(out.with_suffix('.html'))!r}")
        name = get_analyte(analyte).name
        if not unit_allowed(name, unit):
            _fail(f"unit {unit!r} is not a unit of {name}")
        wells = read_plates(exports, layout=layout)
        curves = fit_standard_curves(wells, model=model,
                                     weights=None if weights == "none" else weights)
        rows = plate_concentrations(wells, curves, analyte=name, unit=unit, matrix=matrix,
                                    method=method)
    except HormoneStatsError as err:
        _fail(str(err))
        return
    for plate, curve in curves.items():
        console.print(f"{plate}: {curve.choice}; LLOQ {curve.lloq:.4g}, ULOQ {curve.uloq:.4g}, "
                      f"LOD {curve.lod:.4g} {unit}", markup=False, soft_wrap=True)
        if not curve.converged:
            console.print(f"{plate}: the curve is not usable ({'; '.join(curve.problems)}); "
                          "its wells are flagged curve_not_converged", markup=False,
                          soft_wrap=True)
    counts = rows["flag"].value_counts()
    console.print("wells by flag: " + ", ".join(f"{k} {v}" for k, v in counts.items()),
                  markup=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    from ..study.spreadsheet_cells import write_csv

    write_csv(rows, out)
    console.print(f"Samples table: {out} ({len(rows)} rows)", markup=False)
    if qc is not None:
        from ..derive.plate_quality import plate_qc
        from ..report.plate_report import plate_qc_section

        section = plate_qc_section(plate_qc(wells, curves, rows=rows), unit=unit)
        qc.parent.mkdir(parents=True, exist_ok=True)
        qc.write_text(f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Plate QC"
                      f"</title></head><body>\n{section}\n</body></html>\n", encoding="utf-8")
        console.print(f"Plate QC: {qc}", markup=False)

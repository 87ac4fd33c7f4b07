"""The plate-QC section of a report (HTML) and its methods sentences.

:func:`plate_qc_section` renders a
:class:`~hormonestats.derive.plate_quality.PlateQC` as one
``<section>`` (tables, and optionally each plate's standard curve and heat map as embedded PNG);
:func:`plate_methods` writes the sentences a methods section needs: the curve model and its
choice, weights, back-calculation, LLOQ/ULOQ and LOD rules, control CVs and the readings outside
the quantifiable range.
"""

from __future__ import annotations

import base64
import html
import io
import math

import numpy as np
import pandas as pd

__all__ = ["plate_methods", "plate_qc_section"]


def _fmt(v, digits: int = 3) -> str:
    if isinstance(v, float | np.floating):
        return "" if not np.isfinite(v) else f"{v:.{digits}g}"
    return str(v)


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, formatters={c: _fmt for c in frame.columns},
                         border=0, classes="plate-qc")


def _png(ax) -> str:
    import matplotlib.pyplot as plt

    fig = ax.figure
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight",
                metadata={"Software": None})
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(ax.get_title())}" src="data:image/png;base64,{data}"/>'


def plate_qc_section(qc, *, figures: bool = True, unit: str | None = None) -> str:
    """The report's plate-QC section as HTML (a ``<section>`` element).

    Examples
    --------
    >>> import hormonestats as hs
    >>> from hormonestats.datasets import dataset_path
    >>> folder = dataset_path("cortisol_elisa") / "plates"
    >>> wells = hs.read_plates(sorted(folder.glob("export_*")), layout=folder / "layout.csv")
    >>> html_text = plate_qc_section(hs.plate_qc(wells), figures=False)
    >>> html_text.startswith('<section class="plate-qc">')
    True
    """
    parts = ['<section class="plate-qc">', "<h2>Plate quality control</h2>",
             f"<p>{html.escape(plate_methods(qc, unit=unit))}</p>"]
    curves = qc.table.drop(columns=["lod_rule"])
    for caption, frame in (("Standard curves per plate", curves),
                           ("Controls per plate (intra-assay CV, %)", qc.controls),
                           ("Controls across plates (inter-assay CV, %)", qc.inter),
                           ("Drift of the curve parameters across plates", qc.drift),
                           ("Edge effects: OD deviation from the replicate mean (%), outer vs "
                            "inner wells, Welch t-test", qc.edge),
                           ("Readings by range flag", qc.flags)):
        parts += [f"<h3>{html.escape(caption)}</h3>", _table(frame)]
    if figures:
        from .plate_figures import plate_heatmap, standard_curve

        parts.append("<h3>Standard curves and plate maps</h3>")
        for plate, curve in qc.curves.items():
            parts.append('<div class="plate-figures">')
            parts.append(_png(standard_curve(curve, unit=unit)))
            parts.append(_png(plate_heatmap(qc.wells, plate=plate)))
            parts.append("</div>")
    parts.append("</section>")
    return "\n".join(parts)


def _range(values, digits: int = 3) -> str:
    v = pd.Series(values, dtype=float).dropna()
    if v.empty:
        return "not estimable"
    lo, hi = v.min(), v.max()
    return f"{lo:.{digits}g}" if math.isclose(lo, hi) else f"{lo:.{digits}g}-{hi:.{digits}g}"


def plate_methods(qc, *, unit: str | None = None) -> str:
    """Methods sentences for the plate assays of ``qc`` (a :class:`PlateQC`)."""
    u = f" {unit}" if unit else ""
    t = qc.table
    n = len(t)
    models = t["model"].value_counts()
    model_text = " and ".join(f"a {m.upper()} on {k} plate{'s' if k > 1 else ''}"
                              for m, k in models.items())
    choice = ("chosen per plate by AIC between the four- and five-parameter models"
              if t["choice"].str.contains("chosen by AIC").any() else "as specified")
    weights = t["weights"].iloc[0]
    wtext = "unweighted" if weights == "none" else f"weighted {weights}"
    out = [
        f"Optical densities of {n} plate{'s' if n > 1 else ''} were fitted with log-logistic "
        f"standard curves in the LL.4/LL.5 parametrisation of R drc (Ritz et al. 2015), "
        f"{model_text} ({choice}), by {wtext} least squares.",
        "Concentrations were back-calculated by inverting each plate's curve and multiplied by "
        "the sample's dilution factor; 95% intervals are delta-method (Wald) intervals on the "
        "log scale that include the curve's parameter uncertainty and the reading's variance.",
        "LLOQ and ULOQ were the lowest and highest standards whose back-calculated mean was "
        f"within 80-120% of nominal with a CV of at most 20% (FDA 2018): LLOQ "
        f"{_range(t['lloq'])}{u}, ULOQ {_range(t['uloq'])}{u} across plates.",
        "The LOD was the mean of the blank (zero-standard) wells moved 3 SD towards higher "
        f"concentration and read off the curve: {_range(t['lod'])}{u} (before dilution).",
    ]
    if not qc.inter.empty:
        intra = qc.controls["intra_cv"].mean()
        inter = "; ".join(f"{r.control} {r.inter_cv:.1f}%" for r in qc.inter.itertuples()
                          if np.isfinite(r.inter_cv))
        out.append(f"The mean intra-assay CV of the controls was {intra:.1f}%"
                   + (f"; inter-assay CVs were {inter}." if inter else "."))
    rows = qc.rows[qc.rows["sample_type"] == "subject"]
    if len(rows):
        flags = rows["flag"].value_counts()
        def pct(*names):
            k = int(sum(flags.get(x, 0) for x in names))
            return f"{k} ({100 * k / len(rows):.1f}%)"
        out.append(f"Of {len(rows)} sample wells, {pct('below_curve', 'below_lod')} were below "
                   f"the LOD, {pct('below_lloq')} between the LOD and the LLOQ, "
                   f"{pct('above_uloq', 'above_curve')} above the ULOQ.")
    pooled = qc.edge.iloc[-1] if len(qc.edge) else None
    if pooled is not None and np.isfinite(pooled["p_value"]):
        out.append(f"Outer wells deviated from their replicates by {pooled['difference']:+.2f} "
                   f"percentage points relative to inner wells (Welch t-test p = "
                   f"{pooled['p_value']:.2g}).")
    return " ".join(out)

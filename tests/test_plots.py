"""Tests of hs.plots on stand-in results of every family and on the real model results."""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.container import ErrorbarContainer
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

import hormonestats as hs
from hormonestats import plots
from hormonestats.errors import DataError, HormoneStatsError
from hormonestats.models._slopes import johnson_neyman_from_cov, slopes_from_cov
from hormonestats.models._tidy import tidy_statsmodels
from hormonestats.report import format_ci, format_number


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ----------------------------------------------------------------------------- stand-ins
@dataclass(frozen=True)
class StandInModeration:
    """Follows the moderation interface; built on a real OLS fit and the shared slope algebra."""

    table: pd.DataFrame
    fit: object
    y: str
    x: str
    m: str
    m_values: tuple
    m_range: tuple

    def simple_slopes(self):
        out = slopes_from_cov(self.fit.params, self.fit.cov_params(), x_term=self.x,
                              xm_term=f"{self.x}:{self.m}", m_values=self.m_values,
                              df=self.fit.df_resid)  # fmt: skip
        return out.assign(m_label=["-1 SD", "mean", "+1 SD"])[
            ["m_label", "m_value", "estimate", "std_error", "statistic", "df", "p_value",
             "conf_low", "conf_high"]
        ]  # fmt: skip

    def johnson_neyman(self):
        return johnson_neyman_from_cov(self.fit.params, self.fit.cov_params(), x_term=self.x,
                                       xm_term=f"{self.x}:{self.m}", m_range=self.m_range,
                                       df=self.fit.df_resid, x=self.x, m=self.m)  # fmt: skip

    def predictions(self, n_points=50):
        xs = np.linspace(-2, 2, n_points)
        frames = []
        for label, mv in zip(["-1 SD", "mean", "+1 SD"], self.m_values):
            new = pd.DataFrame({self.x: xs, self.m: mv})
            pf = self.fit.get_prediction(new).summary_frame()
            frames.append(pd.DataFrame({"x_value": xs, "m_label": label, "m_value": mv,
                                        "estimate": pf["mean"].to_numpy(),
                                        "conf_low": pf["mean_ci_lower"].to_numpy(),
                                        "conf_high": pf["mean_ci_upper"].to_numpy()}))  # fmt: skip
        return pd.concat(frames, ignore_index=True)


def moderation_data(seed=3, n=120):
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"oxytocin": rng.normal(size=n), "estradiol": rng.uniform(-2, 2, n)})
    d["trust"] = 0.2 * d.oxytocin + 0.6 * d.oxytocin * d.estradiol + rng.normal(size=n)
    return d


def stand_in_moderation() -> StandInModeration:
    import statsmodels.formula.api as smf

    d = moderation_data()
    fit = smf.ols("trust ~ oxytocin * estradiol", d).fit()
    m, s = d.estradiol.mean(), d.estradiol.std()
    return StandInModeration(tidy_statsmodels(fit), fit, "trust", "oxytocin", "estradiol",
                             (m - s, m, m + s), (d.estradiol.min(), d.estradiol.max()))  # fmt: skip


@dataclass(frozen=True)
class StandInGroups:
    """Categorical moderator (genotype groups): m_label holds the group, m_value is NaN."""

    y: str = "empathy"
    x: str = "cortisol"
    m: str = "rs53576"

    def simple_slopes(self):
        return pd.DataFrame({"m_label": ["GG", "A carrier"], "m_value": [np.nan, np.nan],
                             "estimate": [0.4, -0.1], "std_error": [0.1, 0.12],
                             "statistic": [4.0, -0.83], "df": [96.0, 96.0],
                             "p_value": [0.0001, 0.41], "conf_low": [0.2, -0.34],
                             "conf_high": [0.6, 0.14]})  # fmt: skip

    def predictions(self, n_points=50):
        xs = np.linspace(0, 1, n_points)
        return pd.concat(
            [pd.DataFrame({"x_value": xs, "m_label": g, "m_value": np.nan, "estimate": b * xs,
                           "conf_low": b * xs - 0.2, "conf_high": b * xs + 0.2})
             for g, b in [("GG", 0.4), ("A carrier", -0.1)]],
            ignore_index=True,
        )  # fmt: skip


@dataclass(frozen=True)
class StandInMediation:
    table: pd.DataFrame
    x: str = "oxytocin"
    y: str = "trust"


def mediation_table(mediators=("empathy",)) -> pd.DataFrame:
    rows = []
    for i, med in enumerate(mediators):
        rows += [("a", med, 0.5 + i, 0.3 + i, 0.7 + i), ("b", med, 0.4, 0.2, 0.6)]
    rows += [("total", None, 0.45, 0.2, 0.7), ("direct", None, 0.25, 0.01, 0.49)]
    rows += [("indirect", med, 0.2 + 0.4 * i, 0.08, 0.35 + i) for i, med in enumerate(mediators)]
    if len(mediators) > 1:
        rows.append(("total_indirect", None, 0.6, 0.3, 0.9))
    rows.append(("proportion_mediated", None, 0.44, np.nan, np.nan))
    t = pd.DataFrame(rows, columns=["term", "mediator", "estimate", "conf_low", "conf_high"])
    return t.assign(std_error=0.1, p_value=0.01)


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def bands(ax) -> list[PolyCollection]:
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


# ----------------------------------------------------------------------------- moderation
def test_interaction_lines_and_bands_per_level():
    res = stand_in_moderation()
    ax = plots.interaction(res)
    pred = res.predictions()
    assert len(ax.lines) == 3 and len(bands(ax)) == 3
    assert ax.get_xlabel() == "oxytocin" and ax.get_ylabel() == "trust"
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "estradiol"
    assert [t.get_text() for t in legend.get_texts()] == ["-1 SD", "mean", "+1 SD"]
    top = pred.loc[pred.m_label == "+1 SD", "estimate"].to_numpy()
    np.testing.assert_allclose(ax.lines[2].get_ydata(), top)
    assert ax.lines[0].get_color() != ax.lines[1].get_color()


def test_interaction_categorical_moderator_and_given_axes():
    fig, (ax1, ax2) = plt.subplots(1, 2)
    out = plots.interaction(StandInGroups(), ax=ax2)
    assert out is ax2 and len(ax1.lines) == 0
    assert [t.get_text() for t in ax2.get_legend().get_texts()] == ["GG", "A carrier"]


def test_johnson_neyman_observed_range_bounds_and_shading():
    res = stand_in_moderation()
    jn = res.johnson_neyman()
    inside = [b for b, i in zip(jn.bounds, jn.in_range) if i]
    assert inside, "the stand-in should have a boundary inside the observed range"
    for arg in (res, jn):
        ax = plots.johnson_neyman(arg)
        assert tuple(float(v) for v in ax.get_xlim()) == pytest.approx(jn.m_range)
        assert ax.get_xlabel() == "estradiol" and ax.get_ylabel() == "Slope of oxytocin"
        slope = ax.lines[0]
        np.testing.assert_allclose(slope.get_xdata(), jn.grid["m_value"])
        np.testing.assert_allclose(slope.get_ydata(), jn.grid["estimate"])
        assert min(slope.get_xdata()) >= jn.m_range[0] and max(slope.get_xdata()) <= jn.m_range[1]
        hlines = [ln for ln in ax.lines if list(ln.get_ydata()) == [0, 0]]
        assert len(hlines) == 1  # zero line
        vlines = [ln for ln in ax.lines if len(set(ln.get_xdata())) == 1 and ln is not slope]
        assert sorted(ln.get_xdata()[0] for ln in vlines) == pytest.approx(sorted(inside))
        assert len(bands(ax)) == 1  # CI band
        spans = [p for p in ax.patches if isinstance(p, Rectangle)]
        assert spans, "significance region is shaded"
        edges = sorted(
            {round(p.get_x(), 9) for p in spans}
            | {round(p.get_x() + p.get_width(), 9) for p in spans}
        )
        assert any(abs(e - b) < 1e-6 for e in edges for b in inside)
        # shading covers exactly the significant part of the grid
        for p in spans:
            mid = p.get_x() + p.get_width() / 2
            i = int(np.argmin(np.abs(jn.grid["m_value"] - mid)))
            assert bool(jn.grid["significant"].iloc[i])
        assert [t.get_text() for t in ax.texts] == [format_number(b) for b in inside]
        plt.close("all")
    with pytest.raises(HormoneStatsError, match="johnson_neyman"):
        plots.johnson_neyman(pd.DataFrame())


def test_simple_slopes_point_ranges():
    res = stand_in_moderation()
    ax = plots.simple_slopes(res)
    containers = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(containers) == 3
    ss = res.simple_slopes()
    ys = [c.lines[0].get_ydata()[0] for c in containers]
    np.testing.assert_allclose(ys, ss["estimate"])
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0].startswith("-1 SD") and format_number(ss["m_value"][0]) in labels[0]
    ax = plots.simple_slopes(StandInGroups())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["GG", "A carrier"]
    assert ax.get_xlabel() == "rs53576" and ax.get_ylabel() == "Slope of cortisol"


def test_plots_on_the_real_moderation_and_gxe_results():
    d = moderation_data()
    res = hs.moderation(d, y="trust", x="oxytocin", m="estradiol")
    ax = plots.interaction(res)
    assert len(ax.lines) == 3 and len(bands(ax)) == 3
    ax = plots.johnson_neyman(res)
    assert tuple(float(v) for v in ax.get_xlim()) == pytest.approx(res.m_range)
    ax = plots.simple_slopes(res)
    assert len(ax.containers) == 3
    rng = np.random.default_rng(5)
    g = pd.DataFrame({"e2": rng.normal(size=150), "oxtr": rng.integers(0, 3, 150).astype(float)})
    g["rmet"] = 0.3 * g.e2 * g.oxtr + rng.normal(size=150)
    gx = hs.gxe(g, y="rmet", x="e2", m="oxtr", coding="dominant")
    ax = plots.interaction(gx)
    assert ax.get_xlabel() == "e2" and len(ax.lines) == len(gx.gene_levels)
    ax = plots.simple_slopes(gx)
    labels = [t.get_text().split("\n")[0] for t in ax.get_xticklabels()]
    assert labels == [lab for _, lab in gx.gene_levels]


# ----------------------------------------------------------------------------- mediation
def test_mediation_paths_labels_boxes_arrows():
    res = StandInMediation(mediation_table())
    ax = plots.mediation_paths(res)
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(boxes) == 3 and len(arrows) == 3
    t = texts(ax)
    assert {"oxytocin", "trust", "empathy"} <= set(t)
    assert f"a = 0.50 {format_ci(0.3, 0.7)}" in t
    assert f"b = 0.40 {format_ci(0.2, 0.6)}" in t
    assert f"c' = 0.25 {format_ci(0.01, 0.49)}" in t
    summary = next(s for s in t if s.startswith("Total effect"))
    assert f"c = 0.45 {format_ci(0.2, 0.7)}" in summary
    assert f"Indirect effect via empathy: ab = 0.20 {format_ci(0.08, 0.35)}" in summary


def test_mediation_paths_two_mediators():
    res = StandInMediation(mediation_table(("empathy", "cortisol")))
    ax = plots.mediation_paths(res)
    assert len([p for p in ax.patches if isinstance(p, FancyBboxPatch)]) == 4
    assert len([p for p in ax.patches if isinstance(p, FancyArrowPatch)]) == 5
    t = texts(ax)
    assert any(s.startswith("a2 = 1.50") for s in t)
    assert "Total indirect effect: Σab = 0.60 [0.30, 0.90]" in t[-1]


def test_mediation_paths_on_the_real_result():
    rng = np.random.default_rng(2)
    d = pd.DataFrame({"ot": rng.normal(size=80)})
    d["emp"] = 0.5 * d.ot + rng.normal(size=80)
    d["trust"] = 0.4 * d.emp + 0.1 * d.ot + rng.normal(size=80)
    res = hs.mediation(d, x="ot", mediator="emp", y="trust", n_boot=200, seed=1)
    ax = plots.mediation_paths(res)
    row = res.table.set_index("term").loc["a"]
    a_label = f"a = {format_number(row['estimate'])} {format_ci(row['conf_low'], row['conf_high'])}"
    assert a_label in texts(ax)
    assert {"ot", "emp", "trust"} <= set(texts(ax))


# ----------------------------------------------------------------------------- hormones
def cortisol_long():
    rng = np.random.default_rng(0)
    rows = []
    for s in range(12):
        group = "stress" if s % 2 else "control"
        for t in (0, 15, 30, 45):
            bump = 6 * np.exp(-((t - 25) ** 2) / 200) if group == "stress" else 0
            rows.append((f"s{s}", group, t, 8 + bump + rng.normal()))
    return pd.DataFrame(rows, columns=["subject_id", "group", "sample_time", "value"])


def test_cortisol_curves_mean_and_se_by_group():
    d = cortisol_long()
    ax = plots.cortisol_curves(d, group="group")
    containers = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(containers) == 2
    ctrl = d.loc[d.group == "control"].groupby("sample_time")["value"]
    np.testing.assert_allclose(containers[0].lines[0].get_ydata(), ctrl.mean())
    seg = containers[0].lines[2][0].get_segments()
    np.testing.assert_allclose([s[1, 1] - s[0, 1] for s in seg], 2 * ctrl.sem())
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["control", "stress"]
    assert ax.get_xlabel() == "sample_time"
    with pytest.raises(DataError, match="'minutes'"):
        plots.cortisol_curves(d, time="minutes")


def cycle_long():
    rng = np.random.default_rng(1)
    rows = [(f"s{s}", day, 50 + 30 * np.exp(-(day**2) / 8) + rng.normal(0, 3))
            for s in range(5) for day in range(-10, 8)]  # fmt: skip
    return pd.DataFrame(rows, columns=["subject_id", "cycle_day", "estradiol"])


def test_cycle_individual_lines_plus_mean():
    d = cycle_long()
    ax = plots.cycle(d, y="estradiol", align="ovulation")
    thin = [ln for ln in ax.lines if ln.get_alpha() is not None and ln.get_alpha() < 1]
    assert len(thin) == 5
    mean_line = next(ln for ln in ax.lines if ln.get_label() == "mean ± SE")
    np.testing.assert_allclose(mean_line.get_ydata(), d.groupby("cycle_day")["estradiol"].mean())
    assert any(list(ln.get_xdata()) == [0, 0] for ln in ax.lines)  # ovulation marked
    assert "ovulation" in ax.get_xlabel() and ax.get_ylabel() == "estradiol"
    assert len(bands(ax)) == 1
    ax = plots.cycle(d.assign(cycle_day=d.cycle_day + 15), y="estradiol")
    assert "menses" in ax.get_xlabel()
    with pytest.raises(HormoneStatsError, match="align"):
        plots.cycle(d, y="estradiol", align="luteal")


# ----------------------------------------------------------------------------- families
def hypothesis_table():
    return pd.DataFrame({"hypothesis": ["H1 OT x E2", "H2 rs53576", "H3 CAR"],
                         "estimate": [0.3, -0.05, 0.2], "conf_low": [0.1, -0.2, -0.02],
                         "conf_high": [0.5, 0.1, 0.42], "p_value": [0.004, 0.5, 0.03],
                         "p_fdr": [0.012, 0.5, 0.045]})  # fmt: skip


def test_forest_rows_zero_line_and_fdr_markers():
    tab = hypothesis_table()
    ax = plots.forest(tab)
    assert [t.get_text() for t in ax.get_yticklabels()] == tab["hypothesis"].tolist()
    containers = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    filled = [c for c in containers if c.lines[0].get_markerfacecolor() != "white"]
    opened = [c for c in containers if c.lines[0].get_markerfacecolor() == "white"]
    assert len(filled[0].lines[0].get_xdata()) == 2  # H1, H3 significant after FDR
    assert len(opened[0].lines[0].get_xdata()) == 1
    np.testing.assert_allclose(sorted(filled[0].lines[0].get_xdata()), [0.2, 0.3])
    assert any(list(ln.get_xdata()) == [0, 0] for ln in ax.lines)
    ax = plots.forest(tab, alpha=0.01)  # no FDR-adjusted p below .01
    containers = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(containers) == 1 and containers[0].lines[0].get_markerfacecolor() == "white"
    # falls back to 'term' and to p_value
    ax = plots.forest(tab.rename(columns={"hypothesis": "term"}).drop(columns="p_fdr"))
    assert ax.get_yticklabels()[0].get_text() == "H1 OT x E2"
    with pytest.raises(DataError, match="conf_low"):
        plots.forest(tab.drop(columns="conf_low"))


def test_power_curve_bands_and_target():
    tab = pd.DataFrame({"hypothesis": ["H1"] * 3 + ["H2"] * 3, "n": [50, 100, 200] * 2,
                        "power": [0.2, 0.4, 0.7, 0.5, 0.8, 0.97],
                        "mc_se": [0.013, 0.015, 0.014, 0.016, 0.013, 0.005]})  # fmt: skip
    ax = plots.power_curve(tab, target=0.9)
    curves = [ln for ln in ax.lines if ln.get_marker() == "o"]
    assert len(curves) == 2 and len(bands(ax)) == 2
    np.testing.assert_allclose(curves[1].get_ydata(), [0.5, 0.8, 0.97])
    target = [ln for ln in ax.lines if list(ln.get_ydata()) == [0.9, 0.9]]
    assert len(target) == 1
    top = bands(ax)[1].get_paths()[0].vertices[:, 1].max()
    assert top == pytest.approx(min(1.0, 0.97 + 1.96 * 0.005))
    assert ax.get_xlabel() == "Sample size (n)" and ax.get_ylabel() == "Power"


# ----------------------------------------------------------------------------- assay QC
def test_qc_cv_bars_and_limit():
    cv = pd.DataFrame({"plate_id": ["P1", "P2", "P3", "P1", "P2", "P3"],
                       "analyte": ["cortisol"] * 3 + ["testosterone"] * 3,
                       "intra_cv": [4.0, 6.5, 17.0, 3.0, 5.0, 8.0]})  # fmt: skip
    ax = plots.qc_cv(cv, max_cv=10)  # one panel per analyte, each with its own plates
    panels = ax.figure.axes
    assert [p.get_title() for p in panels] == ["cortisol", "testosterone"]
    for panel, analyte in zip(panels, ["cortisol", "testosterone"]):
        heights = [b.get_height() for b in panel.patches if isinstance(b, Rectangle)]
        assert heights == cv.loc[cv.analyte == analyte, "intra_cv"].tolist()
        assert any(list(ln.get_ydata()) == [10, 10] for ln in panel.lines)
        assert [t.get_text() for t in panel.get_xticklabels()] == ["P1", "P2", "P3"]
    wide = pd.DataFrame({"plate_id": [f"P{i:02d}" for i in range(25)],
                         "analyte": [a for a in "ABCDE" for _ in range(5)],
                         "intra_cv": np.linspace(3, 12, 25)})  # fmt: skip
    fig = plots.qc_cv(wide).figure
    assert len([a for a in fig.axes if a.get_visible()]) == 5
    assert fig.get_size_inches()[0] <= 12.5  # small multiples wrap (3 per row)
    _, given = plt.subplots()
    ax = plots.qc_cv(cv, max_cv=10, ax=given)  # on a given Axes: bars grouped by analyte
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == 6
    assert sorted(b.get_height() for b in bars) == sorted(cv.intra_cv)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["P1", "P2", "P3"]
    ax = plots.qc_cv(cv.groupby("analyte", as_index=False)["intra_cv"].mean(), max_cv=None)
    assert len(ax.patches) == 2 and not ax.lines


def test_qc_lod_bars_and_counts():
    lod = pd.DataFrame({"analyte": ["cortisol", "estradiol"], "matrix": ["saliva", "saliva"],
                        "n": [120, 118], "n_below_lod": [3, 30],
                        "pct_below_lod": [2.5, 100 * 30 / 118]})  # fmt: skip
    ax = plots.qc_lod(lod)
    assert [p.get_height() for p in ax.patches] == pytest.approx(lod.pct_below_lod.tolist())
    assert texts(ax) == ["3/120", "30/118"]
    assert ax.get_ylabel() == "% below LOD"


# ----------------------------------------------------------------------------- save / theme
def test_save_png_and_svg(tmp_path):
    ax = plots.forest(hypothesis_table())
    paths = plots.save(ax, tmp_path / "figs" / "forest")
    assert [p.name for p in paths] == ["forest.png", "forest.svg"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = paths[1].read_text()
    assert "<svg" in svg and "H1 OT x E2" in svg  # matplotlib keeps text as comments
    again = plots.save(ax.figure, tmp_path / "again", formats=("svg",))
    assert again[0].read_bytes() == paths[1].read_bytes()  # no timestamps, same ids
    with pytest.raises(HormoneStatsError, match="Figure or Axes"):
        plots.save("not a figure", tmp_path / "x")


def test_theme_palette_is_okabe_ito_and_restored():
    before = matplotlib.rcParams["axes.prop_cycle"]
    with plots.theme():
        colours = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
        assert colours[:3] == ["#E69F00", "#56B4E9", "#009E73"]
    assert matplotlib.rcParams["axes.prop_cycle"] == before
    ax = plots.power_curve(pd.DataFrame({"n": [10, 20], "power": [0.1, 0.2]}))
    assert ax.lines[0].get_color() == plots.PALETTE[0]


def test_set_theme_applies_globally():
    saved = matplotlib.rcParams.copy()
    try:
        plots.set_theme()
        assert matplotlib.rcParams["axes.prop_cycle"].by_key()["color"][0] == plots.PALETTE[0]
        assert matplotlib.rcParams["axes.spines.top"] is False
    finally:
        matplotlib.rcParams.update(saved)


def test_mixed_model_slopes_and_regions_plot():
    """Cross-level interaction of hs.mixed: simple slopes and Johnson–Neyman plots work; the
    interaction plot says plainly that it needs predicted lines."""
    import warnings

    rng = np.random.default_rng(1)
    n, k = 40, 8
    sid = np.repeat(np.arange(n), k)
    m = rng.normal(size=n)[sid]
    x = rng.normal(size=n * k)
    y = 0.3 * x + 0.4 * x * m + rng.normal(size=n)[sid] + rng.normal(size=n * k)
    data = pd.DataFrame({"id": sid, "x": x, "m": m, "y": y})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = hs.mixed(data, y="y", x="x", subject="id", m="m")
    ax = hs.plots.simple_slopes(res)
    assert len(ax.get_yticklabels()) >= 3 or len(ax.get_xticklabels()) >= 3
    ax2 = hs.plots.johnson_neyman(res)
    assert ax2.lines
    with pytest.raises(hs.DataError, match="no predicted lines"):
        hs.plots.interaction(res)
    plt.close("all")


def test_theme_keeps_what_a_backend_sets_up_inside_it():
    """Root cause of "only the first figure shows in Jupyter": the inline backend is set up
    when the first figure is made, inside the theme, and turns on interactive mode then;
    matplotlib.rc_context undid that on exit. The theme restores only its own keys."""
    saved = matplotlib.rcParams.copy()
    try:
        matplotlib.rcParams["interactive"] = False
        matplotlib.rcParams["figure.dpi"] = 100.0
        with plots.theme():
            matplotlib.rcParams["interactive"] = True  # what the backend's set-up does
            matplotlib.rcParams["figure.dpi"] = 72.0
        assert matplotlib.rcParams["interactive"] is True
        assert matplotlib.rcParams["figure.dpi"] == 72.0
        assert matplotlib.rcParams["axes.spines.top"] == saved["axes.spines.top"]
    finally:
        matplotlib.rcParams.update(saved)


def _binary_x_moderation(seed=5, n=160):
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"arm": rng.integers(0, 2, n), "e2": rng.normal(size=n)})
    d["trust"] = 0.5 * d.arm + 0.4 * d.arm * d.e2 + rng.normal(size=n)
    return hs.moderation(d, y="trust", x="arm", m="e2")


def test_interaction_draws_a_binary_x_as_categories():
    res = _binary_x_moderation()
    ax = plots.interaction(res)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1"]
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 3 and not bands(ax)  # one point-range line per moderator level
    pred = res.predictions(n_points=2)
    first = pred.loc[pred.m_label == pred.m_label.iloc[0], "estimate"].to_numpy()
    np.testing.assert_allclose(bars[0].lines[0].get_ydata(), first)
    ax = plots.interaction(res, categorical_x=False)
    assert len(bands(ax)) == 3 and not ax.containers


def test_interaction_continuous_x_cannot_be_forced_into_categories():
    with pytest.raises(DataError, match="cannot be drawn as categories"):
        plots.interaction(hs.moderation(moderation_data(), y="trust", x="oxytocin",
                                        m="estradiol"), categorical_x=True)  # fmt: skip


def test_plots_namespace_exposes_every_function():
    expected = {"PALETTE", "cortisol_curves", "cycle", "forest", "interaction",
                "johnson_neyman", "mediation_paths", "power_curve", "qc_cv", "qc_lod", "save",
                "set_theme", "simple_slopes", "theme", "plate_heatmap", "standard_curve",
                "specification_curve", "crossover_profiles", "actor_partner",
                "within_person", "item_accuracy"}  # fmt: skip
    assert set(hs.plots.__all__) == expected
    assert all(callable(getattr(hs.plots, n)) for n in expected - {"PALETTE"})


def test_no_report_submodule_shadows_a_public_name():
    import pkgutil

    import hormonestats.report as report

    subs = {m.name for m in pkgutil.iter_modules(report.__path__)}
    assert not subs & set(report.__all__)
    assert not subs & set(hs.plots.__all__)
    for name in report.__all__:  # still functions (or constants) after importing every module
        assert not hasattr(getattr(report, name), "__path__") and getattr(report, name) is not None

"""Tests of hs.report: APA formatting, Table 1, methods text, exclusion accounting, reports."""

from __future__ import annotations

import base64
import io
import json
import re
import sys
import types

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import hormonestats as hs
from hormonestats.errors import DataError, HormoneStatsError
from hormonestats.log import combine_logs, empty_log, log_rows
from hormonestats.report import (
    apa_table,
    exclusion_accounting,
    exclusion_summary,
    format_ci,
    format_number,
    format_p,
    methods_text,
    table1,
    to_docx,
    write_report,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def coef_table(seed: int = 0, n: int = 6, df: float = 96.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    est = rng.normal(0, 2, n)
    se = rng.uniform(0.01, 1, n)
    p = np.concatenate([[1e-7, 0.0004, 0.9999], rng.uniform(0.001, 0.99, n - 3)])
    return pd.DataFrame(
        {
            "term": ["Intercept", "x", "m", "x:m", "c1", "c2"][:n],
            "estimate": est,
            "std_error": se,
            "statistic": est / se,
            "df": df,
            "p_value": p,
            "conf_low": est - 1.98 * se,
            "conf_high": est + 1.98 * se,
            "std_estimate": rng.normal(0, 0.5, n),
            "partial_eta2": rng.uniform(0, 0.3, n),
        }
    )


def parse_markdown(text: str) -> tuple[list[str], list[list[str]]]:
    lines = [ln for ln in text.splitlines() if ln.startswith("|")]
    header = [c.strip().strip("*") for c in lines[0].strip("|").split(" | ")]
    rows = [[c.strip() for c in ln.strip("|").split(" | ")] for ln in lines[2:]]
    return header, rows


def parse_p(text: str) -> tuple[float, float]:
    """Interval that a formatted p value claims."""
    if text.startswith("<"):
        return 0.0, float(text[1:].strip())
    if text.startswith(">"):
        return float(text[1:].strip()), 1.0
    v = float(text)
    return v - 0.0005, v + 0.0005


# ----------------------------------------------------------------------------- formatting
def test_format_p_apa_rules():
    assert format_p(0.0321) == ".032"
    assert format_p(0.0009) == "< .001"
    assert format_p(0.001) == ".001"
    assert format_p(0.05) == ".050"
    assert format_p(1.0) == "> .999"
    assert format_p(0.5, 2) == ".50"
    assert format_p(float("nan")) == "—"
    assert format_p(0.2, with_p=True) == "p = .200"
    assert format_p(0.0, with_p=True) == "p < .001"
    with pytest.raises(HormoneStatsError, match="p value"):
        format_p(1.5)


def test_format_number_and_ci():
    assert format_number(-0.004) == "0.00"  # no negative zero
    assert format_number(-0.006) == "-0.01"
    assert format_number(12.3456, 3) == "12.346"
    assert format_ci(-1.234, 0.5) == "[-1.23, 0.50]"
    assert format_ci(None, 1) == "—"


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.integers(0, 4))
def test_format_number_parses_back(value, digits):
    assert abs(float(format_number(value, digits)) - value) <= 0.5 * 10**-digits + 1e-9


@given(st.floats(min_value=0, max_value=1))
def test_format_p_parses_back(p):
    lo, hi = parse_p(format_p(p))
    assert lo - 1e-12 <= p <= hi + 1e-12


# ----------------------------------------------------------------------------- apa_table
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_apa_table_numbers_parse_back_to_the_table(seed):
    tab = coef_table(seed)
    header, rows = parse_markdown(apa_table(tab))
    assert header == ["Term", "b", "SE", "β", "t", "df", "95% CI", "p", "η²p"]
    assert len(rows) == len(tab)
    col = {h: i for i, h in enumerate(header)}
    for rec, row in zip(tab.to_dict("records"), rows):
        assert row[col["Term"]] == rec["term"].replace(":", " × ")
        for name, key in [("b", "estimate"), ("SE", "std_error"), ("t", "statistic"),
                          ("β", "std_estimate"), ("η²p", "partial_eta2")]:  # fmt: skip
            assert abs(float(row[col[name]]) - rec[key]) <= 0.005 + 1e-12, name
        assert int(row[col["df"]]) == rec["df"]
        lo, hi = re.fullmatch(r"\[(\S+), (\S+)\]", row[col["95% CI"]]).groups()
        assert abs(float(lo) - rec["conf_low"]) <= 0.005 + 1e-12
        assert abs(float(hi) - rec["conf_high"]) <= 0.005 + 1e-12
        plo, phi = parse_p(row[col["p"]])
        assert plo - 1e-12 <= rec["p_value"] <= phi + 1e-12


def test_apa_table_does_not_mutate_and_accepts_results():
    tab = coef_table()
    before = tab.copy()
    result = types.SimpleNamespace(table=tab)
    assert apa_table(result) == apa_table(tab)
    pd.testing.assert_frame_equal(tab, before)


def test_apa_table_z_tests_drop_df_and_label_z():
    tab = coef_table(df=np.inf)
    header, _ = parse_markdown(apa_table(tab))
    assert "df" not in header
    assert "z" in header


def test_apa_table_columns_selection_headers_and_errors():
    tab = coef_table()
    text = apa_table(tab, columns={"term": "Predictor", "estimate": "B", "ci": "CI"})
    header, rows = parse_markdown(text)
    assert header == ["Predictor", "B", "CI"]
    assert rows[1][1] == format_number(tab["estimate"][1])
    with pytest.raises(DataError, match="nope"):
        apa_table(tab, columns=["term", "nope"])
    with pytest.raises(HormoneStatsError, match="fmt"):
        apa_table(tab, fmt="rtf")


def test_apa_table_html_and_latex():
    tab = coef_table()
    h = apa_table(tab, fmt="html", caption="Table 1 <moderation>", note="CI = interval")
    assert h.count("<tr>") == len(tab) + 2  # header, rows, note
    assert "&lt;moderation&gt;" in h and "<i>Note.</i>" in h
    assert f'<td class="num">{format_number(tab["estimate"][0])}</td>' in h
    latex = apa_table(tab, fmt="latex", caption="coef_table 50%")
    assert r"\begin{tabular}{lrrrrrrrr}" in latex
    assert r"coef\_table 50\%" in latex
    assert r"x $\times$ m" in latex
    assert latex.count(r" \\") == len(tab) + 1
    # booktabs rules, no \hline
    lines = latex.splitlines()
    assert [ln for ln in lines if ln in (r"\toprule", r"\midrule", r"\bottomrule")] == [
        r"\toprule", r"\midrule", r"\bottomrule"]
    assert r"\hline" not in latex
    assert lines.index(r"\toprule") < lines.index(r"\midrule") < lines.index(r"\bottomrule")


def test_apa_table_hypothesis_and_power_tables():
    hyp = pd.DataFrame(
        {
            "hypothesis": ["H1", "H2"],
            "family": ["oxytocin", "oxytocin"],
            "term": ["ot", "ot:rs53576"],
            "estimate": [0.31, -0.02],
            "std_error": [0.1, 0.05],
            "conf_low": [0.11, -0.12],
            "conf_high": [0.51, 0.08],
            "p_value": [0.002, 0.69],
            "p_fdr": [0.004, 0.69],
            "predicted_sign": ["+", "-"],
            "agrees": [True, False],
            "n": [120, 120],
            "status": ["ok", "ok"],
        }
    )
    header, rows = parse_markdown(apa_table(hyp))
    assert header[:3] == ["Hypothesis", "Family", "Term"]
    assert rows[0][header.index("p (FDR)")] == ".004"
    assert rows[1][header.index("Agrees")] == "no"
    assert rows[0][header.index("n")] == "120"
    power = pd.DataFrame({"n": [50, 100], "power": [0.4123, 0.8049], "mc_se": [0.0155, 0.0125]})
    header, rows = parse_markdown(apa_table(power))
    assert header == ["n", "Power", "MC SE"]
    assert rows[1] == ["100", "0.805", "0.013"]


# ----------------------------------------------------------------------------- Table 1
def subjects() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "subject_id": [f"s{i}" for i in range(8)],
            "arm": ["OT", "PL"] * 4,
            "age": [21.0, 25.0, 30.0, 22.0, np.nan, 28.0, 33.0, 40.0],
            "sex": ["f", "f", "m", "f", "m", "f", None, "f"],
            "contraception": pd.Categorical(["none", "pill", "none", "none", "iud", "pill", "none", "none"],
                                            categories=["none", "pill", "iud"]),
        }
    )  # fmt: skip


def test_table1_numbers_match_pandas():
    subj = subjects()
    t1 = table1(subj, group="arm")
    assert set(t1["group"]) == {"OT", "PL", "All"}
    for arm, part in [*subj.groupby("arm"), ("All", subj)]:
        in_group = t1["group"] == arm
        row = t1.loc[in_group & (t1["variable"] == "age")].iloc[0]
        assert row["n"] == part["age"].notna().sum()
        assert row["mean"] == pytest.approx(part["age"].mean())
        assert row["sd"] == pytest.approx(part["age"].std())
        sex = t1.loc[in_group & (t1["variable"] == "sex")]
        counts = part["sex"].value_counts()
        for lv in ["f", "m"]:
            r = sex.query("level == @lv").iloc[0]
            assert r["count"] == counts.get(lv, 0)
            assert r["percent"] == pytest.approx(
                100 * counts.get(lv, 0) / part["sex"].notna().sum()
            )
        n_row = t1.loc[in_group & (t1["kind"] == "n")].iloc[0]
        assert n_row["count"] == len(part)
    levels = t1.query("variable == 'contraception' and group == 'All'")["level"].tolist()
    assert levels == ["none", "pill", "iud"]  # categorical order kept
    assert "subject_id" not in set(t1["variable"])


def test_table1_rendering_and_errors():
    t1 = table1(subjects(), group="arm")
    header, rows = parse_markdown(apa_table(t1))
    assert header == ["Characteristic", "OT", "PL", "All"]
    age = next(r for r in rows if r[0] == "age, M (SD)")
    ot = subjects().query("arm == 'OT'")["age"]
    assert age[1] == f"{ot.mean():.2f} ({ot.std():.2f})"
    assert next(r for r in rows if r[0] == "N")[1:] == ["4", "4", "8"]
    with pytest.raises(DataError, match="arms"):
        table1(subjects(), group="arms")
    with pytest.raises(DataError, match="weight"):
        table1(subjects(), variables=["weight"])
    assert set(table1(subjects())["group"]) == {"All"}


# ----------------------------------------------------------------------------- docx
def test_to_docx_without_python_docx_raises_clear_error(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "docx", None)  # import docx -> ImportError
    with pytest.raises(ImportError, match=r"hormonestats\[docx\]"):
        to_docx({"Table 1": coef_table()}, tmp_path / "t.docx")


def test_to_docx_writes_apa_tables_that_read_back(tmp_path):
    import docx

    tab = coef_table()
    out = to_docx({"Coefficients of the moderation model": tab}, tmp_path / "t.docx")
    doc = docx.Document(str(out))
    texts = [p.text for p in doc.paragraphs]
    assert texts[:2] == ["Table 1", "Coefficients of the moderation model"]
    assert doc.paragraphs[0].runs[0].bold and doc.paragraphs[1].runs[0].italic
    grid = doc.tables[0]
    header = [c.text for c in grid.rows[0].cells]
    assert header[:3] == ["Term", "b", "SE"]
    assert grid.rows[0].cells[1].paragraphs[0].runs[0].italic  # statistical symbols in italics
    assert grid.rows[1].cells[1].text == format_number(tab["estimate"][0])
    assert len(grid.rows) == len(tab) + 1
    note = next(t for t in texts if t.startswith("Note."))
    assert "b = unstandardised estimate" in note and "SE = standard error" in note


def test_methods_docx_and_markdown_keep_the_stages(tmp_path):
    import docx

    from hormonestats.report.docx_export import methods_docx

    _, lg = example_log()
    subj = pd.DataFrame({"subject_id": [f"s{i}" for i in range(1, 8)], "arm": ["OT"] * 4 + ["PL"] * 3})
    text = methods_text(subjects=subj, group="arm", log=lg)
    assert text.startswith("Participants. The sample comprised 7 participants: 4 in the OT arm")
    md = methods_text(subjects=subj, group="arm", log=lg, fmt="markdown")
    assert md.startswith("**Participants.** ") and "\n\n**Derived variables.** " in md
    out = methods_docx(text, tmp_path / "m.docx")
    paras = docx.Document(str(out)).paragraphs
    assert paras[0].text == "Method"
    assert paras[1].runs[0].text == "Participants. " and paras[1].runs[0].bold
    assert paras[2].text.startswith("Derived variables. In total, 5 rows were excluded")


# ----------------------------------------------------------------------------- logs
def example_log() -> tuple[pd.DataFrame, pd.DataFrame]:
    samples = pd.DataFrame(
        {
            "subject_id": ["s1", "s1", "s2", "s3", "s3", "s4", "s5", "s6", "s6", "s7"],
            "cv": [25.0, 2.0, 30.0, 3.0, 18.0, 4.0, 1.0, 2.0, 3.0, 5.0],
            "value": [1.0, 2.0, 3.0, -1.0, 2.0, 3.0, 4.0, -2.0, 1.0, 9.0],
        }
    )
    lg = combine_logs(
        [
            log_rows("replicates", "samples", samples, samples["cv"] > 15, "excluded", "CV above 15%"),
            log_rows("plausibility", "samples", samples, samples["value"] < 0, "excluded",
                     "negative concentration"),
            log_rows("winsorize", "samples", samples, samples["value"] > 5, "altered",
                     "winsorised at 3 SD"),
        ]
    )  # fmt: skip
    return samples, lg


def test_exclusion_summary_counts():
    _, lg = example_log()
    s = exclusion_summary(lg)
    assert s[["step", "action", "n_rows", "n_subjects"]].values.tolist() == [
        ["replicates", "excluded", 3, 3],
        ["plausibility", "excluded", 2, 2],
        ["winsorize", "altered", 1, 1],
    ]
    assert exclusion_summary(empty_log()).empty


def test_exclusion_accounting_adds_up():
    samples, lg = example_log()
    acc = exclusion_accounting(len(samples), lg, n_analysed=5)
    assert acc["stage"].tolist() == ["input", "excluded", "excluded", "analysed"]
    assert acc["n"].tolist() == [10, 3, 2, 5]
    assert acc["n"].iloc[0] == acc["n"].iloc[1:].sum()
    with pytest.raises(DataError, match="not logged"):
        exclusion_accounting(len(samples), lg, n_analysed=6)
    with pytest.raises(DataError, match="only 4"):
        exclusion_accounting(4, lg)


def test_exclusion_accounting_counts_a_row_once_and_needs_table_when_ambiguous():
    samples, lg = example_log()
    twice = combine_logs([lg, log_rows("again", "samples", samples, samples["cv"] > 20,
                                       "excluded", "CV above 20%")])  # fmt: skip
    acc = exclusion_accounting(10, twice)
    assert acc["n"].tolist() == [10, 3, 2, 5]  # rows already excluded are not counted again
    subj = pd.DataFrame({"subject_id": ["s1", "s2"], "cycle_length": [40, 28]})
    both = combine_logs([lg, log_rows("cycle", "subjects", subj, subj["cycle_length"] > 35,
                                      "excluded", "cycle longer than 35 days")])  # fmt: skip
    with pytest.raises(DataError, match="table="):
        exclusion_accounting(10, both)
    assert exclusion_accounting(2, both, table="subjects")["n"].tolist() == [2, 1, 1]


# ----------------------------------------------------------------------------- methods text
def test_methods_text_reports_real_log_counts():
    _, lg = example_log()
    text = methods_text(log=lg)
    assert "In total, 5 rows were excluded" in text
    assert (
        "3 rows of the samples table (3 participants) in replicate checks (CV above 15%)" in text
    )
    assert (
        "2 rows of the samples table (2 participants) in plausibility checks (negative "
        "concentration)" in text
    )
    assert "Altered values (the originals are kept): 1 row of the samples table" in text
    assert text.startswith("Derived variables. ")
    # change the log, the text follows
    text2 = methods_text(log=lg.iloc[1:])
    assert "2 rows of the samples table (2 participants) in replicate checks" in text2


def test_methods_text_only_what_is_given():
    assert methods_text() == ""
    lod = pd.DataFrame({"analyte": ["cortisol", "testosterone"], "matrix": ["saliva", "saliva"],
                        "n": [120, 118], "n_below_lod": [3, 0], "pct_below_lod": [2.5, 0.0]})  # fmt: skip
    text = methods_text(lod_table=lod)
    assert "occurred for cortisol (3 of 120 readings, 2.5%)" in text
    assert "for none of the testosterone readings" in text
    assert "CV" not in text and "Hardy" not in text


def test_methods_text_samples_cv_reliability_models_versions():
    samples = pd.DataFrame(
        {
            "subject_id": ["a", "a", "b", "b", "c", "c"],
            "analyte": ["cortisol", "testosterone"] * 3,
            "matrix": "saliva",
            "method": ["immunoassay", "LC-MS/MS"] * 3,
            "plate_id": ["P1", "P1", "P2", "P2", "P2", "P3"],
            "value": np.arange(6.0),
        }
    )
    cv = pd.DataFrame({"plate_id": ["P1", "P2", "P1", "P2"], "analyte": ["cortisol"] * 2 + ["testosterone"] * 2,
                       "intra_cv": [4.0, 6.0, 3.0, 3.5]})  # fmt: skip
    rel = pd.DataFrame(
        {"instrument": ["IRI", "RMET"], "alpha": [0.78, 0.52], "omega": [0.81, np.nan]}
    )
    model = {"family": "moderation", "y": "trust", "x": "oxytocin", "m": "rs53576", "n_obs": 120}
    versions = hs.report.manifest()
    text = methods_text(samples_summary=samples, cv_table=cv, cv="intra_cv", reliability=rel,
                        models=[model, "Mixed models had random intercepts."], versions=versions)  # fmt: skip
    assert "6 samples from 3 participants" in text
    # per analyte: its own plates (no wells per sample: the table does not say)
    assert "cortisol in saliva by immunoassay (3 samples, on 2 plates)" in text
    assert "testosterone in saliva by LC-MS/MS (3 samples, on 3 plates)" in text
    assert "5.0% for cortisol (range 4.0–6.0% across 2 plates)" in text
    assert "3.2% for testosterone" in text  # mean 3.25 -> 3.2 (round half even) or 3.3
    assert "IRI (α = .78, ω = .81)" in text and "RMET (α = .52)" in text
    assert "Mixed models had random intercepts." in text
    assert f"hormonestats {hs.__version__}" in text
    assert f"pandas {pd.__version__}" in text


def test_methods_text_with_real_genotype_qc():
    geno = pd.DataFrame(
        {
            "subject_id": [f"s{i}" for i in range(12)],
            "snp": "rs53576",
            "genotype": ["AA", "AG", "AG", "GG", "GG", "GG", "AG", "AG", "GG", "GG", "AA", "GG"],
        }
    )
    qc = hs.genotype_qc(geno)
    text = methods_text(genotype_qc=qc)
    row = qc.iloc[0]
    assert "Wigginton et al., 2005" in text
    assert f"HWE {format_p(row['hwe_p'], with_p=True)}" in text
    assert f"MAF = {format_number(row['maf'], 3).lstrip('0')}" in text
    assert "call rate 100.0%" in text
    assert "No genotype distribution deviated" in text


# ----------------------------------------------------------------------------- write_report
def report_inputs():
    tab = coef_table()
    samples, lg = example_log()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    return tab, lg, fig


def test_write_report_layout_tables_and_html(tmp_path):
    tab, lg, fig = report_inputs()
    result = types.SimpleNamespace(table=tab)
    methods = methods_text(log=lg)
    out = write_report(tmp_path / "results", title="Study 1", tables={"coefs": result},
                       figures={"fig1": fig.axes[0]}, methods=methods, log=lg, n_input=10,
                       manifest=hs.report.manifest(parameters={"max_cv": 15}, seed=7))  # fmt: skip
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == sorted(
        ["COMPLETE", "manifest.json", "report.html", "methods.md", "methods.docx",
         "exclusion_log.csv", "exclusions.csv", "exclusion_accounting.csv", "tables/coefs.csv",
         "tables/coefs.md", "tables/coefs.tex", "tables/tables.docx", "figures/fig1.png",
         "figures/fig1.svg"]
    )  # fmt: skip
    back = pd.read_csv(out / "tables" / "coefs.csv")
    pd.testing.assert_frame_equal(back, tab, check_exact=True)
    assert (out / "figures" / "fig1.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "Study 1" in page and "data:image/png;base64," in page
    assert "3 rows of the samples table" in page  # methods text
    assert '<td class="num">5</td>' in page  # analysed rows in the accounting table
    man = json.loads((out / "manifest.json").read_text())
    assert man["seed"] == 7 and man["parameters"] == {"max_cv": 15}
    acc = pd.read_csv(out / "exclusion_accounting.csv")
    assert acc["n"].tolist() == [10, 3, 2, 5]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_write_report_rerun_gives_identical_tables(tmp_path):
    tab, lg, fig = report_inputs()
    kwargs = dict(title="T", tables={"coefs": tab, "log_summary": exclusion_summary(lg)},
                  figures={"fig": fig}, log=lg)  # fmt: skip
    first = write_report(tmp_path / "a", **kwargs)
    second = write_report(tmp_path / "b", **kwargs)
    for name in ["tables/coefs.csv", "tables/log_summary.csv", "tables/coefs.md",
                 "exclusion_log.csv", "figures/fig.svg"]:  # fmt: skip
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    # and re-running into the same folder replaces it
    again = write_report(tmp_path / "a", **kwargs)
    assert (again / "tables/coefs.csv").read_bytes() == (second / "tables/coefs.csv").read_bytes()


def test_write_report_failure_leaves_no_folder(tmp_path):
    tab, lg, _ = report_inputs()
    with pytest.raises(DataError, match="Figure or Axes"):
        write_report(tmp_path / "r", title="T", tables={"coefs": tab}, figures={"f": "nope"})
    with pytest.raises(DataError, match="file name"):
        write_report(tmp_path / "r", title="T", tables={"../evil": tab})
    with pytest.raises(DataError, match="table="):  # fails inside: ambiguous accounting
        subj = pd.DataFrame({"subject_id": ["s1"], "x": [1]})
        two = combine_logs([lg, log_rows("s", "subjects", subj, [True], "excluded", "r")])
        write_report(tmp_path / "r", title="T", tables={"coefs": tab}, log=two, n_input=10)
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- real results
def test_methods_text_and_tables_on_real_results():
    rng = np.random.default_rng(4)
    d = pd.DataFrame({"oxytocin": rng.normal(size=90), "estradiol": rng.normal(size=90)})
    d["trust"] = 0.3 * d.oxytocin * d.estradiol + rng.normal(size=90)
    d["empathy"] = 0.5 * d.oxytocin + rng.normal(size=90)
    mod = hs.moderation(d, y="trust", x="oxytocin", m="estradiol")
    med = hs.mediation(d, x="oxytocin", mediator="empathy", y="trust", n_boot=200, seed=3)
    f = rng.normal(size=60)
    wide = pd.DataFrame({f"q{i}": f + rng.normal(size=60) for i in range(1, 5)})
    rel = hs.reliability(wide, items={"empathy scale": list(wide.columns)})
    text = methods_text(models=[mod, med], reliability=rel)
    assert (
        "In a moderation model, trust was regressed on oxytocin, estradiol (mean-centred) and "
        "their interaction (oxytocin × estradiol)" in text
    )
    assert "(n = 90)" in text
    assert "through empathy" in text and "200 resamples" in text
    row = rel.table.iloc[0]
    assert f"α = {format_number(row['alpha']).lstrip('0')}" in text
    assert f"ω = {format_number(row['omega_total']).lstrip('0')}" in text
    # the real coefficient table renders and parses back
    header, rows = parse_markdown(apa_table(mod))
    est = mod.table["estimate"].to_numpy()
    b = [float(r[header.index("b")]) for r in rows]
    np.testing.assert_allclose(b, est, atol=0.005 + 1e-12)
    header, rows = parse_markdown(apa_table(med))
    assert [r[header.index("Term")] for r in rows] == med.table["term"].tolist()


def test_methods_text_on_real_assay_summaries():
    samples = pd.DataFrame(
        {
            "subject_id": ["a", "a", "b", "b", "c", "c", "d", "d"],
            "sample_id": ["a1", "a1", "b1", "b1", "c1", "c1", "d1", "d1"],
            "analyte": "cortisol",
            "matrix": "saliva",
            "plate_id": ["P1"] * 4 + ["P2"] * 4,
            "value": ["10.0", "12.0", "<0.1", "<0.1", "4.0", "4.4", "8.0", "8.0"],
            "lod": 0.1,
        }
    )
    lod = hs.lod_summary(samples)
    numeric = samples.assign(value=pd.to_numeric(samples["value"], errors="coerce"))
    cv = hs.intra_assay_cv(numeric)
    text = methods_text(lod_table=lod, cv_table=cv)
    r = lod.iloc[0]
    assert (
        f"cortisol ({r['n_below_lod']} of {r['n']} readings, {r['pct_below_lod']:.1f}%)" in text
    )
    assert f"{cv['intra_cv'].mean():.1f}% for cortisol (range {cv['intra_cv'].min():.1f}–" in text


def test_methods_text_inter_assay_cv_from_real_controls():
    ctrl = pd.DataFrame(
        {
            "analyte": "cortisol",
            "sample_type": "control",
            "subject_id": ["CTRL_low"] * 4 + ["CTRL_high"] * 4,
            "plate_id": ["P1", "P1", "P2", "P2"] * 2,
            "value": [4.0, 4.2, 4.6, 4.4, 20.0, 21.0, 19.0, 19.5],
        }
    )
    inter = hs.inter_assay_cv(ctrl)
    text = methods_text(inter_cv_table=inter)
    v = inter["inter_cv"]
    assert text == (
        f"Sampling and assays. Inter-assay CVs (of control samples across plates) were {v.mean():.1f}% for cortisol "
        f"(range {v.min():.1f}–{v.max():.1f}% across 2 controls)."
    )
    with pytest.raises(DataError, match="cv="):
        methods_text(cv_table=inter.drop(columns="inter_cv"))


def test_write_report_accounting_per_table(tmp_path):
    samples, lg = example_log()
    subj = pd.DataFrame({"subject_id": ["s1", "s2", "s3"], "cycle_length": [40, 28, 50]})
    both = combine_logs([lg, log_rows("cycle", "subjects", subj, subj["cycle_length"] > 35,
                                      "excluded", "cycle longer than 35 days")])  # fmt: skip
    out = write_report(tmp_path / "r", title="T", log=both,
                       n_input={"samples": len(samples), "subjects": len(subj)})  # fmt: skip
    acc_s = pd.read_csv(out / "exclusion_accounting_samples.csv")
    acc_p = pd.read_csv(out / "exclusion_accounting_subjects.csv")
    assert acc_s["n"].tolist() == [10, 3, 2, 5]
    assert acc_p["n"].tolist() == [3, 2, 1]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "cycle longer than 35 days" in page
    assert "Rows of each input table from input to analysis" in page


def test_methods_text_states_the_lod_policy():
    lod = pd.DataFrame({"analyte": ["oxytocin"], "matrix": ["saliva"], "n": [40],
                        "n_below_lod": [4], "pct_below_lod": [10.0]})
    text = hs.report.methods_text(lod_table=lod, lod_policy="lod/sqrt2")
    assert "replaced by LOD/√2 (Hornung & Reed, 1990)" in text and "4 of 40 readings" in text
    assert "value_lod" not in text
    with pytest.raises(hs.DataError, match="lod_policy"):
        hs.report.methods_text(lod_table=lod, lod_policy="half")


# ----------------------------------------------------------------------------- the demo's text
@pytest.fixture(scope="module")
def processed_example():
    return hs.process_study(hs.read_dataset("example_study"))


def test_methods_text_of_the_example_study_reads_as_a_paper(processed_example):
    p = processed_example
    study = hs.read_dataset("example_study")
    samples = p.samples.samples
    mod = hs.moderation(p.table, y="rmet_total", x="oxytocin_arm", m="log_estradiol",
                        covariates=["sex"])  # fmt: skip
    text = methods_text(
        subjects=study["subjects"], group="arm", samples_summary=samples,
        lod_table=p.samples.lod_summary, lod_policy=p.samples.settings["lod_policy"],
        cv_table=p.samples.intra_cv, max_cv=p.samples.settings["max_cv"], log=p.log,
        transform=p.samples.settings["transform"], models={"estradiol_oxytocin": mod},
        labels={"rmet_total": "RMET total score", "oxytocin_arm": "oxytocin arm"},
    )  # fmt: skip
    stages = [para.split(". ", 1)[0] for para in text.split("\n\n")]
    assert stages == ["Participants", "Sampling and assays", "Derived variables", "Models"]
    n = len(study["subjects"])
    assert f"The sample comprised {n} participants" in text
    # plate controls are not participants: every count of participants is of real subjects
    counts = [int(c) for c in re.findall(r"(\d+) participants?\b", text)]
    assert max(counts) == n and "(2 participants)" not in text
    n_ctrl = int((study["samples"]["sample_type"] == "control").sum())
    assert f"The {n_ctrl} plate-control wells (2 control samples)" in text
    # replicate CVs summarised: median, range, number above the limit
    multi = samples.loc[samples["n_replicates"] > 1, "cv"]
    flagged = int(samples["cv_flag"].sum())
    assert (f"median of {multi.median():.1f}% (range {multi.min():.1f}–{multi.max():.1f}%)"
            in text)  # fmt: skip
    assert (f"In {flagged} samples ({100 * flagged / len(multi):.1f}%) the CV exceeded the 15% "
            "limit; they were flagged and kept.") in text  # fmt: skip
    assert text.count("replicate CV") == 0  # no per-sample clauses
    # the LOD policy in words, no internal names
    assert "were replaced by LOD/√2 (Hornung & Reed, 1990)" in text
    for internal in ("value_lod", "apply_lod", "aggregate_replicates", "lod/sqrt2", "sqrt(2)"):
        assert internal not in text, internal
    # the model names its covariates, by label
    assert ("RMET total score was regressed on oxytocin arm, log estradiol (mean-centred) and "
            "their interaction (oxytocin arm × log estradiol), adjusted for sex (n = 197)") in text
    assert "natural-log transformed" in text
    assert len(max(text.split("\n\n"), key=len).split()) < 400  # paragraphs, not one block


def test_multiplicity_and_verdicts_follow_the_family_table():
    from hormonestats.report.verdicts import plain_verdicts

    fam = pd.DataFrame({
        "hypothesis": ["H1", "H2", "H3", "H4"], "estimate": [0.5, -0.4, 0.1, np.nan],
        "conf_low": [0.2, -0.6, -0.1, np.nan], "conf_high": [0.8, -0.2, 0.3, np.nan],
        "p_value": [0.001, 0.002, 0.4, np.nan], "p_fdr": [0.003, 0.003, 0.4, np.nan],
        "predicted_sign": [1, 1, 0, -1], "status": ["tested"] * 3 + ["not tested"],
        "reason": ["", "", "", "roles not mapped: allopregnanolone"]})  # fmt: skip
    v = plain_verdicts(fam, claims={"H1": "More is better."})
    assert v["outcome"].tolist() == ["supported", "contradicted", "not supported", "not tested"]
    assert v.loc[0, "claim"] == "More is better." and "FDR-adjusted p = .003" in v.loc[0, "verdict"]
    assert "the hypothesis predicted positive" in v.loc[1, "verdict"]
    assert v.loc[3, "verdict"] == "Not tested: roles not mapped: allopregnanolone."
    text = methods_text(hypotheses=fam)
    assert text.startswith("Multiplicity. The 3 registered hypotheses were tested as one family")
    assert "Benjamini–Hochberg" in text and "q = .05" in text
    assert "Not tested: “H4” (roles not mapped: allopregnanolone)." in text


def test_report_page_order_captions_notes_and_downloads(tmp_path):
    tab, lg, fig = report_inputs()
    subj = pd.DataFrame({"subject_id": ["s1", "s2"], "arm": ["OT", "PL"], "age": [20.0, 30.0]})
    big = pd.DataFrame({"subject_id": [f"s{i}" for i in range(200)], "y": np.arange(200.0)})
    qcfig = plt.figure()
    qcfig.add_subplot().bar([0, 1], [3, 4])
    out = write_report(
        tmp_path / "r", title="T", summary="A two-arm trial.",
        tables={"analysis_table": big, "coefs": tab, "table1": table1(subj, group="arm"),
                "lod_summary": pd.DataFrame({"analyte": ["cortisol"], "pct_below_lod": [1.0]})},
        figures={"forest": fig, "qc_cv": qcfig}, methods=methods_text(log=lg), log=lg,
        captions={"table1": "Sample characteristics by arm"})  # fmt: skip
    page = (out / "report.html").read_text(encoding="utf-8")
    order = ['class="study"', "Table 1.</b> <i>Sample characteristics by arm", "<h2>Figures",
             "Figure 1.</b> <i>Estimates of the hypothesis family",
             "<h2>Assay, genotype", "Figure 2.</b> <i>Intra-assay coefficient",
             "<h2>Methods", "<b>Derived variables.</b>", "<h2>Appendix: tables", "Coefs"]
    where = [page.index(s) for s in order]
    assert where == sorted(where), list(zip(order, where))
    # every shown table sits in a scrolling box and has its note explaining columns
    assert page.count('<div class="table-wrap">') == page.count('<table class="apa-table">')
    assert "b = unstandardised estimate; SE = standard error" in page
    # the 200-row table is a download (the CSV itself, embedded), not inline
    assert "s199" not in page.split("data:text/csv")[0]
    uri = re.search(r'href="data:text/csv;base64,([^"]+)"', page)[1]
    back = pd.read_csv(io.BytesIO(base64.b64decode(uri)))
    pd.testing.assert_frame_equal(back, big)
    # one self-contained file: every image is a data URI, nothing is fetched
    assert re.findall(r'<img[^>]+src="(?!data:image/png;base64,)', page) == []
    assert "<link" not in page and "<script" not in page
    assert "@media print" in page

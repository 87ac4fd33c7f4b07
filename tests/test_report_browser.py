"""The demo's report.html opened in a real headless browser (Debian's chromium via Playwright).

At a 1280 px wide window: no element is wider than the viewport (wide tables scroll inside
their own box), every image has loaded (naturalWidth > 0), the page logs no console error, the
sections come in the reader's order, and a full-page screenshot is kept as a test artefact in
``results/test-artefacts/`` (ignored by git). ``.ci/run`` installs chromium when it is missing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTEFACTS = ROOT / "results" / "test-artefacts"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip

OVERFLOW = """() => {
  const vw = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')]
    .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > vw + 0.5; })
    .filter(e => !e.closest('.table-wrap'))   // inside a scrolling box is allowed
    .map(e => e.tagName + (e.className ? '.' + e.className : ''));
  const boxes = [...document.querySelectorAll('.table-wrap')]
    .filter(b => b.getBoundingClientRect().right > vw + 0.5).length;
  return {vw, scroll: document.documentElement.scrollWidth, wide, boxes};
}"""


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    import matplotlib

    matplotlib.use("Agg")
    import hormonestats as hs
    from hormonestats.workflows.pipeline import run_analysis

    root = tmp_path_factory.mktemp("browser")
    study = hs.read_dataset("example_study")
    # planned without the sex covariate the run adds: one deviation for the report to show
    plan = hs.preregister(study.contract, n=200, n_boot=200, out=root / "prereg")
    out = root / "demo"
    run_analysis(study, out=out, n_boot=200, covariates=("sex",), prereg=plan,
                 title="hormonestats demo: example study")  # fmt: skip
    return out / "report.html"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists() or shutil.which("chromium"), (
        "Debian's chromium is needed (apt-get install chromium; .ci/run does it)"
    )
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


def test_report_in_a_real_browser_at_1280px(report, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    layout = page.evaluate(OVERFLOW)
    assert layout["wide"] == [] and layout["boxes"] == 0, layout
    assert layout["scroll"] <= layout["vw"]
    widths = page.evaluate("() => [...document.images].map(i => [i.complete, i.naturalWidth])")
    assert len(widths) >= 4 and all(done and w > 0 for done, w in widths), widths
    shown = page.evaluate("() => [...document.images].map(i => i.getBoundingClientRect().width)")
    assert all(0 < w <= 1280 for w in shown)
    assert not errors, errors
    headings = page.evaluate("() => [...document.querySelectorAll('h2')].map(h => h.textContent)")
    order = ["Hypotheses", "Figures", "Assay, genotype and measurement quality", "Methods",
             "Appendix: tables"]  # fmt: skip
    assert [h for h in headings if h in order] == order
    captions = page.evaluate(
        "() => [...document.querySelectorAll('p.caption, figcaption')].map(c => c.textContent)"
    )
    assert captions[0] == "Table 1. Sample characteristics by arm"
    assert any(c.startswith("Figure 1. ") for c in captions)
    # the analysis table is a download, not inline; the link carries the CSV itself
    link = page.locator("a.download", has_text="analysis table")
    assert link.count() == 1 and link.get_attribute("href").startswith("data:text/csv;base64,")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTEFACTS / "report_1280.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page.close()


def test_report_prints(report, browser, tmp_path):
    page = browser.new_page()
    page.goto(report.as_uri())
    page.emulate_media(media="print")
    overflow = page.evaluate("() => getComputedStyle(document.querySelector('.table-wrap')).overflowX")
    assert overflow == "visible"
    pdf = tmp_path / "report.pdf"
    page.pdf(path=str(pdf), format="A4")
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 50_000
    page.close()


@pytest.fixture(scope="module")
def single_well_report(tmp_path_factory):
    """The example study as a lab without plate records and with one well per sample."""
    import matplotlib

    matplotlib.use("Agg")
    import hormonestats as hs
    from hormonestats.workflows.pipeline import run_analysis

    study = hs.read_dataset("example_study")
    samples = study["samples"]
    single = samples[samples["replicate"] == 1].drop(columns=["plate_id", "replicate"])
    single = single[single["sample_type"] != "control"]
    study = hs.Study(contract=study.contract, tables={**study.tables, "samples": single},
                     sources=study.sources)
    out = tmp_path_factory.mktemp("browser_single") / "single"
    run_analysis(study, out=out, n_boot=200, hypotheses=["estradiol_oxytocin"],
                 title="hormonestats: single wells, no plates")
    return out / "report.html"


def test_single_well_report_without_plates_in_a_real_browser(single_well_report, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(single_well_report.as_uri())
    page.wait_for_load_state("load")
    layout = page.evaluate(OVERFLOW)
    assert layout["wide"] == [] and layout["boxes"] == 0, layout
    assert layout["scroll"] <= layout["vw"]
    widths = page.evaluate("() => [...document.images].map(i => [i.complete, i.naturalWidth])")
    assert widths and all(done and w > 0 for done, w in widths), widths
    assert not errors, errors
    headings = page.evaluate("() => [...document.querySelectorAll('h2')].map(h => h.textContent)")
    order = ["Hypotheses", "Figures", "Assay, genotype and measurement quality", "Methods"]
    assert [h for h in headings if h in order] == order
    body = " ".join(page.inner_text("body").split())
    methods = body[body.index("Sampling and assays."):]
    assert "each in a single well, no plate recorded" in methods
    assert "duplicate" not in methods and "were averaged" not in methods
    assert "assayed on" not in methods and "nan" not in body.split()
    assert "Intra-assay coefficients of variation" not in body  # no wells to compare
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "report_single_wells_1280.png"), full_page=True)
    page.close()


#: bundled study -> words its report must carry (its design's figure caption and methods)
DESIGN_WORDS = {
    "crossover_study": ("each period of the crossover", "carry-over was checked"),
    "couples_study": ("Actor and partner effects", "actor-partner interdependence model"),
    "tsst_study": ("Cortisol over the sample times", "area under the cortisol curve"),
    "cycle_study": ("Within-person association", "deviation from the participant's own mean"),
}


@pytest.fixture(scope="module", params=sorted(DESIGN_WORDS))
def design_report(request, tmp_path_factory):
    """``hormonestats run full_study CONTRACT DATA_DIR --out ...`` on a bundled study, no --map."""
    import matplotlib

    matplotlib.use("Agg")
    from hormonestats.cli import main
    from hormonestats.datasets import dataset_path

    name = request.param
    out = tmp_path_factory.mktemp("design") / name
    code = main(["run", "full_study", str(ROOT / "schemas" / f"{name}.yaml"),
                 str(dataset_path(name)), "--out", str(out), "--n-boot", "100"])
    assert code == 0, name
    return name, out / "report.html"


def test_each_design_report_reads_right(design_report, browser):
    name, report = design_report
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    layout = page.evaluate(OVERFLOW)
    assert layout["wide"] == [] and layout["boxes"] == 0, (name, layout)
    widths = page.evaluate("() => [...document.images].map(i => [i.complete, i.naturalWidth])")
    assert len(widths) >= 3 and all(done and w > 0 for done, w in widths), (name, widths)
    assert not errors, (name, errors)
    headings = page.evaluate("() => [...document.querySelectorAll('h2')].map(h => h.textContent)")
    order = ["Hypotheses", "Figures", "Methods"]
    assert [h for h in headings if h in order] == order, (name, headings)
    text = " ".join(page.inner_text("body").split())
    caption, method = DESIGN_WORDS[name]
    assert caption in text and method in text, name
    import re

    tested = re.search(r"(\d+) of \d+ registered hypotheses could be tested", text)
    assert tested and int(tested.group(1)) >= 1, name
    page.close()


def test_full_study_tests_the_item_level_rmet_hypothesis(report):
    """The example study's full run tests the item-level RMET model too (no --map), adjusts it
    in its secondary FDR family, and its methods text and report say so."""
    import pandas as pd

    folder = report.parent
    hyp = pd.read_csv(folder / "tables" / "hypotheses.csv").set_index("hypothesis")
    row = hyp.loc["estradiol_oxytocin_items"]
    assert row["status"] == "tested" and row["covariates"] == "sex"
    assert "secondary family 'item_level'" in row["reason"] and row["p_fdr"] == row["p_value"]
    model = pd.read_csv(folder / "tables" / "model_estradiol_oxytocin_items.csv")
    assert "sex[male]" in set(model["term"]) and "odds_ratio" in model.columns
    methods = " ".join((folder / "methods.md").read_text(encoding="utf-8").split())
    assert "For hypothesis “estradiol_oxytocin_items”, accuracy on each RMET item" in methods
    assert "and their interaction, adjusted for sex, as fixed effects" in methods
    assert "The 5 registered hypotheses were tested as one family" in methods
    assert "(“estradiol_oxytocin_items”) was adjusted in its own secondary family" in methods
    page = " ".join(report.read_text(encoding="utf-8").split())
    assert "Predicted probability of a correct RMET item by log estradiol" in page


def test_the_deviations_from_the_plan_are_shown_in_the_browser(report, browser):
    """The pre-registration section as a reader sees it: its heading after the hypotheses,
    and the one deviation (a covariate the plan did not name) in a table with its size."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    headings = page.evaluate("() => [...document.querySelectorAll('h2')].map(h => h.textContent)")
    assert "Pre-registration and deviations" in headings
    assert headings.index("Pre-registration and deviations") > headings.index("Hypotheses")
    rows = page.evaluate("""() => {
      const h = [...document.querySelectorAll('h2')]
        .find(e => e.textContent === 'Pre-registration and deviations');
      let e = h.nextElementSibling; const out = [];
      while (e && e.tagName !== 'H2') {
        e.querySelectorAll('tbody tr').forEach(r => out.push(r.innerText));
        e = e.nextElementSibling;
      }
      return out;
    }""")
    assert len(rows) == 1 and "covariate added" in rows[0] and "sex" in rows[0], rows
    assert page.locator("text=Pre-registration and deviations").is_visible()
    page.close()

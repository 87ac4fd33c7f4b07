"""Pre-registration: the plan from the contract alone, its hash, strict loading, the documents
as a reader sees them, and the deviations table (each seeded deviation once, nothing else)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from html.parser import HTMLParser

import pandas as pd
import pytest

import hormonestats as hs
from hormonestats.cli import main
from hormonestats.report.prereg_document import SECTION_TITLES, plan_markdown
from hormonestats.workflows.deviations import deviations, exclude_by_hand, run_record
from hormonestats.workflows.prereg import PlanError, freeze, load_plan, preregister
from hormonestats.workflows.roles import merge_mapping

CONTRACT = "schemas/example_study.yaml"
DATA = "hormonestats/datasets/example_study"
CREATED = "2026-03-02T10:00:00+00:00"
PLANNED = ["estradiol_oxytocin", "testosterone_aromatization", "progesterone_anxiety",
           "cortisol_oxytocin", "oxtr_genotype", "estradiol_oxytocin_items"]


@pytest.fixture(scope="module")
def study():
    return hs.read_study(CONTRACT, DATA)


@pytest.fixture(scope="module")
def columns(study):
    return list(hs.process_study(study).table.columns)


@pytest.fixture(scope="module")
def plan():
    """The plan written from the contract alone (no data), n = 200."""
    return preregister(CONTRACT, n=200, created=CREATED)


def test_plan_from_the_contract_alone_is_the_plan_the_data_give(plan, study):
    assert plan.hypotheses() == PLANNED
    assert plan.content["data_seen"] is False
    with_data = preregister(study, n=200, created=CREATED).content
    assert with_data["data_seen"] is True
    assert {k: v for k, v in with_data.items() if k not in ("data_seen", "hash")} == {
        k: v for k, v in plan.content.items() if k not in ("data_seen", "hash")}
    assert plan.content["roles"]["outcome"] == "rmet_total"
    assert plan.content["exclusion_rules"]["instruments"]["iri"] == {"max_missing": 1}
    assert plan.content["inference"] == {"alpha": 0.05, "fdr_method": "fdr_bh",
                                         "conf_level": 0.95, "n_boot": 5000, "impute": 0}


def test_hash_identifies_the_content_and_an_edit_is_detected(plan, tmp_path):
    again = preregister(CONTRACT, n=200, created=CREATED)
    assert again.stored_hash == plan.stored_hash and plan.matches
    assert preregister(CONTRACT, n=199, created=CREATED).stored_hash != plan.stored_hash
    path = tmp_path / "plan.json"
    # key order and layout do not matter: the hash is over the canonical JSON
    path.write_text(json.dumps(dict(reversed(list(plan.content.items()))), indent=4))
    assert load_plan(path).matches
    edited = dict(plan.content, covariates=["age"])
    path.write_text(json.dumps(edited))
    loaded = load_plan(path)
    assert not loaded.matches
    assert "no longer matches its hash" in loaded.integrity()
    assert plan.short_hash in loaded.integrity()


def test_strict_loading_refuses_unknown_keys_and_unregistered_hypotheses(plan, tmp_path):
    content = json.loads(json.dumps(plan.content))
    content["inference"]["alpah"] = content["inference"].pop("alpha")
    content["hypotheses"][0]["name"] = "estradiol_oxytocn"
    content["covarites"] = []
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(content))
    with pytest.raises(PlanError) as err:
        load_plan(path)
    text = str(err.value)
    assert "inference.alpah: unknown key; did you mean 'alpha'?" in text
    assert "inference.alpha: missing" in text
    assert ("hypotheses[0].name: 'estradiol_oxytocn' is not a registered hypothesis; did you "
            "mean 'estradiol_oxytocin'?") in text
    assert "covarites: unknown key; did you mean 'covariates'?" in text
    path.write_text("{not json")
    with pytest.raises(PlanError, match="not valid JSON"):
        load_plan(path)
    with pytest.raises(PlanError, match="needs a planned sample size"):
        preregister(CONTRACT, created=CREATED)
    with pytest.raises(PlanError, match="'progesterone_anxeity' is not registered; did you mean"):
        preregister(CONTRACT, n=100, hypotheses=["progesterone_anxeity"])
    with pytest.raises(PlanError, match="cannot apply to this study"):
        preregister(CONTRACT, n=100, hypotheses=["oxytocin_crossover"])


def test_sample_size_from_a_power_analysis(tmp_path):
    plan = preregister(CONTRACT, hypotheses=["progesterone_anxiety"], power_for=
                       "progesterone_anxiety", n_sims=100, seed=3, created=CREATED)
    expected = hs.sample_size_for("progesterone_anxiety", n_sims=100, seed=3)
    size = plan.content["sample_size"]
    assert size["basis"] == "power analysis"
    assert size["n"] == int(expected["n"].iloc[0])
    assert size["power"]["power"] == pytest.approx(float(expected["power"].iloc[0]))
    text = plan_markdown(plan.content)
    assert f"n = {size['n']} participants" in text
    assert "simulation power analysis" in text and "reaches 0.80" in text


class _Sections(HTMLParser):
    """The text under each h2 of a rendered page."""

    def __init__(self):
        super().__init__()
        self.sections, self._h2, self._current = {}, False, None

    def handle_starttag(self, tag, attrs):
        self._h2 = tag == "h2"

    def handle_endtag(self, tag):
        self._h2 = False if tag == "h2" else self._h2

    def handle_data(self, data):
        if self._h2:
            self._current = data.strip()
            self.sections[self._current] = ""
        elif self._current is not None:
            self.sections[self._current] += data.strip()


def test_markdown_rendered_has_every_section_filled(plan):
    import markdown

    parser = _Sections()
    parser.feed(markdown.markdown(plan_markdown(plan.content)))
    assert list(parser.sections) == list(SECTION_TITLES)
    for title, text in parser.sections.items():
        assert len(text) > 20, title
    assert "Predicted direction of the interaction term: positive" in parser.sections[
        "Hypotheses"]
    assert "LOD/sqrt(2)" in parser.sections["Exclusion criteria and limits of detection"]
    assert "fdr_bh" in parser.sections["Inference criteria and multiplicity"]
    assert plan.stored_hash in parser.sections["Plan identity"]


def test_docx_read_back_has_every_heading_followed_by_content(plan, tmp_path):
    import docx

    written = preregister(CONTRACT, n=200, created=CREATED, out=tmp_path / "prereg")
    assert written.stored_hash == plan.stored_hash
    assert load_plan(tmp_path / "prereg" / "plan.json").matches
    paragraphs = docx.Document(str(tmp_path / "prereg" / "preregistration.docx")).paragraphs
    headings = [(i, p.text) for i, p in enumerate(paragraphs) if p.style.name == "Heading 1"]
    assert [t for _, t in headings] == list(SECTION_TITLES)
    ends = [i for i, _ in headings[1:]] + [len(paragraphs)]
    for (start, title), end in zip(headings, ends):
        body = [p.text for p in paragraphs[start + 1:end] if p.text.strip()]
        assert body, title
        assert not any(p.style.name.startswith("Heading") for p in paragraphs[start + 1:end])


# ------------------------------------------------------------------- the deviations table
def _record(study, columns, *, hypotheses=PLANNED, mapping=None, **kwargs):
    return run_record(study, hypotheses=hypotheses, mapping=merge_mapping(mapping, columns),
                      **kwargs)


def _smaller(study, n):
    keep = set(study["subjects"]["subject_id"].astype(str)[:n])
    return replace(study, tables={
        t: f[f["subject_id"].astype(str).isin(keep)] if "subject_id" in f.columns else f
        for t, f in study.tables.items()})


def _family_changed(plan):
    content = json.loads(json.dumps(plan.content))
    content["hypotheses"][2]["family"] = "mixed"
    return freeze(content)


#: each seeded deviation: (what changes in the run or the plan, kind, concerns, size)
SEEDED = {
    "covariate added": (dict(covariates=["age"]), "age", "age added to every model"),
    "role remapped": (dict(mapping={"outcome": "iri_ec"}), "outcome",
                      "outcome = iri_ec, planned rmet_total"),
    "LOD policy changed": (dict(processing={"lod_policy": "lod/2"}), "lod_policy",
                           "below-LOD readings lod/2, planned lod/sqrt2"),
    "exclusion rule tightened": (dict(processing={"exclude_imprecise": True}),
                                 "exclude_imprecise", "exclude_imprecise True, planned False"),
    "hypothesis dropped": (dict(hypotheses=[h for h in PLANNED if h != "oxtr_genotype"]),
                           "oxtr_genotype",
                           "oxtr_genotype was planned and not run"),
    "sample size short of plan": (dict(n=171), "participants", "n = 171, planned 200"),
    "model family changed": (dict(plan=_family_changed), "progesterone_anxiety",
                             "progesterone_anxiety: regression model, planned mixed"),
    "alpha changed": (dict(alpha=0.01), "alpha", "alpha 0.01, planned 0.05"),
    "FDR method changed": (dict(fdr_method="holm"), "fdr_method",
                           "correction holm, planned fdr_bh"),
    "subject excluded by hand": (dict(by_hand={"S017": "withdrew consent"}), "S017",
                                 "1 of 200 participants (withdrew consent)"),
}


def _seeded(plan, study, columns, kinds):
    """The plan and the run record with the deviations ``kinds`` seeded."""
    changes: dict = {}
    for kind in kinds:
        for key, value in SEEDED[kind][0].items():
            changes[key] = {**changes[key], **value} if key == "processing" and \
                key in changes else value
    if "plan" in changes:
        plan = changes.pop("plan")(plan)
    if "n" in changes:
        study = _smaller(study, changes.pop("n"))
    return plan, _record(study, columns, **changes)


def test_a_run_that_follows_the_plan_has_no_deviations(plan, study, columns):
    table = deviations(plan, _record(study, columns))
    assert table.empty and list(table.columns) == ["deviation", "concerns", "planned",
                                                   "actual", "size", "reason"]


@pytest.mark.parametrize("kind", list(SEEDED))
def test_each_seeded_deviation_appears_once_with_its_size(kind, plan, study, columns):
    seeded_plan, record = _seeded(plan, study, columns, [kind])
    table = deviations(seeded_plan, record)
    assert table[["deviation", "concerns", "size", "reason"]].values.tolist() == [
        [kind, SEEDED[kind][1], SEEDED[kind][2], ""]]


def test_all_ten_seeded_deviations_appear_once_each_and_nothing_else(plan, study, columns):
    seeded_plan, record = _seeded(plan, study, columns, list(SEEDED))
    table = deviations(seeded_plan, record)
    assert sorted(table["deviation"]) == sorted(SEEDED)
    for kind, (_, concerns, size) in SEEDED.items():
        row = table[table["deviation"] == kind].iloc[0]
        # the participant excluded by hand is one of the 171 recruited
        size = size.replace("1 of 200", "1 of 171")
        assert (row["concerns"], row["size"]) == (concerns, size)
    assert (table["reason"] == "").all()


def test_contract_exclusion_rule_tightened(plan, study, columns):
    from hormonestats.study.contracts import load_contract

    raw = dict(study.contract.to_dict())
    raw["instruments"] = {**raw["instruments"], "iri": {"max_missing": 0}}
    stricter = replace(study, contract=load_contract(raw))
    table = deviations(plan, _record(stricter, columns))
    assert table[["deviation", "concerns", "size"]].values.tolist() == [
        ["exclusion rule tightened", "iri.max_missing", "iri max_missing 0, planned 1"]]


def test_exclude_by_hand_logs_every_row_and_leaves_the_study_alone(study):
    before = {t: len(f) for t, f in study.tables.items()}
    fewer, log = exclude_by_hand(study, {"S017": "withdrew consent"})
    assert {t: len(f) for t, f in study.tables.items()} == before
    for name, frame in study.tables.items():
        if "subject_id" in frame.columns:
            gone = int((frame["subject_id"].astype(str) == "S017").sum())
            assert len(fewer[name]) == before[name] - gone
            assert int((log["table"] == name).sum()) == gone
    assert set(log["reason"]) == {"excluded by hand: withdrew consent"}
    with pytest.raises(hs.HormoneStatsError, match="'S17' is not in table subjects.*closest"):
        exclude_by_hand(study, ["S17"])


def test_report_page_says_no_deviations_and_shows_them(plan, tmp_path):
    from hormonestats.report import write_report
    from hormonestats.workflows.deviations import deviations_caption

    empty = pd.DataFrame(columns=["deviation", "concerns", "planned", "actual", "size",
                                  "reason"])
    folder = write_report(tmp_path / "r", title="t", tables={"deviations": empty},
                          captions={"deviations": deviations_caption(plan, empty)})
    html = (folder / "report.html").read_text()
    assert "Pre-registration and deviations" in html
    assert f"plan {plan.short_hash} (2026-03-02): no deviations" in html
    assert pd.read_csv(folder / "tables" / "deviations.csv").empty


# ------------------------------------------------------------------- the command line
def _cli(capsys, *args):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return code, out.out + out.err


def test_cli_prereg_writes_the_plan_and_run_refuses_a_bad_plan(tmp_path, capsys):
    code, text = _cli(capsys, "prereg", CONTRACT, "--n", 200, "--hypotheses",
                      "progesterone_anxiety,estradiol_oxytocin", "--out", tmp_path / "prereg")
    assert code == 0, text
    assert "Pre-registered 2 hypotheses" in text
    folder = tmp_path / "prereg"
    assert sorted(p.name for p in folder.iterdir()) == [
        "COMPLETE", "plan.json", "preregistration.docx", "preregistration.md"]
    plan = load_plan(folder / "plan.json")
    assert plan.hypotheses() == ["progesterone_anxiety", "estradiol_oxytocin"]
    bad = json.loads((folder / "plan.json").read_text())
    bad["sample_size"]["nn"] = bad["sample_size"].pop("n")
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    code, text = _cli(capsys, "run", "full_study", CONTRACT, DATA, "--out", tmp_path / "res",
                      "--prereg", tmp_path / "bad.json")
    assert code == 2
    assert "sample_size.nn: unknown key; did you mean 'n'?" in text
    assert not (tmp_path / "res").exists()
    code, text = _cli(capsys, "prereg", CONTRACT, "--out", tmp_path / "p2")
    assert code == 2 and "needs a planned sample size" in text
    code, text = _cli(capsys, "prereg", CONTRACT, DATA, "--n", 200, "--out", f"{DATA}/prereg")
    assert code == 2 and "holds the study's data" in text


def test_an_edited_plan_is_said_in_the_methods_console_and_report(plan, capsys):
    from hormonestats.cli.prereg_commands import print_deviations
    from hormonestats.workflows.deviations import deviations_caption, deviations_paragraph
    from hormonestats.workflows.prereg import Plan, plan_hash

    content = dict(plan.content, covariates=["age"])
    edited = Plan(content=content, path="prereg/plan.json", computed_hash=plan_hash(content))
    empty = pd.DataFrame(columns=["deviation", "concerns", "planned", "actual", "size",
                                  "reason"])
    assert "no longer matches its hash" in deviations_paragraph(edited, empty)
    assert "WARNING" in deviations_caption(edited, empty)
    print_deviations({"deviations": empty, "prereg": edited})
    out = capsys.readouterr()
    assert "no longer matches its hash" in out.err and "No deviations" in out.out
    text = deviations_paragraph(plan, empty)
    assert text == (f"The analysis was pre-registered (plan {plan.short_hash}, frozen "
                    "2026-03-02; SHA-256 of its canonical JSON). The analysis followed the "
                    "plan: no deviations.")


def test_the_docs_page_is_in_the_site_navigation():
    """The strict site build (test_docs_site) then renders it."""
    text = open("mkdocs.yml", encoding="utf-8").read()
    assert "- Pre-registration: preregistration.md" in text.split("nav:")[1]


# ------------------------------------------------------------------- whole runs (slow)
@pytest.mark.slow
def test_run_with_the_plan_from_the_contract_says_no_deviations(tmp_path, capsys):
    code, text = _cli(capsys, "prereg", CONTRACT, "--n", 200, "--n-boot", 200,
                      "--out", tmp_path / "prereg")
    assert code == 0, text
    plan = load_plan(tmp_path / "prereg" / "plan.json")
    code, text = _cli(capsys, "run", "full_study", CONTRACT, DATA, "--out", tmp_path / "res",
                      "--n-boot", 200, "--prereg", tmp_path / "prereg" / "plan.json")
    assert code == 0, text
    assert f"No deviations from the pre-registered plan {plan.short_hash}" in text
    res = tmp_path / "res"
    assert pd.read_csv(res / "tables" / "deviations.csv").empty
    assert f"plan {plan.short_hash} ({plan.date}): no deviations" in (
        res / "report.html").read_text()
    methods = (res / "methods.md").read_text()
    assert f"pre-registered (plan {plan.short_hash}, frozen {plan.date}" in methods
    assert "no deviations" in methods
    manifest = json.loads((res / "manifest.json").read_text())
    assert manifest["parameters"]["prereg"]["hash"] == plan.stored_hash


@pytest.mark.slow
def test_ten_seeded_deviations_through_the_run(plan, study, tmp_path):
    from hormonestats.workflows.pipeline import run_analysis

    planned = _family_changed(freeze(dict(plan.content, inference=dict(
        plan.content["inference"], n_boot=200))))
    results = run_analysis(
        _smaller(study, 171), out=tmp_path / "res", n_boot=200, prereg=planned,
        hypotheses=[h for h in PLANNED if h != "oxtr_genotype"], covariates=["age"],
        mapping={"outcome": "iri_ec"},
        options={"lod_policy": "lod/2", "exclude_imprecise": True}, alpha=0.01,
        fdr_method="holm", exclude_subjects={"S017": "withdrew consent"})
    table = results.deviations
    assert sorted(table["deviation"]) == sorted(SEEDED)
    for kind, (_, concerns, size) in SEEDED.items():
        row = table[table["deviation"] == kind].iloc[0]
        assert (row["concerns"], row["size"]) == (concerns, size.replace("1 of 200",
                                                                         "1 of 171"))
    written = pd.read_csv(tmp_path / "res" / "tables" / "deviations.csv", dtype=str,
                          keep_default_na=False)
    assert written.values.tolist() == table.values.tolist()
    assert "deviated from the plan in 10 ways" in results.methods
    # the methods text and the verdicts say what was run, not what was planned
    assert "Holm's step-down procedure for the family-wise error rate (Holm, 1979), " \
           "α = .01" in results.methods
    log = pd.read_csv(tmp_path / "res" / "exclusion_log.csv")
    assert set(log.loc[log["step"] == "excluded by hand", "subject_id"]) == {"S017"}


def test_plan_values_of_the_wrong_kind_are_refused(plan, tmp_path):
    content = json.loads(json.dumps(plan.content))
    content["inference"]["alpha"] = 5
    content["inference"]["n_boot"] = 2.5
    content["hypotheses"][1]["family"] = "anova"
    content["hypotheses"][1]["predicted_sign"] = 2
    content["roles"] = ["outcome"]
    content["processing"]["lod_policy"] = "half"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(content))
    with pytest.raises(PlanError) as err:
        load_plan(path)
    text = str(err.value)
    for part in ("inference.alpha: expected a number between 0 and 1, got 5",
                 "inference.n_boot: expected a whole number >= 1, got 2.5",
                 "hypotheses[1].family: 'anova' is not a model family",
                 "hypotheses[1].predicted_sign: expected -1, 0 or 1, got 2",
                 "roles: expected a mapping role -> column name",
                 "processing: processing option lod_policy 'half' is unknown"):
        assert part in text
    assert "has 6 problems" in text


def test_a_frozen_plan_is_not_replaced_by_accident(tmp_path):
    first = preregister(CONTRACT, n=200, created=CREATED, out=tmp_path / "prereg")
    # the same plan again is harmless; another one is refused unless asked for
    preregister(CONTRACT, n=200, created=CREATED, out=tmp_path / "prereg")
    with pytest.raises(PlanError, match=re.escape(f"already holds plan {first.short_hash} "
                                                  f"frozen {CREATED}; a pre-registration is "
                                                  "not replaced")):
        preregister(CONTRACT, n=150, created=CREATED, out=tmp_path / "prereg")
    assert load_plan(tmp_path / "prereg" / "plan.json").stored_hash == first.stored_hash
    second = preregister(CONTRACT, n=150, created=CREATED, out=tmp_path / "prereg",
                         replace=True)
    assert load_plan(tmp_path / "prereg" / "plan.json").stored_hash == second.stored_hash


def test_a_planned_hypothesis_the_run_could_not_apply_is_not_tested_with_its_reason(
        plan, study, columns):
    ran = pd.DataFrame({"hypothesis": PLANNED + ["oxytocin_crossover"],
                        "family": ["moderation", "mediation", "regression", "moderation",
                                   "gxe", "item_glmm", "crossover"],
                        "status": ["tested"] * 4 + ["not applicable", "tested",
                                                    "not applicable"],
                        "reason": [""] * 4 + ["rs53576: no column 'rs53576_add_A'", "",
                                              "a crossover model needs a crossover design"]})
    table = deviations(plan, _record(study, columns, hypotheses=ran))
    assert table[["deviation", "concerns", "size"]].values.tolist() == [
        ["hypothesis not tested", "oxtr_genotype",
         "oxtr_genotype: rs53576: no column 'rs53576_add_A'"]]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["crossover_study", "couples_study", "cycle_study",
                                  "lab_study"])
def test_every_bundled_design_gets_the_same_plan_from_its_contract_as_from_its_data(name):
    study = hs.read_dataset(name)
    alone = preregister(study.contract, n=100, created=CREATED).content
    with_data = preregister(study, n=100, created=CREATED).content
    assert alone["hypotheses"] == with_data["hypotheses"] and alone["hypotheses"]
    assert alone["roles"] == with_data["roles"]


@pytest.mark.slow
def test_a_stress_study_needs_its_cortisol_features_named_without_data():
    with pytest.raises(PlanError, match="features such as cortisol_auc_i need the data"):
        preregister("schemas/tsst_study.yaml", n=60)
    alone = preregister("schemas/tsst_study.yaml", n=60, created=CREATED,
                        hypotheses=["oxytocin_cortisol_reactivity"],
                        mapping={"cortisol_reactivity": "cortisol_auc_i"}).content
    with_data = preregister(hs.read_dataset("tsst_study"), n=60, created=CREATED,
                            hypotheses=["oxytocin_cortisol_reactivity"]).content
    assert alone["roles"] == with_data["roles"] == {"cortisol_reactivity": "cortisol_auc_i",
                                                    "oxytocin": "oxytocin_arm"}


def test_imputation_and_an_added_hypothesis_are_deviations(plan, study, columns):
    ran = pd.DataFrame({"hypothesis": PLANNED + ["progesterone_allopregnanolone_anxiety"],
                        "family": ["moderation", "mediation", "regression", "moderation", "gxe",
                                   "item_glmm", "mediation"],
                        "status": ["tested"] * 6 + ["failed"], "reason": [""] * 6 + ["x"]})
    table = deviations(plan, _record(study, columns, hypotheses=ran, impute=20))
    assert table[["deviation", "size"]].values.tolist() == [
        ["hypothesis added", "progesterone_allopregnanolone_anxiety was run and not planned"],
        ["missing-data handling changed",
         "multiple imputation (m = 20), planned complete cases"]]
    planned_imputation = preregister(CONTRACT, n=200, impute=20, created=CREATED)
    assert "multiply imputed 20 times" in plan_markdown(planned_imputation.content)
    assert deviations(planned_imputation, _record(study, columns, impute=20)).empty


def test_without_python_docx_the_plan_is_written_without_the_word_file(tmp_path, capsys,
                                                                        monkeypatch):
    from hormonestats.report import folder

    monkeypatch.setattr(folder, "_has_docx", lambda: False)
    code, text = _cli(capsys, "prereg", CONTRACT, "--n", 200, "--out", tmp_path / "p")
    assert code == 0, text
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == [
        "COMPLETE", "plan.json", "preregistration.md"]
    assert "preregistration.docx not written: python-docx is not installed" in text


def test_the_methods_text_names_the_correction_the_run_used():
    from hormonestats.report.methods_sentences import multiplicity

    family = pd.DataFrame({"hypothesis": ["a", "b"], "status": ["tested", "tested"],
                           "p_fdr": [0.01, 0.2], "predicted_sign": [1, -1]})
    assert "Benjamini–Hochberg false discovery rate procedure (Benjamini & Hochberg, 1995), " \
           "q = .05" in multiplicity(family)
    holm = multiplicity(family, 0.01, "holm")
    assert "Holm's step-down procedure for the family-wise error rate (Holm, 1979), α = .01" \
        in holm and "Benjamini" not in holm


@pytest.mark.slow
def test_a_couples_study_counts_couples_as_the_power_analysis_does():
    study = hs.read_dataset("couples_study")
    couples = int(study["subjects"]["dyad_id"].nunique())
    people = int(study["subjects"]["subject_id"].nunique())
    assert people == 2 * couples
    plan = preregister(study.contract, n=couples, created=CREATED)
    assert f"n = {couples} couples (dyads)" in plan_markdown(plan.content)
    columns = list(hs.process_study(study).table.columns)
    record = _record(study, columns, hypotheses=plan.hypotheses(),
                     by_hand={str(study["subjects"]["subject_id"].iloc[0]): ""})
    table = deviations(plan, record)
    assert table[["deviation", "size"]].values.tolist() == [
        ["subject excluded by hand", f"1 of {people} participants"]]

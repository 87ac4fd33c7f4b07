"""A researcher's own study from the command line: roles, covariates, power, CLI mistakes.

The couples study maps its roles by default (IRI empathic concern as the outcome, measured
oxytocin); ``--map`` overrides a default. The BioPsyKit cortisol study (a stress test without
oxytocin) stands in for a study nothing registered applies to.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from hormonestats.cli import main
from hormonestats.datasets import dataset_path

COUPLES = dataset_path("couples_study")
BIOPSYKIT = dataset_path("biopsykit_cortisol")
EXAMPLE = dataset_path("example_study")


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys, monkeypatch):
    """Run the command in this process (fast); the output as a wide terminal shows it."""
    from hormonestats import cli as cli_module

    monkeypatch.setattr(cli_module.console, "width", 200)
    monkeypatch.setattr(cli_module.err_console, "width", 200)

    def run(*args):
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        assert "Traceback" not in out.out + out.err, out.err
        return Ran(code, out.out, out.err)

    return run


def _subprocess(*args, cwd=None):
    proc = subprocess.run([sys.executable, "-m", "hormonestats", *map(str, args)],
                          capture_output=True, text=True, check=False, cwd=cwd,
                          env={**os.environ, "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"})
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return proc


def _run_couples(cli, out, *extra):
    return cli("run", "full_study", "--contract", COUPLES / "contract.yaml", "--data", COUPLES,
                "--out", out, "--n-boot", "200", *extra)


def test_run_with_nothing_testable_exits_3_and_says_why(tmp_path):
    # as a user runs it: a subprocess
    import hormonestats as hs

    n_hyp = len(hs.hypotheses)
    proc = _subprocess("run", "full_study", "--contract", BIOPSYKIT / "contract.yaml", "--data",
                       BIOPSYKIT, "--out", tmp_path / "r", "--n-boot", "200")
    assert proc.returncode == 3
    assert f"0 of {n_hyp} hypotheses tested" in proc.stdout
    assert "nothing could be tested" in proc.stderr
    assert "Not applicable to this study" in proc.stdout
    # the study has no oxytocin at all: nothing is offered to stand in for it
    assert "--map oxytocin=" not in proc.stdout
    # the folder is written all the same, with the reasons apart from the results
    na = pd.read_csv(tmp_path / "r" / "tables" / "not_applicable.csv")
    assert len(na) == n_hyp and set(na["status"]) == {"not applicable"}
    n_mixed = sum(h.family == "mixed" for h in hs.hypotheses.values())
    assert na["reason"].str.contains("needs repeated measures").sum() == n_mixed
    assert na["reason"].str.contains("nothing in the study could stand for it").any()


def test_run_with_mapped_roles_and_covariates(cli, tmp_path):
    out = tmp_path / "r"
    import hormonestats as hs

    proc = _run_couples(cli, out, "--map", "outcome=iri_pt", "--covariate", "age")
    assert proc.returncode == 0, proc.stderr
    assert f"2 of {len(hs.hypotheses)} hypotheses tested; adjusted for age" in proc.stdout
    hyp = pd.read_csv(out / "tables" / "hypotheses.csv")
    assert set(hyp["hypothesis"]) == {"oxytocin_actor", "oxytocin_partner"}
    assert (hyp["status"] == "tested").all()
    assert (hyp["covariates"] == "age").all()
    na = pd.read_csv(out / "tables" / "not_applicable.csv")
    assert not set(na["hypothesis"]) & set(hyp["hypothesis"])
    params = json.loads((out / "manifest.json").read_text())["parameters"]
    assert params["covariates"] == ["age"]
    assert params["mapping_given"] == {"outcome": "iri_pt"}
    assert params["mapping"]["outcome"] == "iri_pt"  # --map overrides the default (iri_ec)
    assert params["mapping"]["oxytocin"] == "log_oxytocin"  # the default
    assert params["not_applicable"] == na["hypothesis"].tolist()
    # the covariate is in the model table (role-specific slopes of distinguishable dyads)
    model = pd.read_csv(out / "tables" / "model_oxytocin_actor.csv")
    assert model["term"].str.startswith("age[").sum() == 2


def test_run_misspelt_columns_and_roles_exit_2_with_closest_names(cli, tmp_path):
    proc = _run_couples(cli, tmp_path / "r", "--map", "outcome=iri_ecc", "--covariate", "sexx",
                        "--map", "outcom=iri_ec")
    assert proc.returncode == 2
    err = " ".join(proc.stderr.split())
    assert "3 unknown names" in err
    assert "no column 'iri_ecc'; closest: iri_ec" in err
    assert "no column 'sexx'; closest: sex" in err
    assert "no hypothesis has a role 'outcom'; closest: outcome" in err
    assert not (tmp_path / "r").exists()


def test_run_help_documents_roles_covariates_and_exit_codes(cli):
    proc = cli("run", "--help")
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    for role in ("outcome:", "oxytocin:", "estradiol:", "rs53576:", "subject:"):
        assert role in text
    assert "oxtr_genotype" in text and "--covariate" in text
    assert "3 nothing could be tested" in text


def test_hypotheses_lists_the_registry_and_maps_a_study(cli):
    proc = cli("hypotheses")
    assert proc.returncode == 0
    for name in ("estradiol_oxytocin", "oxtr_genotype", "estradiol_within_person"):
        assert name in proc.stdout
    assert "moderation" in proc.stdout and "Roles:" in proc.stdout
    import hormonestats as hs

    n_hyp = len(hs.hypotheses)
    proc = cli("hypotheses", "--contract", COUPLES / "contract.yaml", "--data", COUPLES)
    assert proc.returncode == 0, proc.stderr
    assert f"2 of {n_hyp} hypotheses apply as mapped" in proc.stdout
    assert "oxytocin=log_oxytocin" in proc.stdout and "outcome=iri_ec" in proc.stdout
    assert "--map" not in proc.stdout.split("apply as mapped")[1]  # nothing left to guess
    proc = cli("hypotheses", "--contract", COUPLES / "contract.yaml", "--data", COUPLES,
               "--map", "outcome=iri_pt")
    assert f"2 of {n_hyp} hypotheses apply as mapped" in proc.stdout
    assert "outcome=iri_pt" in proc.stdout


def test_power_takes_effect_and_alpha_and_states_the_scale(cli, tmp_path):
    proc = cli("power", "estradiol_oxytocin", "--n", "100", "--sims", "100",
                "--effect", "estradiol_x_oxytocin=0.5", "--alpha", "0.01",
                "--out", tmp_path / "p")
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(tmp_path / "p" / "tables" / "power.csv")
    # 0.5 residual SD per log unit, in RMET points (SD 3.6)
    assert table["true_value"].iloc[0] == pytest.approx(0.5 * 3.6)
    assert table["alpha"].iloc[0] == 0.01
    assert "residual-SD units of the outcome per natural-log unit" in proc.stdout
    fam = cli("power", "two_group", "--n", "64", "--sims", "300", "--effect", "d=0.5")
    assert fam.returncode == 0, fam.stderr
    assert "SD units" in fam.stdout


def test_sample_size_command_agrees_with_the_t_test(cli):
    proc = cli("sample-size", "two_group", "--power", "0.8", "--effect", "d=0.5",
                "--sims", "400", "--n-min", "40", "--n-max", "400")
    assert proc.returncode == 0, proc.stderr
    n = int(proc.stdout.split("n = ")[1].split()[0])
    assert 100 <= n <= 160  # closed form: 128 in total (64 per group)


MISTAKES = [
        (["run", "estradiol_oxytoxin", "--contract", "c.yaml", "--data", ".", "--out", "o"],
         "closest: estradiol_oxytocin"),
        (["run", "full_study", "--contract", "c.yaml", "--data", "."], "--out"),
        (["run", "full_study", "--contract", "c.yaml", "--data", ".", "--out", "o", "--map",
          "outcome"], "--map expects NAME=VALUE"),
        (["run", "full_study", "--contract", "missing.yaml", "--data", ".", "--out", "o"],
         "missing.yaml"),
        (["power", "estradiol_oxytocn", "--n", "50"], "closest: estradiol_oxytocin"),
        (["power", "estradiol_oxytocin", "--n", "50", "--effect", "bogus=1"], "bogus"),
        (["power", "estradiol_oxytocin", "--n", "50", "--effect", "oxytocin=big"],
         "not a number"),
        (["power", "estradiol_oxytocin", "--n", "50", "--alpha", "2"], "alpha"),
        (["power", "estradiol_oxytocin"], "--n"),
        (["sample-size", "two_group", "--power", "1.5"], "power"),
        (["hypotheses", "--contract", "c.yaml"], "missing DATA_DIR"),
        (["run", "full_study", "c.yaml", "--out", "o"], "missing DATA_DIR"),
        (["run", "full_study", "c.yaml", ".", "--contract", "d.yaml", "--out", "o"],
         "CONTRACT is given twice"),
        (["run", "full_study", "c.yaml", ".", "--out", "o", "--lod-policy", "half"],
         "lod_policy 'half' is unknown"),
        (["checklist", "missing.yaml", "."], "missing.yaml"),
        (["multiverse", "estradiol_oxytocin", "missing.yaml", ".", "--out", "o"],
         "missing.yaml"),
        (["validate", "missing.yaml", "."], "missing.yaml"),
        (["init", "no_such_folder"], "not found"),
        (["frobnicate"], "No such command"),
        (["run", "full_study", "--contract", "c.yaml", "--data", ".", "--out", "o", "--n-boot",
          "0"], "--n-boot"),
        (["power", "two_group", "--n", "20", "--sims", "10", "--out", "afile/x"],
         "cannot write afile/x"),
]


@pytest.mark.parametrize(("args", "message"), MISTAKES)
def test_every_cli_mistake_exits_2_with_a_message(args, message, cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("not a folder")
    proc = cli(*args)
    assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
    assert message in " ".join((proc.stdout + proc.stderr).split()), proc.stderr


def test_cli_mistakes_as_subprocesses_exit_2_without_traceback(tmp_path):
    """The same as a user meets them: one mistake of each kind, in a fresh process."""
    for args, message in (MISTAKES[0], MISTAKES[12], MISTAKES[13]):
        proc = _subprocess(*args, cwd=tmp_path)
        assert proc.returncode == 2, (args, proc.stderr)
        assert message in " ".join((proc.stdout + proc.stderr).split()), proc.stderr


def test_analyses_scripts_take_the_run_options(capsys, monkeypatch):
    import runpy
    from pathlib import Path

    scripts = sorted((Path(__file__).resolve().parent.parent / "analyses").glob("*.py"))
    assert scripts
    for script in scripts:
        monkeypatch.setattr(sys, "argv", [str(script), "--help"])
        with pytest.raises(SystemExit) as stop:
            runpy.run_path(str(script), run_name="__main__")
        assert stop.value.code == 0
        out = " ".join(capsys.readouterr().out.split())
        assert "--covariate" in out and "--map" in out and "outcome:" in out, script.name


def test_power_help_lists_hypotheses_families_and_the_effect_scale(cli):
    for command in ("power", "sample-size"):
        text = " ".join(cli(command, "--help").stdout.split())
        assert "oxtr_genotype" in text and "two_group" in text, command
        assert "residual-SD units of the outcome per natural-log unit" in text, command


ANALYSES = Path(__file__).parents[1] / "analyses"


@pytest.mark.parametrize("script", sorted(p.name for p in ANALYSES.glob("*.py")))
def test_each_analyses_script_runs_the_analysis_it_is_named_for(script, tmp_path, capsys,
                                                                  monkeypatch):
    """``python analyses/NAME.py ARGS`` is ``hormonestats run NAME ARGS``: a known analysis,
    and a bad contract path reaches the run command's own error (exit 2, no traceback)."""
    import runpy

    from hormonestats.cli.helptext import analysis_names

    path = ANALYSES / script
    assert path.stem in analysis_names()
    monkeypatch.setattr(sys, "argv", [str(path), str(tmp_path / "no_contract.yaml"),
                                      str(tmp_path), "--out", str(tmp_path / "out")])
    with pytest.raises(SystemExit) as stop:
        runpy.run_path(str(path), run_name="__main__")
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "no_contract.yaml" in err and "unknown analysis" not in err
    assert "Traceback" not in err

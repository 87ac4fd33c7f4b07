"""Console output at 80 columns and redirected to a file: wrapped, never cut."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pandas as pd

from hormonestats.datasets import dataset_path
from hormonestats.models.hypotheses import hypotheses as registry


def _cli(*args, cwd=None):
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.run([sys.executable, "-m", "hormonestats", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, check=False,
                          env={**env, "PYTHONIOENCODING": "utf-8"})
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return proc


def test_hypotheses_wraps_each_claim_as_text_within_80_columns():
    proc = _cli("hypotheses")
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert len(lines) < 40 * len(registry)  # not one word per line
    flat = " ".join(proc.stdout.split())
    for hyp in registry.values():
        assert " ".join(hyp.claim.split()) in flat


def test_run_summary_shows_every_number_whole(tmp_path):
    example = dataset_path("example_study")
    proc = _cli("run", "estradiol_oxytocin", "--contract", example / "contract.yaml",
                "--data", example, "--out", tmp_path / "r", "--n-boot", "20")
    assert proc.returncode == 0, proc.stderr
    assert "…" not in proc.stdout
    assert max(len(line) for line in proc.stdout.splitlines()) <= 80
    row = pd.read_csv(tmp_path / "r" / "tables" / "hypotheses.csv").iloc[0]
    shown = " ".join(proc.stdout.split())
    for value in (row["estimate"], row["conf_low"], row["conf_high"], row["p_value"]):
        assert re.search(rf"(?<![\d.]){re.escape(f'{value:.3g}')}(?![\d])", shown), value
    assert f"n = {int(row['n'])}" in shown

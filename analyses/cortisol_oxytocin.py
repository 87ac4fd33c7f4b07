"""Canned analysis: cortisol oxytocin.

Run as ``python analyses/cortisol_oxytocin.py schemas/example_study.yaml hormonestats/datasets/example_study
--out results/cortisol_oxytocin``, with the options of ``hormonestats run`` (the same analysis)."""

from hormonestats.cli import run_script

if __name__ == "__main__":
    run_script(__file__)

"""Canned analysis: full study.

Run as ``python analyses/full_study.py schemas/example_study.yaml hormonestats/datasets/example_study
--out results/full_study``, with the options of ``hormonestats run`` (the same analysis)."""

from hormonestats.cli import run_script

if __name__ == "__main__":
    run_script(__file__)

"""Canned analysis: progesterone anxiety.

Run as ``python analyses/progesterone_anxiety.py schemas/example_study.yaml hormonestats/datasets/example_study
--out results/progesterone_anxiety``, with the options of ``hormonestats run`` (the same analysis)."""

from hormonestats.cli import run_script

if __name__ == "__main__":
    run_script(__file__)

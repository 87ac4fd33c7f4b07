"""Canned analysis: testosterone aromatization.

Run as ``python analyses/testosterone_aromatization.py schemas/example_study.yaml hormonestats/datasets/example_study
--out results/testosterone_aromatization``, with the options of ``hormonestats run`` (the same analysis)."""

from hormonestats.cli import run_script

if __name__ == "__main__":
    run_script(__file__)

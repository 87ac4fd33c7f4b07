"""Canned analysis: oxtr genotype.

Run as ``python analyses/oxtr_genotype.py schemas/example_study.yaml hormonestats/datasets/example_study
--out results/oxtr_genotype``, with the options of ``hormonestats run`` (the same analysis)."""

from hormonestats.cli import run_script

if __name__ == "__main__":
    run_script(__file__)

"""The checks of the tables beside the samples: genotype calls against their SNP, responses
against their instrument's definition, treatment periods. Run by :func:`hormonestats.validate`
through its check list (:data:`hormonestats.study.validation.CHECKS`).
"""

from __future__ import annotations

import pandas as pd

from .findings import _Collector, _line

__all__ = ["genotype_checks", "response_checks", "treatment_checks"]


def genotype_checks(col: _Collector, frame: pd.DataFrame, contract) -> None:
    from .genotype_calls import genotype_problems

    if not {"snp", "genotype"} <= set(frame.columns):
        return
    known = frame["snp"].astype(str).isin(list(contract.snps)) if contract.snps else \
        pd.Series(True, index=frame.index)
    strand = {rsid: spec.strand for rsid, spec in contract.snps.items()}
    problems = genotype_problems(frame.loc[known], strand=strand or None)
    if len(problems):
        rows = problems["row"].tolist()
        col.add("genotypes", "genotype", frame, rows, "alleles not those of the SNP",
                problems["value"].tolist(),
                [f"{_line('genotypes', r)}: {m}" for r, m in zip(rows, problems["message"])])


def response_checks(col: _Collector, frame: pd.DataFrame, contract) -> None:
    if "instrument" not in frame.columns:
        return
    for name, spec in contract.instruments.items():
        part = frame.loc[frame["instrument"].astype(str) == name]
        if part.empty:
            continue
        instrument = contract.instrument(name)
        kwargs = {"endowment": spec.endowment} if spec.endowment is not None else {}
        problems = instrument.check_responses(part, **kwargs)
        if len(problems):
            col.add("responses", "response", frame, problems["row"].tolist(),
                    f"outside {name} definition", problems["value"].tolist(),
                    [f"{_line('responses', r)}: {m}" for r, m in
                     zip(problems["row"], problems["message"])])


def treatment_checks(col: _Collector, frame: pd.DataFrame, contract) -> None:
    if {"start", "stop"} <= set(frame.columns):
        start = pd.to_numeric(frame["start"], errors="coerce")
        stop = pd.to_numeric(frame["stop"], errors="coerce")
        col.add_where("treatments", "stop", frame, stop < start, "stop before start", stop,
                      lambda r: f"{_line('treatments', r)}: the treatment stops ({stop[r]:g}) "
                                f"before it starts ({start[r]:g})")
    if contract.design != "crossover" or not {"session", "agent"} <= set(frame.columns):
        return
    keyed = frame.dropna(subset=["subject_id", "session", "agent"])
    agents = keyed.groupby(["subject_id", "session"], sort=False)["agent"].transform("nunique")
    bad = agents > 1
    if bad.any():
        rows = list(keyed.index[bad])
        col.add("treatments", "agent", frame, rows, "two agents in one period",
                keyed.loc[bad, "agent"].tolist(),
                [f"{_line('treatments', r)}: subject {frame.at[r, 'subject_id']!r} gets more "
                 f"than one agent in period {frame.at[r, 'session']!r}; a crossover gives one "
                 "agent per subject and period" for r in rows])

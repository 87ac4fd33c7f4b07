"""Shared test fixtures: a small valid study built in memory, and the headless plot backend."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import copy
from pathlib import Path

import pandas as pd
import pytest

MINI_CONTRACT = {
    "name": "mini",
    "description": "A small valid study for tests.",
    "design": "between",
    "tables": {
        "subjects": "subjects.csv",
        "samples": "samples.csv",
        "genotypes": "genotypes.csv",
        "responses": "responses.csv",
        "treatments": "treatments.csv",
    },
    "analytes": {
        "cortisol": {"unit": "nmol/L", "matrix": "saliva"},
        "oxytocin": {"unit": "pg/mL", "matrix": "saliva", "method": "immunoassay"},
        "testosterone": {"unit": "pg/mL", "matrix": "saliva", "range": [0, 1000],
                         "enforce_range": True},
    },
    "snps": {"rs53576": {}, "rs2254298": {}},
    "instruments": {"iri": {"max_missing": 1}, "trust_game": {"endowment": 10, "multiplier": 3}},
    "agents": ["intranasal_oxytocin", "placebo"],
    "columns": {"subjects": {"arm": {"dtype": "str", "values": ["oxytocin", "placebo"]},
                             "bmi": {"dtype": "float", "min": 12, "max": 70}}},
}


def mini_tables() -> dict[str, pd.DataFrame]:
    """Four subjects with every table filled in validly."""
    ids = ["S01", "S02", "S03", "S04"]
    subjects = pd.DataFrame({
        "subject_id": ids, "sex": ["female", "male", "female", "male"],
        "age": [23, 31, 27, 45], "arm": ["oxytocin", "placebo", "oxytocin", "placebo"],
        "bmi": [21.5, 24.0, 19.8, 27.3],
    })
    rows = []
    for sid in ids:
        for k, t in enumerate([0, 30, 45], start=1):
            for rep in (1, 2):
                rows.append({"subject_id": sid, "session": "s1", "sample_number": k,
                             "sample_time": t, "analyte": "cortisol", "matrix": "saliva",
                             "value": 10.0 + k + rep * 0.1, "unit": "nmol/L", "lod": 0.5,
                             "replicate": rep, "plate_id": "P1", "sample_type": "subject"})
        rows.append({"subject_id": sid, "session": "s1", "sample_number": 1, "sample_time": 0,
                     "analyte": "oxytocin", "matrix": "saliva", "value": 15.0, "unit": "pg/mL",
                     "lod": 1.0, "replicate": 1, "plate_id": "P2", "sample_type": "subject",
                     "method": "immunoassay"})
        rows.append({"subject_id": sid, "session": "s1", "sample_number": 1, "sample_time": 0,
                     "analyte": "testosterone", "matrix": "saliva", "value": 80.0,
                     "unit": "pg/mL", "lod": 2.0, "replicate": 1, "plate_id": "P3",
                     "sample_type": "subject"})
    rows.append({"subject_id": "CTRL_low", "session": None, "sample_number": None,
                 "sample_time": None, "analyte": "cortisol", "matrix": "saliva", "value": 3.1,
                 "unit": "nmol/L", "lod": 0.5, "replicate": 1, "plate_id": "P1",
                 "sample_type": "control"})
    samples = pd.DataFrame(rows)
    samples["value"] = samples["value"].astype(object)
    genotypes = pd.DataFrame({
        "subject_id": ids * 2,
        "snp": ["rs53576"] * 4 + ["rs2254298"] * 4,
        "genotype": ["AG", "GG", "AA", "G/A", "GG", "AG", "GG", "--"],
    })
    resp = []
    for sid in ids:
        for item in range(1, 29):
            resp.append({"subject_id": sid, "session": "s1", "instrument": "iri",
                         "item": str(item), "response": (item + len(sid)) % 5})
        resp.append({"subject_id": sid, "session": "s1", "instrument": "trust_game",
                     "item": "sent", "response": 5})
    responses = pd.DataFrame(resp)
    treatments = pd.DataFrame({
        "subject_id": ids,
        "agent": ["intranasal_oxytocin", "placebo", "intranasal_oxytocin", "placebo"],
        "dose": [24, 0, 24, 0], "dose_unit": ["IU"] * 4, "route": ["intranasal"] * 4,
    })
    return {"subjects": subjects, "samples": samples, "genotypes": genotypes,
            "responses": responses, "treatments": treatments}


def write_study(folder: Path, tables: dict[str, pd.DataFrame], contract: dict | None = None):
    """Write tables as csv and the contract as YAML; return the contract path."""
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    path = folder / "contract.yaml"
    path.write_text(yaml.safe_dump(contract or MINI_CONTRACT, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def mini_contract() -> dict:
    return copy.deepcopy(MINI_CONTRACT)


@pytest.fixture
def mini() -> dict[str, pd.DataFrame]:
    return mini_tables()

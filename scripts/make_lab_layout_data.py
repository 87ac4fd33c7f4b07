"""Write the example study as a lab exports it: the bundled ``lab_study`` dataset.

Usage (from the repository root)::

    python scripts/make_lab_layout_data.py

The long tables of ``example_study`` (simulated, seed 20240501; its ``truth.json`` is the truth
of this dataset too) are written the way a lab's files look, with no information added or lost:

- ``participants.csv``: ``ParticipantID, Sex (F/M), Age, Arm, Ancestry, Contraception``;
- ``randomisation.csv``: ``ParticipantID, Condition (OT/PL), Dose, DoseUnit, Route, Start``
  (day-first ``01.03.2024 09:15``), ``Device, Interval_min``;
- ``elisa_export.csv``: the plate reader export of oxytocin, testosterone, estradiol and
  progesterone (``Plate, Well, ParticipantID, SampleID, SampleNo, Session, Type, Analyte,
  Replicate, LOD, Extracted, Kit, Conc_pg_mL``; analyte names capitalised, the unit in the
  name of the concentration column, the kit's name with a character outside ASCII);
- ``cortisol.csv``: the cortisol readings with the unit in the column name
  (``Cortisol_nmol_L``), the collection date day-first (``29.04.2024``) and one participant ID
  written with a trailing space;
- ``genotypes.csv``: one column per SNP, no-calls written ``Undetermined`` (TaqMan);
- ``iri.csv``, ``pss.csv``, ``rmet.csv``: one column per item (``IRI_01 .. IRI_28``);
- ``rmet_key.csv``: the RMET answer key, as in the example study.

``contract.yaml`` maps them onto the long tables (see the documentation's "Your own study").
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "hormonestats" / "datasets" / "example_study"
TARGET = ROOT / "hormonestats" / "datasets" / "lab_study"
_ANALYTE_LABELS = {"oxytocin": "Oxytocin", "testosterone": "Testosterone",
                   "estradiol": "Estradiol", "progesterone": "Progesterone"}


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(SOURCE / f"{name}.csv", dtype=str, keep_default_na=False)


def _wells(frame: pd.DataFrame) -> list[str]:
    """A1, A2, ... within each plate, in the order of the export."""
    out, seen = [], {}
    for plate in frame["plate_id"]:
        i = seen.get(plate, 0)
        seen[plate] = i + 1
        out.append(f"{'ABCDEFGH'[(i // 12) % 8]}{i % 12 + 1}")
    return out


def participants() -> pd.DataFrame:
    s = _read("subjects")
    return pd.DataFrame({"ParticipantID": s["subject_id"],
                         "Sex": s["sex"].map({"female": "F", "male": "M"}),
                         "Age": s["age"], "Arm": s["arm"], "Ancestry": s["ancestry"],
                         "Contraception": s["contraception"]})


def randomisation() -> pd.DataFrame:
    t = _read("treatments")
    start = pd.to_datetime(t["start"]).dt.strftime("%d.%m.%Y %H:%M")
    return pd.DataFrame({"ParticipantID": t["subject_id"],
                         "Condition": t["agent"].map({"intranasal_oxytocin": "OT",
                                                      "placebo": "PL"}),
                         "Dose": t["dose"], "DoseUnit": t["dose_unit"], "Route": t["route"],
                         "Start": start, "Device": t["device"],
                         "Interval_min": t["interval_min"]})


def elisa_export(samples: pd.DataFrame) -> pd.DataFrame:
    s = samples[samples["analyte"] != "cortisol"]
    return pd.DataFrame({"Plate": s["plate_id"], "Well": _wells(s),
                         "ParticipantID": s["subject_id"], "SampleID": s["sample_id"],
                         "SampleNo": s["sample_number"], "Session": s["session"],
                         "Type": s["sample_type"], "Analyte": s["analyte"].map(_ANALYTE_LABELS),
                         "Replicate": s["replicate"], "LOD": s["lod"],
                         "Extracted": s["extracted"],
                         "Kit": s["analyte"].map(lambda a: f"Salimetrics® {a} EIA"),
                         "Conc_pg_mL": s["value"]})


def cortisol(samples: pd.DataFrame) -> pd.DataFrame:
    s = samples[samples["analyte"] == "cortisol"].reset_index(drop=True)
    rng = np.random.default_rng(20240501)
    days = pd.Timestamp("2024-04-01") + pd.to_timedelta(rng.integers(0, 29, len(s)), unit="D")
    ids = s["subject_id"].copy()
    ids[ids == "S002"] = "S002 "  # as typed by hand in one row
    return pd.DataFrame({"ParticipantID": ids, "Session": s["session"],
                         "SampleID": s["sample_id"], "SampleNo": s["sample_number"],
                         "Plate": s["plate_id"], "Type": s["sample_type"], "LOD": s["lod"],
                         "Replicate": s["replicate"], "Date": days.strftime("%d.%m.%Y"),
                         "Cortisol_nmol_L": s["value"]})


def genotypes() -> pd.DataFrame:
    g = _read("genotypes")
    wide = g.pivot(index="subject_id", columns="snp", values="genotype")
    wide = wide.reindex(columns=list(dict.fromkeys(g["snp"]))).replace({"--": "Undetermined"})
    return wide.rename_axis(columns=None).reset_index().rename(
        columns={"subject_id": "ParticipantID"})


def items(responses: pd.DataFrame, instrument: str, prefix: str) -> pd.DataFrame:
    r = responses[responses["instrument"] == instrument]
    wide = r.pivot(index="subject_id", columns="item", values="response")
    order = sorted(wide.columns, key=int)
    wide = wide[order].rename(columns={i: f"{prefix}_{int(i):02d}" for i in order})
    return wide.rename_axis(columns=None).reset_index().rename(
        columns={"subject_id": "ParticipantID"})


def main(argv: list[str]) -> None:
    if TARGET.exists():
        shutil.rmtree(TARGET)
    TARGET.mkdir()
    samples = _read("samples")
    responses = _read("responses")
    files = {
        "participants": participants(), "randomisation": randomisation(),
        "elisa_export": elisa_export(samples), "cortisol": cortisol(samples),
        "genotypes": genotypes(), "iri": items(responses, "iri", "IRI"),
        "pss": items(responses, "pss10", "PSS"), "rmet": items(responses, "rmet", "RMET"),
    }
    for name, frame in files.items():
        frame.to_csv(TARGET / f"{name}.csv", index=False)
    for name in ("rmet_key.csv", "truth.json"):
        shutil.copy(SOURCE / name, TARGET / name)
    shutil.copy(ROOT / "schemas" / "lab_study.yaml", TARGET / "contract.yaml")
    print(f"wrote {len(files)} lab files to {TARGET.relative_to(ROOT)}/")


if __name__ == "__main__":
    main(sys.argv[1:])

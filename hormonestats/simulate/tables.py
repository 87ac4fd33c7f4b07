"""Table builders shared by the simulated designs: subject ids, score rounding, item
responses, genotype calls, treatment rows, saliva assay wells, the contract mapping, the truth
record and the final :class:`~hormonestats.study.reading.Study`.

Every function that draws takes a :class:`numpy.random.Generator`; nothing here uses global
random state. The latent quantities come from :mod:`hormonestats.simulate.latent` (between
design) or the design functions (:mod:`hormonestats.simulate.designs`).
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pandas as pd

from ..errors import HormoneStatsError
from .latent import SCALES
from .measure import ASSAYS, assay_wells, items_from_total, scale_items

__all__ = [
    "SAMPLE_COLUMNS",
    "base_contract",
    "date_text",
    "finish_samples",
    "genotypes_table",
    "iri_scores",
    "make_study",
    "no_options",
    "responses_table",
    "rmet_key",
    "saliva_wells",
    "score_round",
    "subject_ids",
    "treatments_row",
    "truth_record",
]

_DAY0 = np.datetime64("2024-01-08")

#: Columns of a simulated samples table, in order (a design keeps those it has).
SAMPLE_COLUMNS = [
    "subject_id",
    "session",
    "date",
    "sample_id",
    "sample_number",
    "sample_time",
    "clock_time",
    "wake_time",
    "analyte",
    "matrix",
    "value",
    "unit",
    "lod",
    "replicate",
    "plate_id",
    "sample_type",
    "method",
    "extracted",
]


def no_options(options: dict) -> None:
    """Raise if a design left options it does not know."""
    if options:
        raise HormoneStatsError(f"unknown option(s) {sorted(options)} for simulate_study")


def date_text(days) -> list[str]:
    """ISO dates ``days`` after the simulated studies' first day (2024-01-08)."""
    return [str(d) for d in (_DAY0 + np.asarray(days, dtype="timedelta64[D]"))]


def subject_ids(n: int, prefix: str = "S") -> list[str]:
    width = max(3, len(str(n)))
    return [f"{prefix}{i + 1:0{width}d}" for i in range(n)]


def score_round(values: np.ndarray, scale: str) -> np.ndarray:
    _, _, lo, hi = SCALES[scale]
    return np.clip(np.round(values), lo, hi).astype(int)


def rmet_key(rng) -> np.ndarray:
    return rng.integers(1, 5, size=36)


def responses_table(
    rng, ids, scores: dict, *, key=None, session=None, missing_rate: float = 0.004
) -> pd.DataFrame:
    """Item-level responses for ``scores`` (dict instrument -> integer scores per subject).

    ``rmet``: totals 0-36 (needs ``key``); ``iri``: dict of the four subscale sums; ``pss10``:
    totals 0-40. A few item responses (``missing_rate``) are left blank (skipped items).
    """
    from ..registry.instruments import get_instrument

    frames = []
    n = len(ids)
    for inst, value in scores.items():
        if inst == "rmet":
            easiness = rng.uniform(1.0, 8.0, size=36)
            resp = items_from_total(rng, np.asarray(value), key, easiness)
            items = [str(i) for i in range(1, 37)]
        else:
            definition = get_instrument(inst)
            rev_set = {str(r) for r in definition.reverse}
            k = len(definition.items)
            resp = np.zeros((n, k))
            subscales = value if isinstance(value, dict) else {"total": value}
            for sub, sub_scores in subscales.items():
                members = [str(i) for i in definition.subscales[sub]]
                cols = [definition.items.index(m) for m in members]
                weights = rng.uniform(0.6, 1.4, size=len(cols))
                reverse = np.array([m in rev_set for m in members])
                resp[:, cols] = scale_items(
                    rng, np.asarray(sub_scores), weights, int(definition.response_max), reverse
                )
            items = list(definition.items)
        resp = resp.astype(float)
        resp[rng.random(resp.shape) < missing_rate] = np.nan
        frame = pd.DataFrame(
            {
                "subject_id": np.repeat(ids, len(items)),
                "instrument": inst,
                "item": np.tile(items, n),
                "response": pd.Series(resp.reshape(-1)).astype("Int64"),
            }
        )
        if session is not None:
            frame.insert(1, "session", np.repeat(np.asarray(session), len(items)))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def iri_scores(rng, ec: np.ndarray) -> dict:
    """IRI subscale sums: empathic concern from the model, the other three from normal traits
    (PT correlated 0.4 with EC)."""
    n = len(ec)
    z_ec = (ec - SCALES["iri_ec"][0]) / SCALES["iri_ec"][1]
    pt = 18.0 + 4.5 * (0.4 * z_ec + np.sqrt(1 - 0.16) * rng.standard_normal(n))
    fs = 16.0 + 5.0 * rng.standard_normal(n)
    pd_ = 11.0 + 5.0 * rng.standard_normal(n)
    return {
        "pt": np.clip(np.round(pt), 0, 28).astype(int),
        "fs": np.clip(np.round(fs), 0, 28).astype(int),
        "ec": np.asarray(ec, dtype=int),
        "pd": np.clip(np.round(pd_), 0, 28).astype(int),
    }


def genotypes_table(rng, ids, counts: dict, *, no_call_rate: float = 0.01) -> pd.DataFrame:
    from ..registry.snps import get_snp

    frames = []
    for rsid, count in counts.items():
        a, b = get_snp(rsid).alleles
        labels = np.array([b + b, a + b, a + a])[np.asarray(count, dtype=int)].astype(object)
        labels[rng.random(len(ids)) < no_call_rate] = "--"
        frames.append(pd.DataFrame({"subject_id": ids, "snp": rsid, "genotype": labels}))
    out = pd.concat(frames, ignore_index=True)
    out["genotype"] = out["genotype"].astype("str")
    return out


def treatments_row(sid, agent: str, start: str, interval_min: float = 45.0) -> dict:
    oxy = agent == "intranasal_oxytocin"
    return {
        "subject_id": sid,
        "agent": agent,
        "dose": 24.0 if oxy else np.nan,
        "dose_unit": "IU" if oxy else None,
        "route": "intranasal",
        "start": start,
        "device": "nasal spray (standard multi-dose pump)",
        "interval_min": interval_min,
    }


def base_contract(
    name: str,
    description: str,
    design: str,
    analytes: dict,
    *,
    tables=("subjects", "samples", "genotypes", "responses", "treatments"),
    snps=("rs53576", "rs2254298"),
    instruments=None,
    agents=None,
    columns=None,
) -> dict:
    """A contract mapping for a simulated study (passed through ``load_contract``)."""
    out = {
        "name": name,
        "description": description,
        "design": design,
        "tables": {t: f"{t}.csv" for t in tables},
        "analytes": {
            a: {
                "unit": ASSAYS[a]["unit"],
                "matrix": "saliva",
                "method": "immunoassay",
                **({"extracted": True} if a == "oxytocin" else {}),
            }
            for a in analytes
        },
    }
    if "genotypes" in tables:
        out["snps"] = {s: {} for s in snps}
    if instruments:
        out["instruments"] = instruments
    if agents:
        out["agents"] = list(agents)
    if columns:
        out["columns"] = columns
    return out


def _between(rng, n: int, effects: dict, options: dict):
    pass


def saliva_wells(rng, ids, session: str, logs: dict, *, missing: float | None = None):
    """Assay wells of one saliva sample per subject and analyte (``logs``: analyte -> log true
    concentrations, one per subject). With ``missing``, that share of samples is dropped
    (too little saliva); oxytocin samples are extracted."""
    wells = []
    for analyte, values in logs.items():
        samp = pd.DataFrame(
            {
                "subject_id": ids,
                "session": session,
                "sample_id": [f"{s}-1" for s in ids],
                "sample_number": 1,
                "conc": np.exp(values),
            }
        )
        if missing is not None:
            samp = samp.loc[rng.random(len(ids)) >= missing]
        wells.append(
            assay_wells(rng, samp, analyte, extracted=True if analyte == "oxytocin" else None)
        )
    return pd.concat(wells, ignore_index=True)


def finish_samples(samples: pd.DataFrame, columns=SAMPLE_COLUMNS) -> pd.DataFrame:
    """Nullable dtypes (``sample_number`` Int64, ``extracted`` for oxytocin only) and the
    columns in :data:`SAMPLE_COLUMNS` order."""
    samples = samples.copy()
    if "sample_number" in samples.columns:
        samples["sample_number"] = samples["sample_number"].astype("Int64")
    if "extracted" in samples.columns:
        ot = samples["analyte"].eq("oxytocin")
        samples["extracted"] = ot.astype("boolean").where(ot, pd.NA)
    return samples[[c for c in columns if c in samples.columns]]


def truth_record(design: str, effects, scale: str, outcome: str, formula: str, coef: dict,
                 **extra) -> dict:
    """The ``Study.truth`` of a design with one analysis model."""
    return {
        "design": design,
        "effects": dict(effects),
        "scale": scale,
        "models": {outcome: {"formula": formula, "coef": coef}},
        **extra,
    }


def make_study(contract: dict, tables: dict, truth: dict):
    """The simulated :class:`~hormonestats.study.reading.Study` (contract checked on load)."""
    from ..study.contracts import load_contract
    from ..study.reading import Study

    return Study(
        contract=load_contract(contract),
        tables=MappingProxyType(tables),
        truth=MappingProxyType(truth),
    )

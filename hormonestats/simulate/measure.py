"""Measurement layer of the study simulator: assay wells, questionnaire items, genotypes.

The functions here turn *latent* (true) quantities into the tables a lab or a survey platform
would deliver. They are used by :mod:`hormonestats.simulate.tables` and the designs, and take a
:class:`numpy.random.Generator`; nothing here draws from global random state.

Assay realism (see :func:`assay_wells`)
    Log-normal true concentrations are measured in duplicate wells with multiplicative noise
    (intra-assay CV per analyte), a small multiplicative plate effect, two control samples
    (``CTRL_low``/``CTRL_high``, ``sample_type = "control"``) on every plate, and readings below
    the limit of detection written as text (``"<LOD"`` or ``"<0.5"``) with the LOD in ``lod``.

Item realism (see :func:`items_from_total`)
    A scale score is generated first (from the latent trait, so the score carries the effects
    *exactly*); the item responses are then drawn given the score. For keyed tasks (RMET) the
    ``total`` correct items are chosen by weighted sampling without replacement (item easiness
    as weights); for summed rating scales each item is a bundle of ``max`` response "slots"
    and the score is spread over the slots the same way. Inter-item correlation, and hence
    reliability, comes from the spread of the scores relative to this within-person
    allocation noise: with the default score SDs, Cronbach's alpha is about 0.57 for the
    RMET (low, as in published RMET samples; see Olderbak et al. 2015), about 0.69 for IRI
    empathic concern and 0.76 for the PSS-10 (measured on 3,000 simulated subjects).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "ASSAYS",
    "assay_wells",
    "hwe_genotypes",
    "items_from_total",
    "scale_items",
]

#: Per analyte: contract unit, LOD (in that unit), intra-assay CV of one well, how a reading
#: below the LOD is written, and control concentrations (low, high). The CVs and LODs are of
#: the order published for commercial salivary immunoassays (manufacturers' inserts report
#: intra-assay CVs of about 3-10 %); they are simulation settings, not a specific kit's values.
ASSAYS = {
    "oxytocin": {
        "unit": "pg/mL",
        "lod": 2.0,
        "cv": 0.10,
        "below": "<LOD",
        "controls": (8.0, 40.0),
        "code": "OT",
    },
    "cortisol": {
        "unit": "nmol/L",
        "lod": 0.19,
        "cv": 0.05,
        "below": "<0.19",
        "controls": (3.0, 25.0),
        "code": "CO",
    },
    "testosterone": {
        "unit": "pg/mL",
        "lod": 1.0,
        "cv": 0.06,
        "below": "<1",
        "controls": (20.0, 150.0),
        "code": "TE",
    },
    "estradiol": {
        "unit": "pg/mL",
        "lod": 0.1,
        "cv": 0.07,
        "below": "<0.1",
        "controls": (1.0, 8.0),
        "code": "E2",
    },
    "progesterone": {
        "unit": "pg/mL",
        "lod": 10.0,
        "cv": 0.07,
        "below": "<10",
        "controls": (30.0, 300.0),
        "code": "P4",
    },
}


def _fmt(values: np.ndarray, digits: int = 3) -> np.ndarray:
    """Round to ``digits`` significant figures (as a lab export would)."""
    values = np.asarray(values, dtype=float)
    out = np.empty_like(values)
    pos = values > 0
    mag = np.floor(np.log10(np.where(pos, values, 1.0)))
    scale = 10.0 ** (digits - 1 - mag)
    out[pos] = np.round(values[pos] * scale[pos]) / scale[pos]
    out[~pos] = values[~pos]
    return out


def assay_wells(
    rng: np.random.Generator,
    samples: pd.DataFrame,
    analyte: str,
    *,
    matrix: str = "saliva",
    per_plate: int = 40,
    plate_sd: float = 0.04,
    replicates: int = 2,
    extracted: bool | None = None,
    plate_prefix: str = "",
) -> pd.DataFrame:
    """Duplicate-well readings of one analyte for a set of samples, with plates and controls.

    Parameters
    ----------
    rng : numpy.random.Generator
    samples : DataFrame
        One row per biological sample with ``subject_id``, ``conc`` (true concentration in
        the contract unit) and any further columns to carry into the samples table
        (``session``, ``sample_id``, ``sample_number``, ``sample_time``, ``wake_time``, ...).
        Rows are assayed in the given order, ``per_plate`` samples per plate.
    analyte : str
        A key of :data:`ASSAYS`.
    plate_sd : float
        SD of the multiplicative plate effect on the log scale.
    replicates : int
        Wells per sample.

    Returns
    -------
    DataFrame
        One row per well (subject samples, then each plate's controls), ``value`` as text
        (numbers with 3 significant figures, or the below-LOD text), ``lod``, ``replicate``,
        ``plate_id``, ``sample_type``.
    """
    spec = ASSAYS[analyte]
    lod, cv = spec["lod"], spec["cv"]
    n = len(samples)
    plate_index = np.arange(n) // per_plate
    n_plates = int(plate_index.max()) + 1 if n else 0
    plate_ids = [f"{plate_prefix}{spec['code']}{k + 1:02d}" for k in range(n_plates)]
    plate_effect = np.exp(rng.normal(0.0, plate_sd, size=n_plates))
    extra = [c for c in samples.columns if c != "conc"]
    frames = []
    conc = samples["conc"].to_numpy(dtype=float)
    for rep in range(1, replicates + 1):
        noise = np.exp(rng.normal(0.0, cv, size=n) - cv**2 / 2)
        reading = conc * plate_effect[plate_index] * noise
        part = samples[extra].copy()
        part["analyte"] = analyte
        part["matrix"] = matrix
        part["reading"] = reading
        part["replicate"] = rep
        part["plate_id"] = [plate_ids[k] for k in plate_index]
        part["sample_type"] = "subject"
        part["_order"] = np.arange(n) * replicates + rep
        frames.append(part)
    wells = pd.concat(frames, ignore_index=True).sort_values("_order", kind="stable")
    controls = []
    for k, pid in enumerate(plate_ids):
        for name, level in zip(("CTRL_low", "CTRL_high"), spec["controls"]):
            for rep in range(1, replicates + 1):
                noise = np.exp(rng.normal(0.0, cv) - cv**2 / 2)
                controls.append(
                    {
                        "subject_id": name,
                        "sample_id": name,
                        "analyte": analyte,
                        "matrix": matrix,
                        "reading": level * plate_effect[k] * noise,
                        "replicate": rep,
                        "plate_id": pid,
                        "sample_type": "control",
                    }
                )
    out = pd.concat([wells.drop(columns="_order"), pd.DataFrame(controls)], ignore_index=True)
    reading = out.pop("reading").to_numpy(dtype=float)
    text = np.where(reading < lod, spec["below"], pd.Series(_fmt(reading)).astype(str))
    out["value"] = text
    out["unit"] = spec["unit"]
    out["lod"] = lod
    out["method"] = "immunoassay"
    if extracted is not None:
        out["extracted"] = extracted
    return out


def hwe_genotypes(
    rng: np.random.Generator, allele_freq: np.ndarray, alleles: tuple[str, str]
) -> tuple[np.ndarray, np.ndarray]:
    """Genotypes in Hardy-Weinberg proportions: two independent allele draws per person.

    ``allele_freq`` is the frequency of ``alleles[0]`` per person (it may differ by ancestry).
    Returns the genotype strings in registry order (``"AA"``, ``"AG"``, ``"GG"``) and the
    count of ``alleles[0]`` (0, 1, 2).
    """
    p = np.asarray(allele_freq, dtype=float)
    count = (rng.random(p.shape) < p).astype(int) + (rng.random(p.shape) < p).astype(int)
    a, b = alleles
    labels = np.array([b + b, a + b, a + a])
    return labels[count], count


def _weighted_choose(rng, weights: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Boolean (n, k): for row j, ``counts[j]`` of the k positions chosen without replacement
    with probability proportional to ``weights`` (Efraimidis & Spirakis 2006: the largest
    ``log(w) + Gumbel`` keys)."""
    n, k = len(counts), len(weights)
    keys = np.log(weights)[None, :] + rng.gumbel(size=(n, k))
    rank = np.argsort(np.argsort(-keys, axis=1), axis=1)
    return rank < np.asarray(counts)[:, None]


def items_from_total(
    rng: np.random.Generator,
    totals: np.ndarray,
    key: np.ndarray,
    easiness: np.ndarray,
    n_options: int = 4,
) -> np.ndarray:
    """Chosen options (n, items) of a keyed task whose number correct equals ``totals``.

    Correct items are chosen by weighted sampling without replacement (weights
    ``easiness``); a wrong item gets one of the other options uniformly.
    """
    correct = _weighted_choose(rng, easiness, totals)
    shift = rng.integers(1, n_options, size=correct.shape)
    wrong = (key[None, :] - 1 + shift) % n_options + 1
    return np.where(correct, key[None, :], wrong)


def scale_items(
    rng: np.random.Generator,
    scores: np.ndarray,
    weights: np.ndarray,
    item_max: int,
    reverse: np.ndarray,
) -> np.ndarray:
    """Item responses 0..item_max (n, items) whose keyed sum equals ``scores``.

    Each item is ``item_max`` slots; ``scores[j]`` slots are chosen by weighted sampling
    without replacement (slot weight = its item's weight). Reverse-keyed items (boolean mask)
    are written as ``item_max - keyed`` so that scoring them reversed gives the keyed value.
    """
    k = len(weights)
    slot_w = np.repeat(weights, item_max)
    chosen = _weighted_choose(rng, slot_w, scores)
    keyed = chosen.reshape(len(scores), k, item_max).sum(axis=2)
    return np.where(reverse[None, :], item_max - keyed, keyed)

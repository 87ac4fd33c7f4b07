"""One normaliser of the codes a lab writes: case, aliases and registry synonyms.

``Cortisol``, ``CORT`` and ``cortisol`` are one analyte; ``nmol_L``, ``nmol/l`` and ``nmol/L``
one unit; ``RS53576`` and ``rs53576`` one SNP; ``Oxytocin`` and ``intranasal_oxytocin`` one agent.
:func:`canonical_code` answers for one value and :func:`normalise_codes` rewrites the coded
columns of a table, saying what it changed. Reading (``read_study``) and drafting
(``hormonestats init``) both use it, so what ``init`` recognises, ``validate`` accepts.

>>> canonical_code("analyte", "Cortisol"), canonical_code("unit", "pg_mL")
('cortisol', 'pg/mL')
>>> canonical_code("analyte", "cortisone2") is None
True
"""

from __future__ import annotations

import re

import pandas as pd

from ..errors import ContractError

__all__ = ["CODED_COLUMNS", "canonical_code", "normalise_codes"]

#: Columns whose values are registry codes, per table.
CODED_COLUMNS = {
    "samples": ("analyte", "unit", "matrix", "method", "sample_type"),
    "genotypes": ("snp",),
    "responses": ("instrument",),
    "treatments": ("agent",),
    "subjects": ("sex", "contraception"),
}
_METHODS = {"immunoassay": "immunoassay", "elisa": "immunoassay", "eia": "immunoassay",
            "ria": "immunoassay", "lc_ms_ms": "lc_ms_ms", "lc_ms/ms": "lc_ms_ms",
            "lcms": "lc_ms_ms", "lc_msms": "lc_ms_ms"}


def _unit(text: str) -> str | None:
    from .units import _parse, normalize_unit

    spelled = normalize_unit(text.replace("_", "/", 1) if "/" not in text else text)
    if _parse(spelled) is not None:
        return spelled
    return next((k for k in ("IU/L", "mIU/L", "uIU/mL", "mIU/mL")
                 if k.lower() == spelled.lower()), None)


def canonical_code(column: str, value) -> str | None:
    """The registry's spelling of ``value`` in a coded column, or None when it knows none."""
    from .agents import get_agent
    from .analytes import MATRICES, get_analyte
    from .instruments import get_instrument
    from .snps import get_snp

    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    low = re.sub(r"[\s\-]+", "_", text.lower())
    try:
        if column == "analyte":
            return get_analyte(text).name
        if column == "snp":
            return get_snp(text).rsid
        if column == "agent":
            return get_agent(text).name
        if column == "instrument":
            return get_instrument(text).name
    except ContractError:
        return None
    if column == "unit":
        return _unit(text)
    if column == "matrix":
        return low if low in MATRICES else None
    if column == "method":
        return _METHODS.get(low)
    if column == "sample_type":
        return low if low in ("subject", "control") else None
    if column == "sex":
        return low if low in ("female", "male", "other") else None
    if column == "contraception":
        from ..errors import DataError
        from .contraception import normalize_contraception

        try:
            return normalize_contraception(text)
        except DataError:
            return None
    return None


def _item_ids(frame: pd.DataFrame, where: str) -> tuple[dict, list[str]]:
    """Item ids written with their instrument's name (``IRI_1``, ``iri-01``) as the number."""
    if not {"instrument", "item"} <= set(frame.columns):
        return {}, []
    pairs = frame[["instrument", "item"]].drop_duplicates().dropna()
    mapping = {}
    for instrument, item in pairs.itertuples(index=False):
        m = re.fullmatch(rf"{re.escape(str(instrument))}[\s_.-]?0*(\d+)", str(item).strip(),
                         re.IGNORECASE)
        if m:
            mapping[item] = m[1]
    if not mapping:
        return {}, []
    pairs_text = ", ".join(f"{k!r} -> {v!r}" for k, v in list(mapping.items())[:4])
    return {"item": frame["item"].replace(mapping)}, [
        f"responses{where}: item ids written with the instrument's name read as the item "
        f"number ({pairs_text}{', ...' if len(mapping) > 4 else ''})"]


def normalise_codes(table: str, frame: pd.DataFrame, *, where: str = "") -> tuple[
        pd.DataFrame, list[str]]:
    """``frame`` with its coded columns spelled as the registries spell them, and one note per
    column saying which values were rewritten (the input is not changed)."""
    notes: list[str] = []
    changed = {}
    for column in CODED_COLUMNS.get(table, ()):
        if column not in frame.columns:
            continue
        s = frame[column]
        if not (s.dtype == object or pd.api.types.is_string_dtype(s)):
            continue
        mapping = {}
        for value in pd.unique(s.dropna()):
            found = canonical_code(column, value)
            if found is not None and found != value:
                mapping[value] = found
        if mapping:
            changed[column] = s.replace(mapping)
            pairs = ", ".join(f"{k!r} -> {v!r}" for k, v in list(mapping.items())[:6])
            notes.append(f"{table}{where}: column {column!r} written as the registry spells it "
                         f"({pairs})")
    if table == "responses":
        items, more = _item_ids(frame.assign(**changed) if changed else frame, where)
        changed.update(items)
        notes += more
    return (frame.assign(**changed) if changed else frame), notes

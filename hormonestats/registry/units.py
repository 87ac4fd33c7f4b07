"""Unit conversion for hormone concentrations.

A unit is ``amount/denominator``: the amount is a mass (g, mg, ug, ng, pg, fg), an amount of
substance (mol, mmol, umol, nmol, pmol, fmol) or international units (IU, mIU, uIU); the
denominator is a volume (L, dL, mL) or, for hair, a mass (g, mg). Mass and molar units convert
through the analyte's molar mass in :mod:`hormonestats.registry.analytes`; international units convert
only to international units (an IU is defined by a reference preparation, not by a mass).

Spelling: micro is written ``u`` (``"ug/dL"``); ``"µg"``, ``"μg"`` and ``"mcg"`` are read as
``"ug"``, and a lower-case ``l`` in the denominator as ``L``. :func:`convert` accepts any unit of
this grammar that fits the analyte (a calculator); :func:`unit_allowed` answers the stricter
question the validation layer asks: is the unit one of the analyte's accepted units in the
registry?

Conversion factors follow from the SI prefixes and the molar masses, e.g. estradiol (272.38
g/mol): 1 pg/mL = 1e-9 g/L / 272.38 g/mol = 3.671 pmol/L.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..checks import numeric_column
from ..errors import ContractError, DataError, UnitError, format_rows
from .analytes import HAIR_UNITS, Analyte, get_analyte

__all__ = ["allowed_units", "convert", "normalize_unit", "to_canonical", "unit_allowed"]

_PREFIX = {"": 1.0, "m": 1e-3, "u": 1e-6, "n": 1e-9, "p": 1e-12, "f": 1e-15}
_VOLUME = {"L": 1.0, "dL": 1e-1, "mL": 1e-3}
_MASS_DENOMINATOR = {"g": 1.0, "mg": 1e-3}
_AMOUNT = re.compile(r"^(?P<prefix>[munpf]?)(?P<base>g|mol|IU)$")


@dataclass(frozen=True)
class _Unit:
    kind: str  # "mass", "mol", "iu"
    per: str  # "volume" or "mass"
    scale: float  # value in this unit * scale = value in g/L, mol/L, IU/L or g/g


def normalize_unit(unit: str) -> str:
    """Standard spelling of a unit: micro as ``u``, litre as ``L``, no spaces.

    >>> normalize_unit("µg / dl")
    'ug/dL'
    >>> normalize_unit("mcg/L")
    'ug/L'
    """
    text = str(unit).strip().replace(" ", "")
    text = text.replace("µ", "u").replace("μ", "u")
    text = re.sub(r"^mcg", "ug", text)
    if "/" in text:
        amount, denominator = text.split("/", 1)
        if denominator in ("l", "dl", "ml"):
            denominator = denominator[:-1] + "L"
        text = f"{amount}/{denominator}"
    return text


def _parse(unit) -> _Unit | None:
    if not isinstance(unit, str):
        return None
    text = normalize_unit(unit)
    if text.count("/") != 1:
        return None
    amount, denominator = text.split("/")
    match = _AMOUNT.match(amount)
    if match is None:
        return None
    base = match["base"]
    prefix = match["prefix"]
    if base == "IU" and prefix not in ("", "m", "u"):
        return None
    kind = {"g": "mass", "mol": "mol", "IU": "iu"}[base]
    factor = _PREFIX[prefix]
    if denominator in _VOLUME:
        return _Unit(kind, "volume", factor / _VOLUME[denominator])
    if denominator in _MASS_DENOMINATOR:
        return _Unit(kind, "mass", factor / _MASS_DENOMINATOR[denominator])
    return None


def _unit_error(a: Analyte, unit, why: str) -> UnitError:
    return UnitError(
        f"{why} for analyte {a.name!r}; allowed units for {a.name}: {', '.join(a.units)}"
    )


def _factor(a: Analyte, from_unit, to_unit) -> float:
    """Multiplier taking values in ``from_unit`` to ``to_unit`` for analyte ``a``."""
    parsed = {}
    for role, unit in (("from", from_unit), ("to", to_unit)):
        p = _parse(unit)
        if p is None:
            raise _unit_error(a, unit, f"unknown unit {unit!r} ({role}_unit)")
        is_iu_analyte = a.canonical_unit.endswith("IU/L")
        if (p.kind == "iu") != is_iu_analyte:
            what = "international units" if p.kind == "iu" else "mass or molar units"
            raise _unit_error(a, unit, f"unit {unit!r} is in {what}, impossible")
        parsed[role] = p
    src, dst = parsed["from"], parsed["to"]
    if src.per != dst.per:
        raise _unit_error(
            a,
            from_unit,
            f"cannot convert {from_unit!r} (per {src.per}) to {to_unit!r} (per {dst.per})",
        )
    if normalize_unit(from_unit) == normalize_unit(to_unit):
        return 1.0
    factor = src.scale / dst.scale
    if src.kind == dst.kind:
        return factor
    if a.molar_mass is None:
        raise _unit_error(
            a,
            from_unit,
            f"cannot convert {from_unit!r} to {to_unit!r}: no molar mass is registered",
        )
    if src.kind == "mass":  # g -> mol
        return factor / a.molar_mass
    return factor * a.molar_mass  # mol -> g


def convert(values, analyte: str, from_unit: str, to_unit: str):
    """Convert concentrations of one analyte between units.

    Parameters
    ----------
    values : float, array-like or pandas.Series
        Concentrations in ``from_unit``. NaN stays NaN.
    analyte : str
        Analyte name or alias (see :func:`hormonestats.get_analyte`).
    from_unit, to_unit : str
        Units such as ``"pg/mL"``, ``"nmol/L"``, ``"ug/dL"``, ``"IU/L"``, ``"pg/mg"``.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        A float for a scalar, an array for array-likes, a Series (same index and name) for a
        Series.

    Raises
    ------
    UnitError
        Unknown unit, or an impossible conversion (mass to IU, per volume to per mass of hair,
        mass to molar without a molar mass); the message names the analyte and its units.

    Notes
    -----
    Mass and molar units convert through the molar mass (g/mol) registered for the analyte,
    computed from the molecular formula with IUPAC 2005 atomic weights (Wieser 2006).

    Examples
    --------
    >>> round(convert(1.0, "cortisol", "ug/dL", "nmol/L"), 2)
    27.59
    >>> round(convert(1.0, "estradiol", "pg/mL", "pmol/L"), 3)
    3.671
    """
    a = get_analyte(analyte)
    factor = _factor(a, from_unit, to_unit)
    if isinstance(values, pd.Series):
        frame = values.to_frame("values")
        num = numeric_column(frame, "values", table=a.name, step="convert")
        return num.rename(values.name) * factor
    if np.isscalar(values) or values is None:
        return float(np.nan if values is None else values) * factor
    return np.asarray(values, dtype=float) * factor


def allowed_units(analyte: str, matrix: str | None = None) -> tuple[str, ...]:
    """Units the registry accepts for an analyte (optionally for one matrix).

    For hair only mass-per-mass units are allowed; for fluids only per-volume units.

    >>> allowed_units("lh")
    ('IU/L', 'mIU/mL')
    >>> allowed_units("cortisol", matrix="hair")
    ('pg/mg', 'ng/g')
    """
    a = get_analyte(analyte)
    if matrix is None:
        return a.units
    if str(matrix).strip().lower() == "hair":
        return tuple(u for u in a.units if u in HAIR_UNITS)
    return tuple(u for u in a.units if u not in HAIR_UNITS)


def unit_allowed(analyte: str, unit: str, matrix: str | None = None) -> bool:
    """Whether ``unit`` is an accepted unit of ``analyte`` (``False`` for unknown analytes).

    Spelling variants (``"µg/dL"``, ``"nmol/l"``) count as their standard spelling.

    >>> unit_allowed("cortisol", "µg/dL")
    True
    >>> unit_allowed("estradiol", "IU/L")
    False
    """
    try:
        units = allowed_units(analyte, matrix)
    except ContractError:
        return False
    if not isinstance(unit, str):
        return False
    return normalize_unit(unit) in units


def to_canonical(
    samples: pd.DataFrame,
    *,
    value: str = "value",
    unit: str = "unit",
    analyte: str = "analyte",
    matrix: str = "matrix",
) -> pd.DataFrame:
    """Convert every reading to its analyte's canonical unit (new columns, input untouched).

    Parameters
    ----------
    samples : pandas.DataFrame
        Long samples table with value, unit and analyte columns (and optionally ``matrix``:
        hair rows go to pg/mg, see :meth:`hormonestats.registry.analytes.Analyte.canonical_for`).
    value, unit, analyte, matrix : str
        Column names.

    Returns
    -------
    pandas.DataFrame
        A copy with ``value_canonical`` and ``unit_canonical`` (and ``lod_canonical`` when the
        table has an ``lod`` column, which is in the reading's unit).

    Raises
    ------
    DataError
        Missing columns, text in the value column, or a value without a unit.
    UnitError
        Units that are unknown or impossible for their analyte; all offending
        (analyte, unit) pairs and their rows are listed.

    Examples
    --------
    >>> df = pd.DataFrame({"analyte": ["cortisol", "estradiol"], "value": [1.0, 1.0],
    ...                    "unit": ["ug/dL", "pg/mL"]})
    >>> to_canonical(df)[["value_canonical", "unit_canonical"]].round(3)
       value_canonical unit_canonical
    0           27.589         nmol/L
    1            3.671         pmol/L
    """
    missing = [c for c in (value, unit, analyte) if c not in samples.columns]
    if missing:
        raise DataError(
            f"samples: missing column(s) {missing}; to_canonical needs {value!r}, {unit!r}, "
            f"{analyte!r}; present: {list(samples.columns)}"
        )
    out = samples.copy()
    vals = numeric_column(samples, value, table="samples", step="to_canonical")
    lods = (numeric_column(samples, "lod", table="samples", step="to_canonical")
            if "lod" in samples.columns else None)
    no_unit = samples[unit].isna() & vals.notna()
    if no_unit.any():
        raise DataError(
            f"samples: column {unit!r} is missing at {format_rows(samples.index[no_unit])} "
            "where a value is present"
        )
    if matrix in samples.columns:
        is_hair = samples[matrix].astype(str).str.strip().str.lower().eq("hair")
    else:
        is_hair = pd.Series(False, index=samples.index)
    factors = np.full(len(samples), np.nan)
    canon = np.full(len(samples), None, dtype=object)
    problems = []
    keys = pd.DataFrame(
        {"a": samples[analyte], "u": samples[unit], "h": is_hair}, index=samples.index
    )
    positions = np.arange(len(samples))
    for (a_name, u_name, hair), idx in keys.groupby(
        ["a", "u", "h"], dropna=False, sort=False
    ).indices.items():
        rows = samples.index[positions[idx]]
        if pd.isna(a_name):
            problems.append(f"analyte missing at {format_rows(rows)}")
            continue
        try:
            a = get_analyte(a_name)
        except ContractError as err:
            problems.append(f"{err} ({format_rows(rows)})")
            continue
        target = a.canonical_for("hair" if hair else None)
        canon[idx] = target
        if pd.isna(u_name):
            continue
        try:
            factors[idx] = _factor(a, u_name, target)
        except UnitError as err:
            problems.append(f"{err} ({format_rows(rows)})")
    if problems:
        raise UnitError(
            f"samples: cannot convert column {value!r} to canonical units: " + "; ".join(problems)
        )
    out["value_canonical"] = vals.to_numpy() * factors
    out["unit_canonical"] = pd.array(canon, dtype="str")
    if lods is not None:
        out["lod_canonical"] = lods.to_numpy() * factors
    return out

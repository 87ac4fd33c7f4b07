"""Direct identifiers in study tables, found by column name and by the values themselves.

A column is a direct identifier when its name says so (``participant_name``, ``email``,
``dob``, ``phone``, ``address``, ...) or when most of its values look like personal names
(two or three capitalised words, mostly distinct), e-mail addresses, phone numbers (at least
nine digits written with ``+``, spaces, dashes or brackets), street addresses (a house number
and a street word) or exact birth dates (full dates, mostly distinct, mostly more than ten years
before today). Up to 1,000 non-empty values of each text column are looked at.
"""

from __future__ import annotations

import datetime as _dt
import re

import pandas as pd

__all__ = ["NAME_PATTERNS", "identifier_kind"]

#: Column names that look like direct identifiers (matched on the lower-cased, snake_case name).
NAME_PATTERNS = {
    "name": r"^names?$|^(.+_)?(first|last|full|given|family|sur|fore|middle|maiden|nick|"
            r"participant|patient|person|subject|child|parent|partner|mother|father|"
            r"contact)_?names?$",
    "e-mail": r"e_?mail",
    "birth date": r"birth|^dob$|date_of_birth",
    "phone": r"phone|^tel(ephone)?$|mobile|^fax$",
    "address": r"address|street|postcode|post_code|zip_?code|^zip$",
    "national id": r"^ssn$|social_security|passport|national_id|insurance_number|nhs_number",
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_PHONE = re.compile(r"^(?=(?:\D*\d){9,15}\D*$)\+?[\d\s().\-/]+$")
_PHONE_SEPARATED = re.compile(r"^\+|\d[\s().\-/]+\d")
_PERSON = re.compile(r"^[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?(?:\s+[A-Z][a-z]*\.?)?"
                     r"\s+[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?$")
_STREET = re.compile(
    r"\b\d{1,5}[a-z]?,?\s+(?:[A-Za-z'.-]+\s+){0,4}(?:street|st|road|rd|avenue|ave|lane|ln|"
    r"drive|dr|way|court|ct|boulevard|blvd|place|pl|square|sq|terrace|close|crescent)\b\.?"
    r"|\b[A-Za-z]+(?:strasse|straße|str\.|weg|gasse|allee|platz)\s*\d{1,4}\b",
    re.IGNORECASE)
_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$|^\s*(\d{1,2})[./](\d{1,2})[./](\d{4})\s*$")


def _share(values: pd.Series, pattern: re.Pattern, *, search: bool = False) -> float:
    find = pattern.search if search else pattern.match
    return float(values.map(lambda v: bool(find(v))).mean())


def _birth_dates(values: pd.Series) -> bool:
    years = []
    for v in values:
        m = _DATE.match(v)
        if not m:
            return False
        years.append(int(m[1] or m[6]))
    this_year = _dt.date.today().year
    old = sum(this_year - 120 <= y <= this_year - 10 for y in years)
    return old / len(years) > 0.5


def identifier_kind(column, values: pd.Series) -> str | None:
    """What kind of direct identifier a column is ("name", "phone", ...), or None."""
    low = re.sub(r"[\s\-]+", "_", str(column).strip().lower())
    kind = next((k for k, pat in NAME_PATTERNS.items() if re.search(pat, low)), None)
    if kind is not None:
        return kind
    if not (values.dtype == object or pd.api.types.is_string_dtype(values)):
        return None
    sample = values.iloc[:20_000].dropna().head(1000)
    if sample.empty:
        sample = values.dropna().head(1000)
    sample = sample[sample.map(lambda v: isinstance(v, str))].astype(str).str.strip()
    sample = sample[sample != ""]
    if len(sample) < 2:
        return None
    distinct = sample.nunique() / len(sample)
    if _share(sample, _EMAIL) > 0.5:
        return "e-mail"
    if _share(sample, _PHONE) > 0.5 and _share(sample, _PHONE_SEPARATED, search=True) > 0.5:
        return "phone"
    if _share(sample, _STREET, search=True) > 0.5:
        return "address"
    if distinct >= 0.5 and sample.nunique() >= 3 and _share(sample, _PERSON) > 0.5:
        return "name"
    if distinct >= 0.5 and sample.nunique() >= 3 and _birth_dates(sample):
        return "birth date"
    return None

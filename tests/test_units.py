"""Tests of unit conversion.

References: the conversion factors printed in METHODS.md (clinical SI conversion factors) and
the factors of standard SI conversion tables for estrone, DHT and DHEA-S (e.g. the AMA Manual
of Style SI conversion table), each checked in both directions to the printed digits;
round trips exact to float precision (hypothesis).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hormonestats as hs
from hormonestats.errors import ContractError, DataError, UnitError
from hormonestats.registry.analytes import ANALYTES
from hormonestats.registry.units import (
    allowed_units,
    convert,
    normalize_unit,
    to_canonical,
    unit_allowed,
)

# (analyte, from, to, printed factor, digits printed after the decimal point)
FACTORS = [
    ("estradiol", "pg/mL", "pmol/L", 3.671, 3),  # METHODS.md
    ("testosterone", "ng/dL", "nmol/L", 0.03467, 5),  # METHODS.md
    ("cortisol", "ug/dL", "nmol/L", 27.59, 2),  # METHODS.md
    ("progesterone", "ng/mL", "nmol/L", 3.180, 3),  # METHODS.md
    ("oxytocin", "pg/mL", "pmol/L", 0.993, 3),  # METHODS.md
    ("estrone", "pg/mL", "pmol/L", 3.699, 3),  # SI conversion tables
    ("dihydrotestosterone", "ng/dL", "nmol/L", 0.03443, 5),  # SI conversion tables
    ("dhea_s", "ug/dL", "umol/L", 0.02714, 5),  # SI conversion tables
]


@pytest.mark.parametrize("analyte, src, dst, factor, digits", FACTORS)
def test_printed_factors_both_directions(analyte, src, dst, factor, digits):
    forward = convert(1.0, analyte, src, dst)
    assert round(forward, digits) == pytest.approx(factor, abs=1e-12)
    # backwards: the printed factor, converted back, gives 1 to the printed precision
    back = convert(factor, analyte, dst, src)
    assert back == pytest.approx(1.0, abs=0.5 * 10**-digits / factor + 1e-12)
    assert convert(1.0, analyte, dst, src) == pytest.approx(1.0 / forward, rel=1e-14)


def test_package_doctest_value():
    assert hs.convert(1.0, "cortisol", "ug/dL", "nmol/L") == pytest.approx(27.589, abs=5e-4)


def test_prefixes_and_equal_units():
    assert convert(1.0, "lh", "mIU/mL", "IU/L") == 1.0
    assert convert(1.0, "estradiol", "pg/mL", "ng/L") == pytest.approx(1.0, rel=1e-15)
    assert convert(4.3, "albumin", "g/dL", "g/L") == pytest.approx(43.0, rel=1e-15)
    assert convert(1.0, "cortisol", "nmol/L", "pmol/L") == pytest.approx(1000.0, rel=1e-15)
    assert convert(1.0, "cortisol", "pg/mg", "ng/g") == pytest.approx(1.0, rel=1e-15)
    assert convert(1.0, "cortisol", "fmol/mL", "pmol/L") == pytest.approx(1.0, rel=1e-15)
    # albumin through 69,000 g/mol (Vermeulen et al. 1999): 43 g/L = 623.19 umol/L
    assert convert(43.0, "albumin", "g/L", "umol/L") == pytest.approx(43e6 / 69000, rel=1e-14)


@pytest.mark.parametrize("spelling", ["µg/dL", "μg/dL", "mcg/dL", "ug/dl", " ug / dL "])
def test_micro_spellings(spelling):
    assert convert(1.0, "cortisol", spelling, "nmol/l") == pytest.approx(27.589, abs=5e-4)
    assert normalize_unit(spelling) == "ug/dL"


def test_return_types():
    assert isinstance(convert(1, "cortisol", "ug/dL", "nmol/L"), float)
    arr = convert([1.0, 2.0, np.nan], "cortisol", "ug/dL", "nmol/L")
    assert isinstance(arr, np.ndarray)
    assert np.isnan(arr[2])
    s = pd.Series([1.0, 2.0], index=["a", "b"], name="cort")
    out = convert(s, "cortisol", "ug/dL", "nmol/L")
    assert isinstance(out, pd.Series)
    assert list(out.index) == ["a", "b"] and out.name == "cort"
    assert s.to_list() == [1.0, 2.0]  # input untouched


@pytest.mark.parametrize(
    "analyte, src, dst",
    [
        ("estradiol", "pg/mL", "IU/L"),  # mass -> IU
        ("lh", "IU/L", "pg/mL"),  # IU -> mass
        ("cortisol", "furlongs", "nmol/L"),  # unknown
        ("cortisol", "pg/mg", "nmol/L"),  # per mass of hair -> per volume
        ("shbg", "nmol/L", "ug/mL"),  # no molar mass registered
        ("cortisol", "nmol/L", "nmol"),  # not a concentration
    ],
)
def test_impossible_conversions_name_analyte_and_units(analyte, src, dst):
    with pytest.raises(UnitError) as err:
        convert(1.0, analyte, src, dst)
    msg = str(err.value)
    assert analyte in msg
    for unit in ANALYTES[analyte].units:
        assert unit in msg


def test_unknown_analyte():
    with pytest.raises(ContractError):
        convert(1.0, "melatonin", "pg/mL", "pmol/L")


def test_allowed_units_and_unit_allowed():
    assert allowed_units("lh") == ("IU/L", "mIU/mL")
    assert allowed_units("cortisol", matrix="hair") == ("pg/mg", "ng/g")
    assert "pg/mg" not in allowed_units("cortisol", matrix="saliva")
    assert unit_allowed("E2", "pg/mL")
    assert unit_allowed("cortisol", "µg/dL")
    assert not unit_allowed("estradiol", "IU/L")
    assert not unit_allowed("melatonin", "pg/mL")
    assert not unit_allowed("cortisol", "pg/mg", matrix="serum")
    assert unit_allowed("cortisol", "pg/mg", matrix="hair")
    assert not unit_allowed("cortisol", None)


_PAIRS = [(name, u1, u2) for name, a in ANALYTES.items() for u1 in a.units for u2 in a.units]
_PAIRS = [
    p
    for p in _PAIRS
    if (p[1] in ("pg/mg", "ng/g")) == (p[2] in ("pg/mg", "ng/g"))  # same denominator kind
]


@settings(max_examples=60, deadline=None)
@given(
    pair=st.sampled_from(_PAIRS),
    x=st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False),
)
def test_round_trip_exact_to_float_precision(pair, x):
    analyte, u1, u2 = pair
    y = convert(x, analyte, u1, u2)
    assert convert(y, analyte, u2, u1) == pytest.approx(x, rel=1e-13)


def _samples():
    return pd.DataFrame(
        {
            "subject_id": ["s1", "s1", "s2", "s3", "s4"],
            "analyte": ["cortisol", "E2", "testosterone", "cortisol", "lh"],
            "matrix": ["saliva", "saliva", "serum", "hair", "serum"],
            "value": [0.5, 2.0, 300.0, 10.0, 5.0],
            "unit": ["ug/dL", "pg/mL", "ng/dL", "pg/mg", "mIU/mL"],
            "lod": [0.007, 0.1, 2.0, 0.5, 0.1],
        },
        index=[10, 11, 12, 13, 14],
    )


def test_to_canonical_converts_rows_and_lod():
    df = _samples()
    before = df.copy()
    out = to_canonical(df)
    pd.testing.assert_frame_equal(df, before)  # not mutated
    assert list(out.index) == list(df.index)
    assert out["unit_canonical"].to_list() == ["nmol/L", "pmol/L", "nmol/L", "pg/mg", "IU/L"]
    expect = [0.5 * 27.589, 2 * 3.6713, 300 * 0.034672, 10.0, 5.0]
    np.testing.assert_allclose(out["value_canonical"], expect, rtol=2e-4)
    np.testing.assert_allclose(
        out["lod_canonical"], [0.007 * 27.589, 0.1 * 3.6713, 2 * 0.034672, 0.5, 0.1], rtol=2e-4
    )


def test_to_canonical_collects_all_bad_units():
    df = _samples()
    df.loc[11, "unit"] = "IU/L"
    df.loc[13, "matrix"] = "serum"  # pg/mg on a serum row: impossible
    with pytest.raises(UnitError) as err:
        to_canonical(df)
    msg = str(err.value)
    assert "estradiol" in msg and "row 11" in msg
    assert "cortisol" in msg and "row 13" in msg


def test_to_canonical_errors_name_rows():
    df = _samples()
    df["value"] = df["value"].astype(object)
    df.loc[12, "value"] = "<0.5"
    with pytest.raises(DataError, match="row 12"):
        to_canonical(df)
    df = _samples()
    df.loc[14, "unit"] = None
    with pytest.raises(DataError, match="row 14"):
        to_canonical(df)
    with pytest.raises(DataError, match="unit"):
        to_canonical(_samples().drop(columns="unit"))


def test_convert_series_with_text_names_rows():
    with pytest.raises(DataError, match=r"cortisol.*row 1"):
        convert(pd.Series(["1.0", "<LOD"]), "cortisol", "ug/dL", "nmol/L")

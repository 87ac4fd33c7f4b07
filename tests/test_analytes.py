"""Tests of the analyte registry.

Molar masses are checked two independent ways: (1) recomputed here from the molecular formulas
with the IUPAC 2005 standard atomic weights (Wieser 2006, Pure Appl Chem 78:2051), using a
formula parser written for this test; (2) against the molecular weights PubChem lists
(rounded to 0.1 g/mol there; tolerance 0.06 g/mol).
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from hormonestats.errors import ContractError
from hormonestats.registry.analytes import ANALYTES, MATRICES, Analyte, get_analyte, list_analytes

EXPECTED = {
    "oxytocin",
    "vasopressin",
    "estradiol",
    "estrone",
    "testosterone",
    "dihydrotestosterone",
    "dhea",
    "dhea_s",
    "progesterone",
    "allopregnanolone",
    "cortisol",
    "cortisone",
    "shbg",
    "albumin",
    "lh",
    "fsh",
}

# IUPAC 2005 standard atomic weights (Wieser 2006).
ATOMIC_WEIGHTS = {"C": 12.0107, "H": 1.00794, "N": 14.0067, "O": 15.9994, "S": 32.065}

# Formulas written down independently of the package (PubChem), with PubChem's molecular weight.
PUBCHEM = {
    "oxytocin": ("C43H66N12O12S2", 1007.2),
    "vasopressin": ("C46H65N15O12S2", 1084.2),
    "estradiol": ("C18H24O2", 272.4),
    "estrone": ("C18H22O2", 270.4),
    "testosterone": ("C19H28O2", 288.4),
    "dihydrotestosterone": ("C19H30O2", 290.4),
    "dhea": ("C19H28O2", 288.4),
    "dhea_s": ("C19H28O5S", 368.5),
    "progesterone": ("C21H30O2", 314.5),
    "allopregnanolone": ("C21H34O2", 318.5),
    "cortisol": ("C21H30O5", 362.5),
    "cortisone": ("C21H28O5", 360.4),
}


def formula_mass(formula: str) -> float:
    total = 0.0
    for element, count in re.findall(r"([A-Z][a-z]?)(\d*)", formula):
        total += ATOMIC_WEIGHTS[element] * (int(count) if count else 1)
    return total


def test_registry_has_the_planned_analytes():
    assert set(ANALYTES) == EXPECTED
    for name, a in ANALYTES.items():
        assert isinstance(a, Analyte)
        assert a.name == name == name.lower()


@pytest.mark.parametrize("name", sorted(PUBCHEM))
def test_molar_mass_from_formula_and_pubchem(name):
    formula, pubchem_mw = PUBCHEM[name]
    a = ANALYTES[name]
    assert a.formula == formula
    assert a.molar_mass == pytest.approx(formula_mass(formula), abs=0.006)
    assert a.molar_mass == pytest.approx(pubchem_mw, abs=0.06)


def test_methods_md_molar_masses():
    # printed in METHODS.md (allopregnanolone was marked "check": C21H34O2 gives 318.49)
    printed = {
        "estradiol": 272.38,
        "testosterone": 288.42,
        "cortisol": 362.46,
        "progesterone": 314.46,
        "oxytocin": 1007.19,
        "allopregnanolone": 318.49,
    }
    for name, mm in printed.items():
        assert ANALYTES[name].molar_mass == pytest.approx(mm, abs=1e-9)
    assert ANALYTES["albumin"].molar_mass == 69000.0  # Vermeulen et al. 1999
    for name in ("lh", "fsh", "shbg"):
        assert ANALYTES[name].molar_mass is None


def test_canonical_units():
    pmol = {"estradiol", "oxytocin", "vasopressin", "estrone"}
    nmol = {
        "testosterone",
        "cortisol",
        "progesterone",
        "dhea",
        "dihydrotestosterone",
        "allopregnanolone",
        "cortisone",
        "shbg",
    }
    for name, a in ANALYTES.items():
        if name in pmol:
            assert a.canonical_unit == "pmol/L"
        elif name in nmol:
            assert a.canonical_unit == "nmol/L"
        assert a.canonical_unit in a.units
    assert ANALYTES["dhea_s"].canonical_unit == "umol/L"
    assert ANALYTES["albumin"].canonical_unit == "g/L"
    assert ANALYTES["lh"].canonical_unit == "IU/L"
    assert "mIU/mL" in ANALYTES["fsh"].units


def test_matrices_ranges_and_hair():
    for a in ANALYTES.values():
        assert set(a.matrices) <= set(MATRICES)
        assert set(a.plausible) == set(a.matrices)
        for lo, hi in a.plausible.values():
            assert lo < hi
        assert ("pg/mg" in a.units) == ("hair" in a.matrices)
        assert a.source
    assert get_analyte("cortisol").canonical_for("hair") == "pg/mg"
    assert get_analyte("cortisol").canonical_for("serum") == "nmol/L"


def test_registry_is_read_only():
    with pytest.raises(TypeError):
        ANALYTES["new"] = ANALYTES["cortisol"]  # type: ignore[index]
    with pytest.raises(TypeError):
        ANALYTES["cortisol"].plausible["saliva"] = (0, 1)  # type: ignore[index]
    with pytest.raises(AttributeError):
        ANALYTES["cortisol"].molar_mass = 1.0  # type: ignore[misc]


@pytest.mark.parametrize(
    "alias, name",
    [
        ("E2", "estradiol"),
        ("e2", "estradiol"),
        ("T", "testosterone"),
        ("OT", "oxytocin"),
        ("AVP", "vasopressin"),
        ("P4", "progesterone"),
        ("DHEAS", "dhea_s"),
        ("DHEA-S", "dhea_s"),
        ("ALLO", "allopregnanolone"),
        ("Cortisol", "cortisol"),
        (" SHBG ", "shbg"),
        ("DHT", "dihydrotestosterone"),
    ],
)
def test_get_analyte_aliases(alias, name):
    assert get_analyte(alias).name == name


def test_get_analyte_unknown_lists_names():
    with pytest.raises(ContractError) as err:
        get_analyte("melatonin")
    msg = str(err.value)
    assert "melatonin" in msg and "cortisol" in msg and "oxytocin" in msg


def test_list_analytes_is_tidy():
    cat = list_analytes()
    assert isinstance(cat, pd.DataFrame)
    assert len(cat) == len(ANALYTES)
    for col in ("name", "label", "molar_mass", "canonical_unit", "units", "matrices", "source"):
        assert col in cat.columns
    for col in cat.columns:
        assert not cat[col].map(lambda v: isinstance(v, list | tuple | dict)).any()
    assert pd.api.types.is_float_dtype(cat["molar_mass"])


def test_analytes_are_hashable_and_comparable():
    assert len({get_analyte("E2"), get_analyte("estradiol"), get_analyte("T")}) == 2

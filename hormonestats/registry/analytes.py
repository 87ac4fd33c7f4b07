"""The analyte registry: molar masses, units, matrices and plausible ranges in one place.

Every hormone (and binding protein) the package knows is one :class:`Analyte` record in
:data:`ANALYTES`, a read-only mapping keyed by the lower-case name. A study contract only picks
analytes from here and may narrow their units, matrices and bounds.

Canonical units
---------------
Each analyte has one *canonical unit*, the unit :func:`hormonestats.to_canonical` converts to.
It is the molar unit the field reports for saliva and serum:

* pmol/L: estradiol, estrone, oxytocin, vasopressin (low-concentration hormones);
* nmol/L: testosterone, dihydrotestosterone, DHEA, progesterone, allopregnanolone, cortisol,
  cortisone, and SHBG;
* umol/L: DHEA-S;
* g/L: albumin; IU/L: LH and FSH (international units of a reference preparation, not a
  molar quantity, so ``molar_mass`` is ``None`` and mass units are not accepted; 1 mIU/mL
  equals 1 IU/L).

Hair concentrations are mass per mass of hair (pg/mg); a volume concentration cannot be turned
into one, so for hair the canonical unit is pg/mg (:meth:`Analyte.canonical_for`) and the hair
entry of ``plausible`` is in pg/mg.

Molar masses
------------
Molar masses of the steroids and peptides are computed from their molecular formulas (kept in
``formula``) with the IUPAC 2005 standard atomic weights (Wieser 2006, Pure Appl Chem 78:2051:
C 12.0107, H 1.00794, N 14.0067, O 15.9994, S 32.065) and rounded to 0.01 g/mol; these
reproduce the conversion factors clinical laboratories print (e.g. cortisol 1 ug/dL =
27.59 nmol/L). Oxytocin is C43H66N12O12S2, arginine vasopressin C46H65N15O12S2, DHEA-S the
free sulfate C19H28O5S (its sodium salt is heavier; assays report the free sulfate).
Albumin uses 69,000 g/mol, the value Vermeulen et al. (1999) used for free testosterone.

Plausible ranges
----------------
``plausible`` gives, per matrix, a deliberately generous range in the canonical unit (pg/mg
for hair). It is used for *warnings only*: a value outside it is most likely a unit mix-up
(pg/mL entered as pmol/L x 1000, nmol/L as pmol/L) or a typing error, not a physiological
finding. The bounds were set by the hormonestats developers well outside the adult reference
intervals in Burtis, Ashwood & Bruns (Tietz Textbook of Clinical Chemistry, 2012) for blood, in
Gröschl (2008, Clin Chem 54:1759) for saliva, in Stalder & Kirschbaum (2012, Brain Behav
Immun 26:1019) for hair, and in McCullough, Churchland & Mendez (2013, Neurosci Biobehav Rev 37:1485)
for oxytocin (unextracted plasma immunoassay values can be 100 times extracted ones, so the
oxytocin bound is wide). Pregnancy concentrations of estradiol, progesterone and
allopregnanolone can exceed them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pandas as pd

from ..errors import ContractError

__all__ = ["ANALYTES", "MATRICES", "Analyte", "get_analyte", "list_analytes"]

#: Sample matrices the package knows.
MATRICES = ("saliva", "plasma", "serum", "urine", "hair")

#: Mass-per-mass units for hair (1 pg/mg = 1 ng/g).
HAIR_UNITS = ("pg/mg", "ng/g")

_STEROID_UNITS_PMOL = ("pmol/L", "nmol/L", "pg/mL", "ng/L", "ng/mL", "ng/dL")
_STEROID_UNITS_NMOL = ("nmol/L", "pmol/L", "ng/mL", "ng/dL", "pg/mL", "ug/dL", "ug/L", "ng/L")
_PEPTIDE_UNITS = ("pmol/L", "nmol/L", "pg/mL", "ng/L", "ng/mL")
_IU_UNITS = ("IU/L", "mIU/mL")

_BLOOD = ("plasma", "serum")
_FLUIDS = ("saliva", "plasma", "serum", "urine")

_TIETZ = "Burtis, Ashwood & Bruns 2012 (Tietz Textbook of Clinical Chemistry)"
_FORMULA = "molar mass from formula, IUPAC 2005 atomic weights (Wieser 2006)"
_SALIVA = "Gröschl 2008"
_HAIR = "Stalder & Kirschbaum 2012"


@dataclass(frozen=True, kw_only=True)
class Analyte:
    """One analyte of the registry (see the module docstring for units and sources).

    Attributes
    ----------
    name : str
        Lower-case key, e.g. ``"estradiol"``.
    label : str
        Display name, e.g. ``"Estradiol"``.
    kind : str
        ``"steroid"``, ``"peptide"``, ``"protein"`` or ``"gonadotropin"``.
    molar_mass : float or None
        g/mol; ``None`` where a molar unit makes no sense (LH, FSH in IU; SHBG is only
        reported in nmol/L).
    canonical_unit : str
        The unit values are converted to for analysis (fluids).
    units : tuple of str
        Accepted units, spelled exactly (``"ug"`` for micrograms; ``"µg"`` is accepted on input).
    matrices : tuple of str
        Allowed matrices.
    plausible : Mapping[str, tuple[float, float]]
        Generous range per matrix in the canonical unit (pg/mg for hair); warnings only.
    aliases : tuple of str
        Other names accepted by :func:`get_analyte` (case-insensitive).
    source : str
        Citations for the molar mass and the ranges.
    formula : str or None
        Molecular formula the molar mass was computed from.
    """

    name: str
    label: str
    kind: str
    molar_mass: float | None
    canonical_unit: str
    units: tuple[str, ...]
    matrices: tuple[str, ...]
    plausible: Mapping[str, tuple[float, float]] = field(compare=False)
    aliases: tuple[str, ...]
    source: str
    formula: str | None = field(default=None)

    def canonical_for(self, matrix: str | None = None) -> str:
        """Canonical unit for a matrix: pg/mg for hair, ``canonical_unit`` otherwise.

        >>> get_analyte("cortisol").canonical_for("hair")
        'pg/mg'
        >>> get_analyte("cortisol").canonical_for("saliva")
        'nmol/L'
        """
        if matrix is not None and str(matrix).strip().lower() == "hair":
            return "pg/mg"
        return self.canonical_unit


def _make(
    name,
    label,
    kind,
    molar_mass,
    canonical,
    units,
    matrices,
    plausible,
    aliases,
    source,
    formula=None,
):
    units = tuple(units)
    if "hair" in matrices:
        units = units + HAIR_UNITS
    return Analyte(
        name=name,
        label=label,
        kind=kind,
        molar_mass=molar_mass,
        canonical_unit=canonical,
        units=units,
        matrices=tuple(matrices),
        plausible=MappingProxyType(dict(plausible)),
        aliases=tuple(aliases),
        source=source,
        formula=formula,
    )


_RECORDS = [
    _make(
        "oxytocin",
        "Oxytocin",
        "peptide",
        1007.19,
        "pmol/L",
        _PEPTIDE_UNITS,
        _FLUIDS,
        {"saliva": (0, 1000), "plasma": (0, 10000), "serum": (0, 10000), "urine": (0, 10000)},
        ("OT", "OXT"),
        f"{_FORMULA}; ranges: McCullough et al. 2013, {_SALIVA}",
        "C43H66N12O12S2",
    ),
    _make(
        "vasopressin",
        "Vasopressin",
        "peptide",
        1084.23,
        "pmol/L",
        _PEPTIDE_UNITS,
        _FLUIDS,
        {"saliva": (0, 1000), "plasma": (0, 1000), "serum": (0, 1000), "urine": (0, 10000)},
        ("AVP", "ADH", "arginine_vasopressin"),
        f"{_FORMULA}; ranges: {_TIETZ}",
        "C46H65N15O12S2",
    ),
    _make(
        "estradiol",
        "Estradiol",
        "steroid",
        272.38,
        "pmol/L",
        _STEROID_UNITS_PMOL,
        _FLUIDS + ("hair",),
        {
            "saliva": (0, 200),
            "plasma": (0, 20000),
            "serum": (0, 20000),
            "urine": (0, 1e6),
            "hair": (0, 100),
        },
        ("E2", "oestradiol", "17beta_estradiol"),
        f"{_FORMULA}; ranges: {_TIETZ}, {_SALIVA}",
        "C18H24O2",
    ),
    _make(
        "estrone",
        "Estrone",
        "steroid",
        270.37,
        "pmol/L",
        _STEROID_UNITS_PMOL,
        _FLUIDS,
        {"saliva": (0, 500), "plasma": (0, 20000), "serum": (0, 20000), "urine": (0, 1e6)},
        ("E1", "oestrone"),
        f"{_FORMULA}; ranges: {_TIETZ}",
        "C18H22O2",
    ),
    _make(
        "testosterone",
        "Testosterone",
        "steroid",
        288.42,
        "nmol/L",
        _STEROID_UNITS_NMOL,
        _FLUIDS + ("hair",),
        {
            "saliva": (0, 5),
            "plasma": (0, 100),
            "serum": (0, 100),
            "urine": (0, 1000),
            "hair": (0, 100),
        },
        ("T", "TESTO"),
        f"{_FORMULA}; ranges: {_TIETZ}, {_SALIVA}, {_HAIR}",
        "C19H28O2",
    ),
    _make(
        "dihydrotestosterone",
        "Dihydrotestosterone",
        "steroid",
        290.44,
        "nmol/L",
        _STEROID_UNITS_NMOL,
        _FLUIDS,
        {"saliva": (0, 5), "plasma": (0, 20), "serum": (0, 20), "urine": (0, 500)},
        ("DHT", "5alpha_dht"),
        f"{_FORMULA}; ranges: {_TIETZ}",
        "C19H30O2",
    ),
    _make(
        "dhea",
        "DHEA",
        "steroid",
        288.42,
        "nmol/L",
        _STEROID_UNITS_NMOL,
        _FLUIDS + ("hair",),
        {
            "saliva": (0, 20),
            "plasma": (0, 100),
            "serum": (0, 100),
            "urine": (0, 1000),
            "hair": (0, 1000),
        },
        ("dehydroepiandrosterone",),
        f"{_FORMULA}; ranges: {_TIETZ}, {_SALIVA}, {_HAIR}",
        "C19H28O2",
    ),
    _make(
        "dhea_s",
        "DHEA-S",
        "steroid",
        368.49,
        "umol/L",
        ("umol/L", "nmol/L", "ug/dL", "ug/mL", "ng/mL", "pg/mL"),
        _FLUIDS,
        {"saliva": (0, 1), "plasma": (0, 40), "serum": (0, 40), "urine": (0, 100)},
        ("DHEAS", "DHEA_SO4", "dehydroepiandrosterone_sulfate"),
        f"{_FORMULA}; ranges: {_TIETZ}, {_SALIVA}",
        "C19H28O5S",
    ),
    _make(
        "progesterone",
        "Progesterone",
        "steroid",
        314.46,
        "nmol/L",
        _STEROID_UNITS_NMOL,
        _FLUIDS + ("hair",),
        {
            "saliva": (0, 10),
            "plasma": (0, 1000),
            "serum": (0, 1000),
            "urine": (0, 1000),
            "hair": (0, 1000),
        },
        ("P4", "PROG"),
        f"{_FORMULA}; ranges: {_TIETZ}, {_SALIVA}, {_HAIR}",
        "C21H30O2",
    ),
    _make(
        "allopregnanolone",
        "Allopregnanolone",
        "steroid",
        318.49,
        "nmol/L",
        _STEROID_UNITS_NMOL,
        _FLUIDS,
        {"saliva": (0, 50), "plasma": (0, 200), "serum": (0, 200), "urine": (0, 1000)},
        ("ALLO", "3alpha_5alpha_thp", "brexanolone"),
        f"{_FORMULA}; ranges: {_TIETZ}",
        "C21H34O2",
    ),
    _make(
        "cortisol",
        "Cortisol",
        "steroid",
        362.46,
        "nmol/L",
        _STEROID_UNITS_NMOL,
        _FLUIDS + ("hair",),
        {
            "saliva": (0, 100),
            "plasma": (0, 2000),
            "serum": (0, 2000),
            "urine": (0, 5000),
            "hair": (0, 1000),
        },
        ("CORT", "hydrocortisone"),
        f"{_FORMULA}; ranges: {_TIETZ}, {_SALIVA}, {_HAIR}",
        "C21H30O5",
    ),
    _make(
        "cortisone",
        "Cortisone",
        "steroid",
        360.44,
        "nmol/L",
        _STEROID_UNITS_NMOL,
        _FLUIDS + ("hair",),
        {
            "saliva": (0, 300),
            "plasma": (0, 300),
            "serum": (0, 300),
            "urine": (0, 5000),
            "hair": (0, 1000),
        },
        (),
        f"{_FORMULA}; ranges: {_TIETZ}, {_SALIVA}, {_HAIR}",
        "C21H28O5",
    ),
    _make(
        "shbg",
        "SHBG",
        "protein",
        None,
        "nmol/L",
        ("nmol/L",),
        _BLOOD,
        {"plasma": (0, 500), "serum": (0, 500)},
        ("sex_hormone_binding_globulin",),
        f"ranges: {_TIETZ}",
    ),
    _make(
        "albumin",
        "Albumin",
        "protein",
        69000.0,
        "g/L",
        ("g/L", "g/dL", "mg/mL", "umol/L"),
        _BLOOD,
        {"plasma": (10, 70), "serum": (10, 70)},
        ("ALB",),
        f"molar mass as used by Vermeulen et al. 1999; ranges: {_TIETZ}",
    ),
    _make(
        "lh",
        "LH",
        "gonadotropin",
        None,
        "IU/L",
        _IU_UNITS,
        _BLOOD + ("urine",),
        {"plasma": (0, 300), "serum": (0, 300), "urine": (0, 300)},
        ("luteinizing_hormone", "lutropin"),
        f"ranges: {_TIETZ}",
    ),
    _make(
        "fsh",
        "FSH",
        "gonadotropin",
        None,
        "IU/L",
        _IU_UNITS,
        _BLOOD + ("urine",),
        {"plasma": (0, 300), "serum": (0, 300), "urine": (0, 300)},
        ("follicle_stimulating_hormone", "follitropin"),
        f"ranges: {_TIETZ}",
    ),
]

#: The registry: lower-case name -> :class:`Analyte` (read-only).
ANALYTES: Mapping[str, Analyte] = MappingProxyType({a.name: a for a in _RECORDS})


def _key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


_LOOKUP: dict[str, str] = {}
for _a in _RECORDS:
    _LOOKUP[_key(_a.name)] = _a.name
    for _alias in _a.aliases:
        _LOOKUP[_key(_alias)] = _a.name
    _LOOKUP[_key(_a.label)] = _a.name


def get_analyte(name: str) -> Analyte:
    """Look an analyte up by name or alias (case-insensitive; ``-`` and spaces read as ``_``).

    Parameters
    ----------
    name : str
        Name (``"estradiol"``), label (``"DHEA-S"``) or alias (``"E2"``, ``"OT"``, ``"P4"``).

    Returns
    -------
    Analyte

    Raises
    ------
    ContractError
        If the name is unknown; the message lists the known names.

    Examples
    --------
    >>> get_analyte("E2").name
    'estradiol'
    >>> get_analyte("DHEA-S").canonical_unit
    'umol/L'
    """
    if isinstance(name, Analyte):
        return name
    found = _LOOKUP.get(_key(name)) if isinstance(name, str) else None
    if found is None:
        raise ContractError(
            f"unknown analyte {name!r}; allowed analytes: {', '.join(ANALYTES)} "
            "(aliases such as E2, T, OT, AVP, P4, DHEAS, ALLO are accepted)"
        )
    return ANALYTES[found]


def list_analytes() -> pd.DataFrame:
    """The registry as a tidy catalogue, one row per analyte.

    Units, matrices and aliases are joined with ``", "`` (text cells, no lists).

    Examples
    --------
    >>> cat = list_analytes()
    >>> cat.loc[cat["name"] == "cortisol", "canonical_unit"].item()
    'nmol/L'
    """
    rows = [
        {
            "name": a.name,
            "label": a.label,
            "kind": a.kind,
            "molar_mass": a.molar_mass if a.molar_mass is not None else float("nan"),
            "formula": a.formula,
            "canonical_unit": a.canonical_unit,
            "units": ", ".join(a.units),
            "matrices": ", ".join(a.matrices),
            "aliases": ", ".join(a.aliases),
            "source": a.source,
        }
        for a in ANALYTES.values()
    ]
    return pd.DataFrame(rows)

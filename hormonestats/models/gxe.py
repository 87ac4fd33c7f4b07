"""Gene x environment (or gene x hormone) interaction with Keller's covariate terms.

A G x E test is the moderation model ``y ~ E + G + E:G + covariates`` with the genotype as the
moderator of the environment's (or hormone's) slope. Keller (2014, Biol Psychiatry 75:18) showed
that a covariate entered only as a main effect does not control for its confounding of the
interaction: every covariate must also interact with G and with E. With ``keller=True`` (the
default) each covariate design column, mean-centred, enters as ``covariate:E`` and
``covariate:G``. The model is fitted by :func:`hormonestats.models.moderation.moderation`,
so the coefficients, simple slopes and effect sizes are the moderation family's.

Gene codings (``gene`` holds the count of the effect allele, 0/1/2, unless ``coding="group"``):
``additive`` (the count), ``dominant`` (1 = carries at least one effect allele), ``recessive``
(1 = two copies), ``group`` (a two-level column, e.g. rs53576 "GG" vs "A carrier"; the
``reference`` level, by default the first sorted level, is coded 0).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DataError, ModelError, format_rows
from ..results import conforms
from ._tidy import excluded_note
from .moderation import ModerationResult, _as_tuple, _is_numeric, moderation

__all__ = ["CODINGS", "GxEResult", "coded_gene_name", "gxe"]

CODINGS = ("additive", "dominant", "recessive", "group")


#: ``<rsid>_add_<allele>``: the additive column name :func:`hormonestats.code_genotypes` writes
_ADDITIVE_NAME = re.compile(r"^(?P<snp>.+)_add_(?P<allele>[A-Za-z]+)$")


def coded_gene_name(column: str, coding: str) -> str:
    """The name a genotype enters the model under, saying the coding actually used.

    An allele-count column named ``<rsid>_add_<allele>`` becomes ``"<rsid> (<allele> carrier)"``
    under dominant coding and ``"<rsid> (<allele><allele>)"`` under recessive coding; another
    count column gets the coding in brackets. Additive and group codings keep the column name.

    >>> coded_gene_name("rs53576_add_A", "dominant")
    'rs53576 (A carrier)'
    >>> coded_gene_name("rs53576_add_A", "recessive"), coded_gene_name("g", "dominant")
    ('rs53576 (AA)', 'g (dominant)')
    """
    if coding in ("additive", "group"):
        return column
    match = _ADDITIVE_NAME.match(column)
    if match is None:
        return f"{column} ({coding})"
    snp, allele = match["snp"], match["allele"]
    return f"{snp} ({allele} carrier)" if coding == "dominant" else f"{snp} ({allele}{allele})"


@conforms("gxe", aliases={"n": "n_obs"})
@dataclass(frozen=True)
class GxEResult:
    """Result of :func:`gxe`.

    Attributes
    ----------
    table : DataFrame
        Tidy coefficients with ``std_estimate`` (the moderation family's table).
    fit : statsmodels RegressionResults
        The OLS fit.
    moderation : ModerationResult
        The underlying moderation result (``env`` is its ``x``, the coded gene its ``m``).
    gene_term : str
        The name the coded gene has in the model (:func:`coded_gene_name`: it says the coding,
        e.g. ``"rs53576 (A carrier)"`` for dominant coding of ``rs53576_add_A``).
    interaction_term : str
        The G x E coefficient's name, ``"{env}:{gene_term}"``.
    gene_levels : tuple of (float, str)
        The coded gene values and what they mean, e.g. ``((0.0, "GG"), (1.0, "A carrier"))``.
    keller_terms : tuple of str
        The covariate x G and covariate x E terms added.
    """

    table: pd.DataFrame = field(repr=False)
    fit: object = field(repr=False)
    moderation: ModerationResult = field(repr=False)
    y: str
    gene: str
    gene_term: str
    env: str
    covariates: tuple[str, ...]
    coding: str
    keller: bool
    n_obs: int
    conf_level: float
    interaction_term: str
    gene_levels: tuple
    keller_terms: tuple[str, ...]
    excluded: pd.DataFrame = field(repr=False)

    @property
    def interaction(self) -> pd.Series:
        """The G x E row of ``table``."""
        return self.table.set_index("term").loc[self.interaction_term]

    def simple_slopes(self, conf_level: float | None = None) -> pd.DataFrame:
        """Slope of ``env`` in each genotype group (``m_label`` names the group)."""
        values = [v for v, _ in self.gene_levels]
        out = self.moderation.simple_slopes(at=values, conf_level=conf_level)
        out["m_label"] = pd.Series([lab for _, lab in self.gene_levels], dtype="str")
        return out

    def predictions(self, n_points: int = 50) -> pd.DataFrame:
        """Predicted ``y`` over the observed ``env`` range in each genotype group."""
        out = self.moderation.predictions(n_points=n_points, at=[v for v, _ in self.gene_levels])
        labels = dict((f"{v:g}", lab) for v, lab in self.gene_levels)
        out["m_label"] = out["m_label"].map(labels).astype("str")
        return out

    def coverage_check(self, n_sims: int = 500, seed: int | None = None):
        """Coverage of the coefficient intervals at this design (as for moderation)."""
        return self.moderation.coverage_check(n_sims=n_sims, seed=seed)

    def _tables(self):
        return [
            ("Coefficients", self.table),
            ("Interaction (R² change)", self.moderation.fit_statistics()),
            (f"Slope of {self.env} by {self.gene} genotype", self.simple_slopes()),
        ]

    def _notes(self):
        notes = [
            f"{self.gene} coding: {self.coding} ("
            + ", ".join(f"{v:g} = {lab}" for v, lab in self.gene_levels)
            + f"); {self.env} mean-centred."
        ]
        if self.keller and self.keller_terms:
            notes.append(
                "Every covariate also interacts with the gene and with the environment "
                "(Keller 2014): " + ", ".join(self.keller_terms) + "."
            )
        elif self.covariates:
            notes.append("Covariates enter as main effects only (keller=False; see Keller 2014).")
        if len(self.excluded):
            notes.append(excluded_note(self.excluded))
        return notes

    def _display(self):
        title = f"Gene x environment: {self.y} ~ {self.env} x {self.gene} (n = {self.n})"
        return title, self._tables(), self._notes()

    def _facts(self):
        return {"y": self.y, "gene": self.gene, "env": self.env, "coding": self.coding,
                "keller_terms": self.keller_terms, "covariates": self.covariates,
                "conf_level": self.conf_level}


def _code_gene(series: pd.Series, coding: str, reference, column: str):
    """Return (coded float Series with NaN kept, levels as (value, label) pairs)."""
    present = series.dropna()
    if coding == "group":
        levels = sorted(pd.unique(present), key=lambda v: (str(type(v)), v))
        if len(levels) != 2:
            raise ModelError(
                f"gene column {column!r} with coding='group' must have exactly two levels, "
                f"found {len(levels)}: {levels[:10]}"
            )
        if reference is None:
            reference = levels[0]
        if reference not in levels:
            raise ModelError(f"reference {reference!r} is not a level of {column!r}: {levels}")
        other = levels[1] if levels[0] == reference else levels[0]
        coded = series.map({reference: 0.0, other: 1.0}).astype(float)
        return coded, ((0.0, str(reference)), (1.0, str(other)))
    if not _is_numeric(series):
        raise ModelError(
            f"gene column {column!r} must hold effect-allele counts 0/1/2 for coding="
            f"{coding!r} (dtype {series.dtype}); code genotypes first (hs.code_genotypes) or use "
            "coding='group' for a two-level column"
        )
    vals = series.astype(float)
    bad = vals.notna() & ~vals.isin([0.0, 1.0, 2.0])
    if bad.any():
        raise ModelError(
            f"gene column {column!r} must hold allele counts 0, 1 or 2; other values at "
            f"{format_rows(series.index[bad])}: {sorted(set(vals[bad]))[:10]}"
        )
    if coding == "additive":
        return vals, ((0.0, "0 copies"), (1.0, "1 copy"), (2.0, "2 copies"))
    if coding == "dominant":
        return vals.where(vals.isna(), (vals >= 1).astype(float)), (
            (0.0, "0 copies"),
            (1.0, "1-2 copies"),
        )
    return vals.where(vals.isna(), (vals == 2).astype(float)), (
        (0.0, "0-1 copies"),
        (1.0, "2 copies"),
    )


def gxe(
    data: pd.DataFrame,
    *,
    y: str,
    x: str | None = None,
    m: str | None = None,
    covariates: Sequence[str] = (),
    coding: str = "additive",
    conf_level: float = 0.95,
    keller: bool = True,
    reference=None,
    robust: str | None = None,
    gene: str | None = None,
    env: str | None = None,
) -> GxEResult:
    """Gene x environment interaction, with every covariate's interaction with G and E.

    Fits ``y ~ x + m + x:m + covariates (+ covariates:m + covariates:x)`` by OLS, with the
    environment as ``x`` and the gene as the moderator ``m`` (house vocabulary): ``x`` is
    mean-centred, the coded gene is not (its 0 is a genotype group), covariates enter uncentred
    as main effects and centred in their Keller (2014) products.

    Parameters
    ----------
    data : DataFrame
        One row per participant; not modified.
    y : str
        Outcome column.
    x : str
        Environment or hormone column (numeric; e.g. log estradiol, oxytocin arm 0/1).
    m : str
        The gene: effect-allele count (0/1/2) column, or a two-level column with
        ``coding="group"``.
    covariates : sequence of str
        Covariates (e.g. ancestry principal components, age, sex).
    coding : {"additive", "dominant", "recessive", "group"}
        How the gene enters (see the module docstring).
    conf_level : float
        Confidence level of every interval.
    keller : bool
        Add covariate x gene and covariate x env terms (default True, as Keller 2014 asks).
    reference : optional
        Reference (coded 0) level for ``coding="group"``; default the first sorted level.
    robust : {None, "HC0", "HC1", "HC2", "HC3"}
        Heteroskedasticity-consistent standard errors.
    gene, env : str, optional
        Deprecated names of ``m`` and ``x`` (a DeprecationWarning says so).

    Returns
    -------
    GxEResult
        ``.table``, ``.interaction`` (the G x E row), ``.simple_slopes()`` (slope of ``env`` per
        genotype group), ``.keller_terms``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import hormonestats as hs
    >>> rng = np.random.default_rng(2)
    >>> d = pd.DataFrame({"rs53576_a": rng.binomial(2, 0.4, 400), "e2": rng.normal(size=400),
    ...                   "age": rng.normal(30, 5, 400)})
    >>> d["trust"] = 0.3 * d.e2 + 0.3 * d.e2 * d.rs53576_a + rng.normal(size=400)
    >>> res = hs.gxe(d, y="trust", x="e2", m="rs53576_a", covariates=["age"])
    >>> res.interaction_term, res.keller_terms
    ('e2:rs53576_a', ('age:e2', 'age:rs53576_a'))
    >>> res.simple_slopes()["m_label"].tolist()
    ['0 copies', '1 copy', '2 copies']
    """
    from ._aliases import renamed

    gene = renamed("hs.gxe", "m", m, "gene", gene)
    env = renamed("hs.gxe", "x", x, "env", env)
    if gene is None or env is None:
        raise ModelError("hs.gxe needs x= (the environment) and m= (the gene)")
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if coding not in CODINGS:
        raise ModelError(f"coding must be one of {CODINGS}, got {coding!r}")
    covariates = _as_tuple(covariates)
    if gene not in data.columns:
        raise ModelError(
            f"data has no gene column {gene!r}; available: {', '.join(map(str, data.columns))}"
        )
    coded, levels = _code_gene(data[gene], coding, reference, gene)
    term = coded_gene_name(gene, coding)
    if term != gene and term in data.columns:
        raise ModelError(f"data already has a column {term!r}, the name of the coded {gene!r}")
    work = data.assign(**{term: coded})  # a new frame; the caller's data stay as they are
    res = moderation(
        work,
        y=y,
        x=env,
        m=term,
        covariates=covariates,
        center=True,
        center_m=False,
        robust=robust,
        conf_level=conf_level,
        m_categorical=False,
        keller=keller,
    )
    observed = set(np.unique(res.fit.model.exog[:, list(res.fit.model.exog_names).index(term)]))
    levels = tuple((v, lab) for v, lab in levels if v in observed)
    return GxEResult(
        table=res.table,
        fit=res.fit,
        moderation=res,
        y=y,
        gene=gene,
        gene_term=term,
        env=env,
        covariates=covariates,
        coding=coding,
        keller=keller,
        n_obs=res.n_obs,
        conf_level=conf_level,
        interaction_term=res.interaction_term,
        gene_levels=levels,
        keller_terms=res._design.extra_columns,
        excluded=res.excluded,
    )

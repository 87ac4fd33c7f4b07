"""A family test of the registered hypotheses, with FDR control across the family.

:func:`test_hypotheses` fits every hypothesis of the registry (:mod:`.claims`) whose roles the
study maps to columns, with the family's runner (:mod:`.runners`), collects the deciding
estimates in one table and adjusts their p-values across the family (Benjamini & Hochberg 1995
by default). A hypothesis whose roles are not all mapped is reported as ``"not tested"`` with
the missing roles named; one whose model cannot be fitted is reported as ``"failed"`` with the
error message. Nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from ..errors import HormoneStatsError, ModelError
from ..results import conforms, empty_excluded, short_repr
from .claims import DEFAULT_ROLES, HYPOTHESES, Hypothesis, default_mapping, hypotheses
from .runners import FAMILIES, ITEM_FAMILIES, RUNNERS, RegressionResult, bootstrap_p

__all__ = [
    "DEFAULT_ROLES",
    "FAMILIES",
    "HYPOTHESES",
    "RUNNERS",
    "Hypothesis",
    "HypothesisFamilyResult",
    "RegressionResult",
    "adjusted_by_family",
    "bootstrap_p",
    "default_mapping",
    "hypotheses",
    "test_hypotheses",
]

RESULT_COLUMNS = [
    "hypothesis",
    "family",
    "term",
    "estimate",
    "std_error",
    "conf_low",
    "conf_high",
    "p_value",
    "p_fdr",
    "predicted_sign",
    "agrees",
    "n",
    "status",
    "reason",
]


@conforms("hypothesis_family", short=False)
@dataclass(frozen=True)
class HypothesisFamilyResult:
    """Result of :func:`test_hypotheses`.

    Attributes
    ----------
    table : DataFrame
        One row per hypothesis: ``hypothesis, family, term, estimate, std_error, conf_low,
        conf_high, p_value, p_fdr, predicted_sign, agrees, n, status, reason``. ``status`` is
        ``"tested"``, ``"not tested"`` (roles not mapped, or data on which the model means
        nothing) or ``"failed"`` (the model could not be fitted); ``reason`` says why, or lists covariates left out of that model. ``agrees`` is
        True when the CI excludes 0 and, for a directional hypothesis, the estimate has the
        predicted sign (for an exploratory one, ``predicted_sign`` 0, only the CI counts); it
        is False for hypotheses not tested. ``p_fdr`` adjusts the tested hypotheses' p-values.
    results : dict
        Hypothesis name -> the full model result.
    n_obs : int
        Rows of the analysis table (each hypothesis's own ``n`` is in ``table``).
    excluded : DataFrame
        The models' exclusion logs stacked, with the ``hypothesis`` each row was left out of.
    """

    table: pd.DataFrame = field(repr=False)
    results: dict = field(repr=False)
    mapping: Mapping[str, str]
    alpha: float
    fdr_method: str
    conf_level: float
    n_obs: int = 0
    excluded: pd.DataFrame = field(default_factory=empty_excluded, repr=False)

    def _notes(self):
        fam = pd.Series([getattr(hypotheses.get(h), "fdr_family", "primary")
                         for h in self.table["hypothesis"]], index=self.table.index)
        tested = self.table["status"] == "tested"
        secondary = sorted(set(fam[tested & (fam != "primary")]))
        return [
            f"p_fdr: {self.fdr_method} adjustment across the {int((tested & (fam == 'primary')).sum())} "
            f"tested hypotheses of the primary family (alpha {self.alpha})"
            + (f"; secondary families adjusted apart: {', '.join(secondary)}." if secondary
               else "."),
            "Indirect effects: percentile bootstrap CI; p = 2 min(share <= 0, share >= 0) of the "
            "bootstrap replicates (with +1 counts).",
            "agrees: CI excludes 0 and the estimate has the predicted sign.",
        ]

    def _display(self):
        return "Hypothesis family", [("", self.table)], self._notes()

    def _facts(self):
        status = self.table["status"]
        return {"hypotheses": tuple(self.table["hypothesis"]),
                "n_tested": int((status == "tested").sum()), "fdr_method": self.fdr_method,
                "alpha": self.alpha, "conf_level": self.conf_level,
                "models": {name: r.family for name, r in self.results.items()}}

    def __repr__(self) -> str:
        return short_repr(self, f"Hypothesis family ({len(self.table)} hypotheses)")


def test_hypotheses(
    data: pd.DataFrame,
    *,
    mapping: Mapping[str, str] | None = None,
    hypotheses: Sequence[str] | None = None,
    covariates: Sequence[str] = (),
    alpha: float = 0.05,
    fdr_method: str = "fdr_bh",
    seed: int | None = None,
    n_boot: int = 5000,
    conf_level: float = 0.95,
    items: pd.DataFrame | None = None,
) -> HypothesisFamilyResult:
    """Test a family of registered hypotheses on one analysis table, with FDR control.

    Parameters
    ----------
    data : DataFrame
        The analysis table (one row per participant, or per participant and session for
        families that model repeated measures); not modified. Under ``lod_policy="censored"``
        a hormone value with a True ``<analyte>_censored`` is its LOD: only a censored
        likelihood (the ``phase_contrast`` family) uses it; the other families treat it as
        missing.
    mapping : Mapping[str, str], optional
        Role name -> column, e.g. ``{"outcome": "rmet_total", "oxytocin": "oxytocin_arm",
        "estradiol": "log_estradiol"}``. Roles left out make their hypotheses "not tested".
        None (the default): the registered defaults, :data:`DEFAULT_ROLES` (for each role the
        first of its default columns that ``data`` has), as ``hormonestats run`` uses them.
    hypotheses : sequence of str, optional
        Names from :data:`hypotheses` (default: all).
    covariates : sequence of str
        Covariates for every model (a covariate that is one of a model's predictors is left
        out of that model and the table's ``reason`` says so). A hypothesis whose model cannot
        be fitted meaningfully (the outcome or a predictor without variance, the outcome among
        the covariates, a covariate collinear with a predictor, no more rows than parameters)
        is "not tested" and its ``reason`` says why; it gets no numbers.
    alpha : float
        FDR (or FWER) level for the adjustment.
    fdr_method : str
        Any :func:`hormonestats.fdr` method (default Benjamini–Hochberg).
    seed : int, optional
        Seed for the mediation bootstraps.
    n_boot : int
        Bootstrap resamples for indirect effects.
    conf_level : float
        Confidence level of every interval.
    items : DataFrame, optional
        Item-level responses, one row per subject x item (``subject_id, item, correct``; e.g.
        :func:`hormonestats.derive.items.study_item_table`), for the item-level hypotheses
        (family ``item_glmm``); without it they are "not tested".

    Returns
    -------
    HypothesisFamilyResult
        ``p_fdr`` is adjusted within each hypothesis's ``fdr_family``: the primary family,
        and apart from it each secondary family (e.g. the item-level analysis of a claim the
        primary family tests already), whose rows say so in ``reason``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import hormonestats as hs
    >>> rng = np.random.default_rng(4)
    >>> d = pd.DataFrame({"ot": rng.integers(0, 2, 300), "e2": rng.normal(size=300)})
    >>> d["rmet"] = 0.2 * d.ot + 0.5 * d.ot * d.e2 + rng.normal(size=300)
    >>> fam = hs.test_hypotheses(d, mapping={"outcome": "rmet", "oxytocin": "ot",
    ...                                      "estradiol": "e2"})
    >>> tab = fam.table.set_index("hypothesis")
    >>> tab.loc["estradiol_oxytocin", "status"], bool(tab.loc["estradiol_oxytocin", "agrees"])
    ('tested', True)
    >>> tab.loc["cortisol_oxytocin", "reason"]
    'roles not mapped: cortisol'
    """
    from ._guards import untestable
    from .phase_contrast import CENSORED_FAMILIES, without_censored_values

    registry = globals()["hypotheses"]
    names = list(registry) if hypotheses is None else list(hypotheses)
    unknown = [h for h in names if h not in registry]
    if unknown:
        raise ModelError(f"unknown hypotheses {unknown}; registered: {list(registry)}")
    if mapping is None:
        mapping = default_mapping(data.columns)
    if not isinstance(mapping, Mapping):
        raise ModelError("mapping must map role names to column names")
    absent = sorted({c for c in mapping.values() if c not in data.columns})
    absent_cov = [c for c in covariates if c not in data.columns]
    if absent or absent_cov:
        raise ModelError(
            f"data has no column(s) {absent + absent_cov} named in mapping/covariates; "
            f"available: {', '.join(map(str, data.columns))}"
        )
    opts = {"conf_level": conf_level, "n_boot": n_boot, "seed": seed, "items": items}
    rows, results = [], {}
    for name in names:
        hyp = registry[name]
        row = {c: np.nan for c in RESULT_COLUMNS}
        row.update(
            hypothesis=name,
            family=hyp.family,
            term=hyp.key_term,
            predicted_sign=hyp.predicted_sign,
            agrees=False,
            n=0,
            reason="",
        )
        missing = [r for r in hyp.required_roles if r not in mapping]
        if missing:
            row.update(status="not tested", reason=f"roles not mapped: {', '.join(missing)}")
            rows.append(row)
            continue
        cols = {arg: mapping[role] for arg, role in hyp.roles.items() if role in mapping}
        own = set(cols.values())
        covs = [c for c in covariates if c not in own]
        dropped = [c for c in covariates if c in own]
        used = data if hyp.family in CENSORED_FAMILIES else \
            without_censored_values(data, [*cols.values(), *covs])
        why = untestable(used, hyp.family, cols, list(covariates))
        if not why and hyp.family in ITEM_FAMILIES and items is None:
            why = "no item-level responses (items=...): the study has no keyed item responses"
        if why:  # a model fitted anyway would give numbers that mean nothing
            row.update(status="not tested", reason=why)
            rows.append(row)
            continue
        try:
            runner = RUNNERS[hyp.family]
            result, key = runner(used, hyp, cols, covs, opts)
        except (HormoneStatsError, KeyError) as exc:
            row.update(status="failed", reason=f"{type(exc).__name__}: {exc}")
            rows.append(row)
            continue
        results[name] = result
        row.update(key, status="tested")
        notes = []
        if dropped:
            notes.append(f"covariates used as model variables, left out: {', '.join(dropped)}")
        if hyp.fdr_family != "primary":
            notes.append(f"p_fdr adjusted in the secondary family '{hyp.fdr_family}', apart "
                         "from the primary family")
        row["reason"] = "; ".join(notes)
        ci_excludes_0 = key["conf_low"] > 0 or key["conf_high"] < 0
        sign_ok = hyp.predicted_sign == 0 or np.sign(key["estimate"]) == hyp.predicted_sign
        row["agrees"] = bool(ci_excludes_0 and sign_ok)
        rows.append(row)
    table = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    table["p_fdr"] = adjusted_by_family(table, fdr_method, alpha)
    for c in ("hypothesis", "family", "term", "status", "reason"):
        table[c] = table[c].astype("str")
    table["agrees"] = table["agrees"].astype(bool)
    table["n"] = table["n"].astype(int)
    table["predicted_sign"] = table["predicted_sign"].astype(int)
    for c in ("estimate", "std_error", "conf_low", "conf_high", "p_value", "p_fdr"):
        table[c] = table[c].astype(float)
    return HypothesisFamilyResult(
        table=table,
        results=results,
        mapping=MappingProxyType(dict(mapping)),
        alpha=alpha,
        fdr_method=fdr_method,
        conf_level=conf_level,
        n_obs=len(data),
        excluded=_stacked_logs(results),
    )


def adjusted_by_family(table: pd.DataFrame, method: str = "fdr_bh",
                       alpha: float = 0.05) -> pd.Series:
    """The tested rows' p values adjusted within each hypothesis's ``fdr_family`` (NaN for the
    rows not tested): the primary family, and apart from it each secondary one.

    >>> t = pd.DataFrame({"hypothesis": ["estradiol_oxytocin", "progesterone_anxiety",
    ...                                  "estradiol_oxytocin_items"],
    ...                   "status": "tested", "p_value": [0.02, 0.04, 0.03]})
    >>> adjusted_by_family(t).round(3).tolist()
    [0.04, 0.04, 0.03]
    """
    from .effects import fdr

    registry = globals()["hypotheses"]
    groups = table["hypothesis"].map(lambda h: getattr(registry.get(h), "fdr_family",
                                                       "primary"))
    out = pd.Series(np.nan, index=table.index, dtype=float)
    for group in pd.unique(groups):
        tested = (table["status"] == "tested") & (groups == group)
        if tested.any():
            out[tested] = fdr(table.loc[tested, "p_value"], method=method,
                              alpha=alpha)["p_adjusted"].to_numpy()
    return out


def _stacked_logs(results: Mapping) -> pd.DataFrame:
    """Every model's exclusion log, with the hypothesis it belongs to."""
    logs = [r.excluded.assign(hypothesis=name) for name, r in results.items() if len(r.excluded)]
    return pd.concat(logs, ignore_index=True) if logs else empty_excluded()


# pytest would collect a module-level name starting with "test" as a test function
test_hypotheses.__test__ = False

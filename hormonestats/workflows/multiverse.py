"""Multiverse analysis: one hypothesis under every combination of assay, exclusion and model decisions.

The specification-curve tools of other fields fork only the model (outcome, predictors,
covariates, subsets). In behavioural endocrinology the decisions that flip findings are made
earlier, in the assay and exclusion steps (Pollet & van der Meij 2017 show outlier choices
flipping testosterone results), so :func:`multiverse` forks those too: every specification goes
through the same derive -> model path as the planned analysis (``process_study`` with that
specification's assay options, then the registered hypothesis's own model runner), and the
default specification reproduces :func:`hormonestats.test_hypotheses` exactly.

Decisions (:data:`DECISIONS`; the package's default choice of each is marked):

* ``lod``: below-LOD readings set to LOD/2, **LOD/sqrt(2)**, excluded, or a censored likelihood
  (for a hormone outcome: the ``phase_contrast`` family);
* ``max_cv``: replicate CV (%) above which a sample is excluded: **none**, 20, 15, 10;
* ``outliers``: **kept**, winsorised at 3 SD, or excluded beyond 3 SD (log scale);
* ``transform``: **log**, none (the concentration), rank-based inverse normal (Blom 1958);
* ``genotype_coding``: additive, dominant, recessive, the literature's grouping (rs53576 GG vs
  A carriers); the hypothesis's own coding is the default;
* ``contraception``: **all** participants, or hormonal-contraception users left out;
* ``cycle_coding``: **forward** count, backward count, LH-confirmed cycles only;
* ``car_delay``: awakening samples delayed by at least 5, 10 or 15 min left out (**none**);
* ``covariates``: the sets given in ``covariate_sets``; ``subset``: the filters in ``filters``;
* ``missing``: **complete cases**, or the table multiply imputed (m = 20; below-LOD readings of
  the ``excluded`` LOD choice imputed within (0, LOD)) and the estimate pooled by Rubin's rules
  (:mod:`hormonestats.workflows.imputation`).

Combinations that cannot apply to the hypothesis or the data (a censored likelihood for a hormone
that is a predictor, a genotype coding for a hypothesis without a genotype, a delay rule for a
study that records no delays) are not run: they are listed in ``MultiverseResult.skipped`` with
the reason. Inference under the null follows Simonsohn, Simmons & Nelson (2020): see
:mod:`hormonestats.models.specification_inference`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import HormoneStatsError, ModelError
from ..models.phase_contrast import CENSORED_FAMILIES
from ..options import LOD_POLICY_LABELS, ExecutionOptions, ProcessingOptions
from ..registry.contraception import CONTRACEPTION
from ..results import conforms, empty_excluded

__all__ = ["DECISIONS", "Decision", "MultiverseResult", "multiverse"]


@dataclass(frozen=True)
class Decision:
    """One analytic decision: its choices (labels), the package's default and what it means."""

    name: str
    choices: tuple[str, ...]
    default: str
    description: str


DECISIONS: Mapping[str, Decision] = {
    d.name: d
    for d in (
        Decision("lod", tuple(LOD_POLICY_LABELS.values()),
                 LOD_POLICY_LABELS[ProcessingOptions().lod_policy],
                 "readings below the limit of detection"),
        Decision("max_cv", ("none", "20", "15", "10"), "none",
                 "replicate CV (%) above which a sample is excluded"),
        Decision("outliers", ("kept", "winsorized", "excluded"), "kept",
                 "hormone values beyond 3 SD of the mean (log scale)"),
        Decision("transform", ("log", "none", "rank_normal"), "log",
                 "scale of the hormone variables"),
        Decision("genotype_coding", ("additive", "dominant", "recessive", "grouping"),
                 "hypothesis", "genotype coding"),
        Decision("contraception", ("all", "non_users"), "all",
                 "hormonal contraception users kept or left out"),
        Decision("cycle_coding", ("forward", "backward", "lh_confirmed"), "forward",
                 "menstrual-cycle phase coding"),
        Decision("car_delay", ("none", "5", "10", "15"), "none",
                 "awakening samples delayed by at least this many minutes left out"),
        Decision("covariates", (), "", "covariate set"),
        Decision("subset", (), "all", "user-given subsets"),
        Decision("missing", ("complete_cases", "imputed"), "complete_cases",
                 "missing values: complete cases, or multiple imputation pooled by Rubin's "
                 "rules"),
    )
}

#: decisions varied when the caller names none
DEFAULT_DECISIONS = ("lod", "max_cv", "outliers", "transform")

_LOD_POLICY = {label: policy for policy, label in LOD_POLICY_LABELS.items()}
#: hormonal methods of the registry's contraception vocabulary (a copper IUD is not hormonal)
_HORMONAL = tuple(c for c in CONTRACEPTION if c not in ("copper_iud", "none"))


@conforms("multiverse", short=False)
@dataclass(frozen=True)
class MultiverseResult:
    """Result of :func:`multiverse`.

    Attributes
    ----------
    table : DataFrame
        One row per specification run: ``spec_id``, one column per decision (the choice),
        ``estimate, std_error, conf_low, conf_high, p_value, n``, ``is_default`` and ``status``
        (``"tested"`` or ``"failed"`` with ``reason``).
    skipped : DataFrame
        Combinations that cannot apply: one column per decision and ``reason``.
    decisions : dict
        Decision name -> the choices varied.
    hypothesis : str
    predicted_sign : int
    inference : DataFrame or None
        Simonsohn et al. (2020) tests under the null (see :meth:`importance` for the decisions
        that matter); None when ``n_null`` was 0 or the family has no null resampling.
    n_obs : int
        Rows analysed by the default specification (the largest specification if the default
        did not run); each specification's own ``n`` is in ``table``.
    excluded : DataFrame
        Empty: the specifications leave out different rows by design (``n`` per row).
    """

    table: pd.DataFrame
    skipped: pd.DataFrame
    decisions: dict
    hypothesis: str
    predicted_sign: int
    alpha: float
    inference: pd.DataFrame | None = None
    notes: tuple[str, ...] = field(default=())
    n_obs: int = 0
    excluded: pd.DataFrame = field(default_factory=empty_excluded, repr=False)
    #: role -> column the hypothesis was tested with (the user's over the registered defaults)
    mapping: Mapping[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        tested = int((self.table["status"] == "tested").sum())
        return (f"MultiverseResult({self.hypothesis!r}: {tested} specifications tested, "
                f"{len(self.skipped)} skipped)")

    def importance(self) -> pd.DataFrame:
        """Share of the variance of the estimates explained by each decision.

        For each decision, the between-choice sum of squares of the estimates over their total
        sum of squares (eta squared of a one-way layout; decisions with one choice give 0).
        """
        tested = self.table[self.table["status"] == "tested"]
        est = tested["estimate"].astype(float)
        total = float(((est - est.mean()) ** 2).sum())
        rows = []
        for name in self.decisions:
            means = est.groupby(tested[name]).transform("mean")
            between = float(((means - est.mean()) ** 2).sum())
            rows.append({"decision": name, "n_choices": int(tested[name].nunique()),
                         "variance_share": between / total if total > 0 else 0.0})
        return pd.DataFrame(rows).sort_values("variance_share", ascending=False,
                                              ignore_index=True)

    def _tables(self):
        tested = self.table[self.table["status"] == "tested"]
        summary = pd.DataFrame([{
            "specifications": len(tested),
            "skipped": len(self.skipped),
            "failed": int((self.table["status"] == "failed").sum()),
            "median_estimate": float(tested["estimate"].median()) if len(tested) else np.nan,
            "share_significant": float((tested["p_value"] < self.alpha).mean())
            if len(tested) else np.nan,
        }])
        parts = [("Specifications", summary), ("Decisions that matter", self.importance())]
        if self.inference is not None:
            parts.append(("Inference under the null (Simonsohn et al. 2020)", self.inference))
        return parts

    def _display(self):
        return f"Multiverse: {self.hypothesis}", self._tables(), list(self.notes)

    def _facts(self):
        tested = self.table["status"] == "tested"
        return {"hypothesis": self.hypothesis,
                "decisions": {k: list(v) for k, v in self.decisions.items()},
                "n_specifications": int(tested.sum()), "n_skipped": len(self.skipped),
                "alpha": self.alpha, "null_inference": self.inference is not None}


# ------------------------------------------------------------------------------------------
# specifications
# ------------------------------------------------------------------------------------------
def _resolve_decisions(decisions, covariates, covariate_sets, filters, hyp) -> dict:
    if decisions is None:
        decisions = {name: DECISIONS[name].choices for name in DEFAULT_DECISIONS}
    elif not isinstance(decisions, Mapping):
        raise ModelError("decisions must map decision names to lists of choices, e.g. "
                         "{'lod': ['lod/2', 'lod/sqrt2'], 'outliers': ['kept', 'excluded']}")
    out = {}
    problems = []
    for name, choices in decisions.items():
        if name not in DECISIONS:
            problems.append(f"unknown decision {name!r}; available: {', '.join(DECISIONS)}")
            continue
        if name in ("covariates", "subset"):
            problems.append(f"decision {name!r} is set with "
                            f"{'covariate_sets' if name == 'covariates' else 'filters'}=")
            continue
        if choices is None or (isinstance(choices, str) and choices == "all"):
            choices = DECISIONS[name].choices
        if isinstance(choices, str):
            choices = [c.strip() for c in choices.split(",")]
        choices = [str(c) for c in choices]
        bad = [c for c in choices if c not in DECISIONS[name].choices]
        if bad:
            problems.append(f"decision {name!r}: unknown choice(s) {bad}; allowed: "
                            f"{', '.join(DECISIONS[name].choices)}")
            continue
        if not choices:
            problems.append(f"decision {name!r} has no choices")
            continue
        out[name] = tuple(dict.fromkeys(choices))
    if covariate_sets is not None:
        sets = [tuple(s) for s in covariate_sets]
        if not sets:
            problems.append("covariate_sets is empty")
        out["covariates"] = tuple(" + ".join(s) if s else "none" for s in sets)
    if filters:
        bad = [k for k, f in filters.items() if not callable(f)]
        if bad:
            problems.append(f"filters {bad} must be callables taking the analysis table and "
                            "returning a boolean mask")
        out["subset"] = ("all", *filters)
    if problems:
        raise ModelError("multiverse: " + "; ".join(problems))
    return out


def _default_choice(name, hyp, covariates) -> str:
    if name == "genotype_coding":
        return str(hyp.options.get("coding", "additive"))
    if name == "covariates":
        return " + ".join(covariates) if covariates else "none"
    return DECISIONS[name].default


def _skip_reason(spec: Mapping[str, str], hyp, defaults, study, table_cols) -> str | None:
    """Why a combination cannot apply, or None when it can."""
    has_hormone = any(r not in ("outcome", "anxiety", "oxytocin", "subject")
                      and not r.startswith("rs") for r in hyp.role_names)
    for name, choice in spec.items():
        if choice == defaults[name]:
            continue
        if name == "lod" and choice == "censored" and hyp.family not in CENSORED_FAMILIES:
            return (f"a censored likelihood needs the hormone as the model's outcome; in "
                    f"{hyp.name} the hormones are predictors or mediators")
        if name in ("outliers", "transform") and not has_hormone:
            return f"{hyp.name} has no hormone variable for this decision"
        if name == "genotype_coding" and hyp.family != "gxe":
            return f"{hyp.name} has no genotype variable"
        if name == "contraception" and "contraception" not in table_cols:
            return "the analysis table has no contraception column"
        if name == "cycle_coding":
            if "cycles" not in study.tables:
                return "the study has no cycles table"
            if choice in ("forward", "backward"):
                return f"{hyp.name} does not use cycle phase, so the phase count does not apply"
            if "lh_confirmed" not in table_cols:
                return "the analysis table records no LH-confirmed cycles"
        if name == "car_delay":
            samples = study.tables.get("samples")
            if samples is None or "delay" not in samples.columns:
                return "the samples table records no delay from waking ('delay' column)"
    return None


def _hormone_columns(hyp, cols: Mapping[str, str]) -> list[str]:
    return [c for c in cols.values() if isinstance(c, str) and c.startswith("log_")]


def _rank_normal(x: pd.Series) -> pd.Series:
    """Rank-based inverse normal transform with Blom's (1958) offsets; missing stay missing."""
    ok = x.notna()
    r = x[ok].rank(method="average")
    out = pd.Series(np.nan, index=x.index)
    out[ok] = stats.norm.ppf((r - 3 / 8) / (ok.sum() + 1 / 4))
    return out


def _apply_table_decisions(table, spec, hyp, cols, filters) -> pd.DataFrame:
    """The analysis table of one specification (a new frame; the input is not changed)."""
    out = table.copy()
    for col in _hormone_columns(hyp, cols):
        z = out[col].astype(float)
        mean, sd = z.mean(), z.std(ddof=1)
        if spec.get("outliers") == "winsorized":
            z = z.clip(mean - 3 * sd, mean + 3 * sd)
        elif spec.get("outliers") == "excluded":
            z = z.where((z - mean).abs() <= 3 * sd)
        transform = spec.get("transform", "log")
        if transform == "none":
            z = np.exp(z)
        elif transform == "rank_normal":
            z = _rank_normal(z)
        out[col] = z
    if spec.get("contraception") == "non_users":
        text = out["contraception"].astype("string").str.lower()
        out = out[~text.isin(_HORMONAL).fillna(False).astype(bool)]
    if spec.get("cycle_coding") == "lh_confirmed":
        out = out[out["lh_confirmed"].fillna(False).astype(bool)]
    subset = spec.get("subset", "all")
    if subset != "all":
        mask = pd.Series(np.asarray(filters[subset](out), dtype=bool), index=out.index)
        out = out[mask]
    return out


def _gene_column(cols, coding, table_cols) -> tuple[str, str]:
    """(column, runner coding) for a genotype coding decision."""
    gene = cols["m"]
    stem = gene.split("_")[0]
    if coding == "grouping":
        grouped = [c for c in table_cols if c.startswith(f"{stem}_") and "_vs_" in c]
        if grouped:
            return grouped[0], "group"
    return gene, coding


def _run_group(study, hyp, mapping, group_specs, process_options, opts, filters):
    """Process the study once for a set of specifications and fit each of them."""
    from ..derive.processing import process_study
    from ..models.hypotheses import RUNNERS
    from ..models.runners import ITEM_FAMILIES

    processed = process_study(study, **process_options)
    table = processed.table
    if hyp.family in ITEM_FAMILIES:  # the item-level model reads the keyed item responses
        from ..derive.items import study_item_table

        items = study_item_table(study)
        opts = {**opts, "items": None if items is None else items.data}
    rows, designs = [], []
    imputed = None
    for spec_id, spec, covs in group_specs:
        row = {"spec_id": spec_id, **spec}
        cols = {arg: mapping[role] for arg, role in hyp.roles.items() if role in mapping}
        h = hyp
        if "genotype_coding" in spec and hyp.family == "gxe":
            gene, coding = _gene_column(cols, spec["genotype_coding"], table.columns)
            cols["m"] = gene
            h = replace(hyp, options={**hyp.options, "coding": coding})
        try:
            own = set(cols.values())
            model_covs = [c for c in covs if c not in own]
            if spec.get("missing") == "imputed":
                from . import imputation as mi

                if imputed is None:  # once per set of processing choices
                    imputed = mi.impute(study, processed=processed, m=mi.MULTIVERSE_M,
                                        seed=opts["seed"] or 0, mapping=mapping)
                datas = [_apply_table_decisions(t, spec, hyp, cols, filters) for t in imputed]
                result, key = mi.run_pooled(datas, RUNNERS[hyp.family], h, cols, model_covs,
                                            opts)
                data = datas[0]
            else:
                data = _apply_table_decisions(table, spec, hyp, cols, filters)
                result, key = RUNNERS[hyp.family](data, h, cols, model_covs, opts)
        except (HormoneStatsError, KeyError, ValueError, np.linalg.LinAlgError) as exc:
            row.update(status="failed", reason=f"{type(exc).__name__}: {exc}")
            rows.append(row)
            designs.append(None)
            continue
        row.update({k: key[k] for k in ("estimate", "std_error", "conf_low", "conf_high",
                                        "p_value", "n")}, status="tested", reason="")
        rows.append(row)
        designs.append(_design_of(result, key["term"], data))
    return rows, designs


#: families whose ``.fit`` is one statsmodels regression holding the deciding term: their
#: specifications can be resampled under the null
_REGRESSION_FAMILIES = ("moderation", "gxe", "regression")


def _design_of(result, term, data):
    """(X, y, key column index, subject ids) of a regression fit, for inference under the
    null; None for the other families."""
    if result.family not in _REGRESSION_FAMILIES:
        return None
    model = result.fit.model
    names = list(model.exog_names)
    if term not in names:
        return None
    labels = getattr(model.data, "row_labels", None)
    if labels is None or "subject_id" not in data.columns:
        return None
    return (np.asarray(model.exog, dtype=float), np.asarray(model.endog, dtype=float),
            names.index(term), data.loc[labels, "subject_id"].astype(str).to_numpy())


def multiverse(
    study,
    *,
    hypothesis: str,
    decisions: Mapping[str, Sequence[str]] | None = None,
    mapping: Mapping[str, str] | None = None,
    covariates: Sequence[str] = (),
    covariate_sets: Sequence[Sequence[str]] | None = None,
    filters: Mapping[str, Callable] | None = None,
    n_null: int = 0,
    alpha: float = 0.05,
    n_boot: int = 2000,
    execution: ExecutionOptions | Mapping | None = None,
    seed: int | None = None,
    n_jobs: int | None = None,
    scheduler=None,
    progress: bool | None = None,
) -> MultiverseResult:
    """Run one registered hypothesis under every combination of the chosen decisions.

    Parameters
    ----------
    study : Study
    hypothesis : str
        A name from ``hs.hypotheses``.
    decisions : mapping, optional
        Decision name -> choices to vary (see :data:`DECISIONS`); a decision left out keeps its
        default. Default: ``lod``, ``max_cv``, ``outliers`` and ``transform``, all choices.
    mapping : role -> column of the analysis table, as for :func:`hormonestats.test_hypotheses`;
        the roles left out (all of them with None) take the registered defaults
        (:data:`hormonestats.DEFAULT_ROLES`, the first default column the table has).
    covariates : covariates of the planned analysis (the default specification).
    covariate_sets : sequence of covariate lists, optional
        Adds the ``covariates`` decision with these sets (include the planned one).
    filters : mapping of label -> callable(table) -> boolean mask, optional
        Adds the ``subset`` decision (``"all"`` plus each filter).
    n_null : int
        Resamples under the null for the specification-curve tests (0: none).
    alpha : float
        Significance level of the individual specifications.
    n_boot : int
        Bootstrap resamples of the mediation hypotheses.
    execution : :class:`~hormonestats.options.ExecutionOptions` or mapping, optional
        The seed (of the mediation bootstraps, the same in every specification, and of the null
        draws; default :data:`~hormonestats.options.DEFAULT_SEED`) and where the
        specifications run: in-process, local processes, or a Dask scheduler address or Client
        (:mod:`hormonestats.parallel`), one task per set of processing choices, with identical
        results for every choice; ``progress`` shows a bar fed by finished tasks.
    seed, n_jobs, scheduler, progress
        The same as keywords (they override ``execution``).

    Returns
    -------
    MultiverseResult
    """
    from ..derive.processing import process_study
    from ..models.claims import default_mapping
    from ..models.hypotheses import hypotheses as registry
    from ..models.specification_inference import null_inference
    from ..parallel import map_tasks

    ex = ExecutionOptions.coerce(execution, seed=seed, n_jobs=n_jobs, scheduler=scheduler,
                                 progress=progress)
    seed = ex.seed
    if hypothesis not in registry:
        raise ModelError(f"unknown hypothesis {hypothesis!r}; registered: {', '.join(registry)}")
    hyp = registry[hypothesis]
    table_cols = set(process_study(study).table.columns)
    mapping = default_mapping(table_cols, mapping)
    missing = [r for r in hyp.required_roles if r not in mapping]
    if missing:
        raise ModelError(f"multiverse: roles not mapped for {hypothesis}: {', '.join(missing)}")
    filters = dict(filters or {})
    chosen = _resolve_decisions(decisions, covariates, covariate_sets, filters, hyp)
    defaults = {name: _default_choice(name, hyp, covariates) for name in DECISIONS}
    cov_lookup = {" + ".join(s) if s else "none": tuple(s) for s in (covariate_sets or [])}
    names = list(chosen)
    absent = [f"{role}={mapping[role]}" for role in hyp.role_names
              if role in mapping and mapping[role] not in table_cols]
    if absent:
        import difflib

        hints = "; ".join(
            f"{item}: closest {', '.join(difflib.get_close_matches(item.split('=')[1], table_cols, n=3)) or 'none'}"
            for item in absent)
        raise ModelError(f"multiverse: the analysis table has no column for {hints}")
    runnable, skipped = [], []
    for spec_id, combo in enumerate(itertools.product(*(chosen[n] for n in names))):
        spec = dict(zip(names, combo))
        reason = _skip_reason(spec, hyp, defaults, study, table_cols)
        if reason is not None:
            skipped.append({**spec, "reason": reason})
            continue
        covs = cov_lookup.get(spec.get("covariates"), tuple(covariates))
        runnable.append((spec_id, spec, covs))
    groups: dict[tuple, list] = {}
    for item in runnable:
        spec = item[1]
        key = tuple(spec.get(n, defaults[n]) for n in ("lod", "max_cv", "car_delay"))
        groups.setdefault(key, []).append(item)
    opts = {"conf_level": 0.95, "n_boot": n_boot, "seed": seed}
    tasks = []
    for (lod, cv, delay), items in groups.items():
        options = {"lod_policy": _LOD_POLICY[lod]}
        if cv != "none":
            options.update(max_cv=float(cv), exclude_imprecise=True)
        tasks.append((_delayed_out(study, delay), hyp, dict(mapping), items, options, opts,
                      filters))
    outputs = map_tasks(_run_group_task, tasks, seed=seed, n_jobs=ex.n_jobs,
                        scheduler=ex.scheduler, weights=[len(task[3]) for task in tasks],
                        batch_size=1, progress=ex.progress,
                        label="specifications (by processing choices)")
    rows, designs = [], []
    for part_rows, part_designs in outputs:
        rows += part_rows
        designs += part_designs
    table = _result_table(rows, names, defaults)
    order = np.argsort(table["spec_id"].to_numpy(), kind="stable")
    designs = [designs[i] for i in order]
    table = table.iloc[order].reset_index(drop=True)
    skipped_frame = pd.DataFrame(skipped, columns=[*names, "reason"])
    notes = [f"Default specification: {', '.join(f'{n} = {defaults[n]}' for n in names)}."]
    inference = None
    if n_null:
        inference, note = null_inference(table, designs, predicted_sign=hyp.predicted_sign,
                                         alpha=alpha, n_null=n_null, seed=seed)
        notes.append(note)
    return MultiverseResult(table=table, skipped=skipped_frame, decisions=chosen,
                            hypothesis=hypothesis, predicted_sign=hyp.predicted_sign,
                            alpha=alpha, inference=inference, notes=tuple(notes),
                            n_obs=_default_n(table), mapping=dict(mapping))


def _default_n(table: pd.DataFrame) -> int:
    """Rows of the default specification, or of the largest one if the default did not run."""
    tested = table.loc[table["status"] == "tested"]
    default = tested.loc[tested["is_default"].astype(bool), "n"]
    return int(default.iloc[0]) if len(default) else int(tested["n"].max() if len(tested) else 0)


def _run_group_task(task, _seed):
    # the specifications draw no random numbers of their own: the mediation bootstraps use
    # the run's seed in every specification, so every choice is compared on the same resamples
    return _run_group(*task)


def _delayed_out(study, delay: str):
    """The study without the samples taken at least ``delay`` minutes after waking."""
    if delay == "none":
        return study
    samples = study.tables["samples"]
    late = pd.to_numeric(samples["delay"], errors="coerce") >= float(delay)
    return replace(study, tables={**study.tables, "samples": samples.loc[~late]})


def _result_table(rows, names, defaults) -> pd.DataFrame:
    columns = ["spec_id", *names, "estimate", "std_error", "conf_low", "conf_high", "p_value",
               "n", "is_default", "status", "reason"]
    table = pd.DataFrame(rows)
    for c in columns:
        if c not in table.columns:
            table[c] = np.nan
    table["is_default"] = np.all([table[n].astype(str) == defaults[n] for n in names], axis=0) \
        if names and len(table) else False
    table["n"] = pd.to_numeric(table["n"], errors="coerce").fillna(0).astype(int)
    for c in ("estimate", "std_error", "conf_low", "conf_high", "p_value"):
        table[c] = table[c].astype(float)
    return table[columns]

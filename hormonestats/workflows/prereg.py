"""Pre-registration: the analysis plan written down before the data, frozen by a content hash.

:func:`preregister` builds the plan from what hormonestats already holds: the study contract
(measures, units, matrices, LOD policy, exclusion rules, instruments), the hypothesis registry
(claims, predicted signs, model families, roles), the covariates, the processing options, the
inference criteria (alpha, multiplicity correction, confidence level) and the planned sample
size, with the power analysis behind it (:func:`hormonestats.power`,
:func:`hormonestats.sample_size_for`). The contract alone suffices: without data the roles are
resolved against the columns the contract will produce (:func:`expected_columns`); with data
against the processed analysis table.

The plan is plain JSON (``plan.json``); its ``hash`` is the SHA-256 of the canonical JSON of
everything else (keys sorted, no spaces, UTF-8), so an edit after the fact no longer matches.
:func:`load_plan` is strict: unknown or misspelt keys are refused with the closest key
suggested, every hypothesis must be registered, and a hash that no longer matches is detected
(the plan is loaded, marked as edited, and every report says so).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import HormoneStatsError
from ..options import DEFAULT_SEED, ProcessingOptions
from .plan_checks import PLAN_FORMAT, PLAN_KEYS, PlanError, plan_problems

__all__ = ["PLAN_FORMAT", "PLAN_KEYS", "Plan", "PlanError", "build_plan", "canonical_json",
           "contract_exclusions", "contract_measures", "expected_columns", "freeze",
           "load_plan", "plan_hash", "plan_problems", "preregister"]


def canonical_json(content: Mapping) -> str:
    """The canonical JSON text of a plan's content (keys sorted, no spaces), which is hashed.

    >>> canonical_json({"b": 1, "a": [1.5, "x"]})
    '{"a":[1.5,"x"],"b":1}'
    """
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def plan_hash(content: Mapping) -> str:
    """``sha256:<hex>`` of the canonical JSON of a plan without its ``hash`` key.

    >>> plan_hash({"format": "x", "hash": "ignored"}) == plan_hash({"format": "x"})
    True
    """
    body = {k: v for k, v in content.items() if k != "hash"}
    return "sha256:" + hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Plan:
    """A frozen pre-registration plan.

    Attributes
    ----------
    content : dict
        The plan as written to ``plan.json`` (with its ``hash``).
    path : str or None
        The file it was read from.
    computed_hash : str
        The hash of the content as it is now; ``matches`` is False when it differs from the
        stored ``hash`` (the plan was edited after it was frozen).
    """

    content: Mapping[str, Any]
    path: str | None = None
    computed_hash: str = ""

    @property
    def stored_hash(self) -> str:
        return str(self.content.get("hash", ""))

    @property
    def matches(self) -> bool:
        """True when the plan still matches the hash it was frozen with."""
        return self.stored_hash == (self.computed_hash or plan_hash(self.content))

    @property
    def short_hash(self) -> str:
        """The first 12 hex digits of the stored hash (how reports cite the plan)."""
        return self.stored_hash.removeprefix("sha256:")[:12]

    @property
    def date(self) -> str:
        """The date the plan was frozen (YYYY-MM-DD)."""
        return str(self.content.get("created", ""))[:10]

    def hypotheses(self) -> list[str]:
        return [h["name"] for h in self.content.get("hypotheses", [])]

    def integrity(self) -> str:
        """One sentence on the plan's identity, and whether it still matches its hash."""
        if self.matches:
            return (f"pre-registered plan {self.short_hash} of {self.date} (its content matches "
                    "its hash)")
        return (f"the plan file {self.path or ''} no longer matches its hash {self.short_hash} "
                f"(content now {self.computed_hash.removeprefix('sha256:')[:12]}): it was "
                "edited after it was frozen, so it is not the plan that was registered")

    def __repr__(self) -> str:
        state = "matches its hash" if self.matches else "EDITED after freezing"
        return (f"Plan({self.content.get('study', {}).get('name', '?')!r}, "
                f"{len(self.hypotheses())} hypotheses, {self.short_hash}, {self.date}, {state})")


def freeze(content: Mapping) -> Plan:
    """The plan with its content hash set (a new dict; the argument is not changed)."""
    body = json.loads(canonical_json({k: v for k, v in content.items() if k != "hash"}))
    body["hash"] = plan_hash(body)
    return Plan(content=body, computed_hash=body["hash"])


# ---------------------------------------------------------------- what the contract says
def contract_measures(contract) -> dict:
    """The measures a contract names: analytes with unit, matrix, method; SNPs; instruments."""
    analytes = {name: {"unit": list(spec.units), "matrix": list(spec.matrices),
                       "method": spec.method, "extracted": spec.extracted}
                for name, spec in contract.analytes.items()}
    return {"analytes": analytes, "snps": sorted(contract.snps),
            "instruments": sorted(contract.instruments), "agents": list(contract.agents)}


def contract_exclusions(contract) -> dict:
    """The contract's exclusion rules: items an instrument score may miss, analyte ranges."""
    from ..registry.instruments import get_instrument

    instruments = {}
    for name, spec in contract.instruments.items():
        limit = spec.max_missing
        if limit is None:
            try:
                limit = get_instrument(name).max_missing
            except HormoneStatsError:
                limit = None
        instruments[name] = {"max_missing": None if limit is None else int(limit)}
    analytes = {name: {"range": list(spec.range) if spec.range is not None else None,
                       "enforce_range": bool(spec.enforce_range)}
                for name, spec in contract.analytes.items()}
    return {"instruments": instruments, "analytes": analytes}


def expected_columns(contract, options: ProcessingOptions | None = None) -> list[str]:
    """The analysis-table columns a contract will produce, as far as the roles need them.

    Subject identifier and declared subject columns; each analyte (and its log when the
    transform is ``log``); each instrument's score columns; the default genotype codings of
    the contract's SNPs; ``oxytocin_arm`` when intranasal oxytocin is given; the design's
    structural columns; cycle day and phase when the contract has a ``cycles`` table.
    Cortisol features (AUCs, reactivity) need the samples' times and are not assumed.

    >>> from hormonestats.study.contracts import load_contract
    >>> cols = expected_columns(load_contract("schemas/example_study.yaml"))
    >>> [c for c in ("rmet_total", "log_estradiol", "oxytocin_arm", "rs53576_add_A") if c in cols]
    ['rmet_total', 'log_estradiol', 'oxytocin_arm', 'rs53576_add_A']
    """
    from ..models.claims import DEFAULT_ROLES
    from ..registry.instruments import get_instrument

    options = options or ProcessingOptions()
    cols = ["subject_id", *contract.columns.get("subjects", {})]
    for analyte in contract.analytes:
        cols.append(analyte)
        if options.transform == "log":
            cols.append(f"log_{analyte}")
    for name in contract.instruments:
        try:
            cols += list(get_instrument(name).score_columns)
        except HormoneStatsError:
            cols.append(f"{name}_total")
    defaults = {c for cs in DEFAULT_ROLES.values() for c in cs}
    cols += sorted(c for c in defaults if c.split("_")[0] in contract.snps)
    if "intranasal_oxytocin" in contract.agents:  # the arm processing derives (1 / 0 placebo)
        cols.append("oxytocin_arm")
    structural = {"within": ("session",), "crossover": ("session", "sequence"),
                  "dyadic": ("dyad_id", "role")}
    cols += list(structural.get(contract.design, ()))
    if "cycles" in contract.tables:  # menses onsets and LH tests give the cycle columns
        from ..derive.processing import CYCLE_COLUMNS

        cols += list(CYCLE_COLUMNS)
    return list(dict.fromkeys(cols))


# ---------------------------------------------------------------- building the plan
def _hypotheses(contract, columns, names, mapping) -> tuple[list[dict], dict]:
    """The planned hypotheses (those given, or every one applicable) and their roles."""
    import pandas as pd

    from ..models.hypotheses import hypotheses as registry
    from .roles import merge_mapping, role_plan

    unknown = [h for h in names or () if h not in registry]
    if unknown:
        from ..study.words import suggest

        raise PlanError("; ".join(f"hypothesis {h!r} is not registered{suggest(h, registry)}"
                                  for h in unknown) + f" (registered: {', '.join(registry)})")
    table = pd.DataFrame(columns=list(columns))
    plan = role_plan(table, design=contract.design, mapping=mapping, hypotheses=names,
                     instruments=tuple(contract.instruments))
    if names is not None:
        blocked = plan[plan["status"] != "applicable"]
        if len(blocked):
            raise PlanError("; ".join(f"hypothesis {r.hypothesis!r} cannot apply to this study: "
                                      f"{r.reason}" for r in blocked.itertuples()))
    chosen = plan.loc[plan["status"] == "applicable", "hypothesis"].tolist()
    if not chosen:
        raise PlanError(
            "no registered hypothesis applies to this study as its contract stands (its roles "
            "were looked for among the columns the contract will produce; features such as "
            "cortisol_auc_i need the data): give the data folder, or name the hypotheses "
            "(--hypotheses) and map their roles (--map role=column)")
    merged = merge_mapping(mapping, table.columns)
    rows, roles = [], {}
    for name in chosen:
        hyp = registry[name]
        own = {r: merged[r] for r in hyp.role_names if r in merged}
        roles.update(own)
        rows.append({"name": name, "claim": hyp.claim, "family": hyp.family,
                     "key_term": hyp.key_term, "predicted_sign": int(hyp.predicted_sign),
                     "roles": own})
    return rows, dict(sorted(roles.items()))


def _sample_size(n, power_for, *, target_power, effects, n_sims, alpha, seed) -> dict:
    """The planned n and the power analysis behind it."""
    if n is None and power_for is None:
        raise PlanError("the plan needs a planned sample size: give n (--n) or a hypothesis "
                        "to base it on a power analysis (--power-for)")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 2):
        raise PlanError(f"planned sample size n must be a whole number >= 2, got {n!r}")
    if power_for is None:
        return {"n": int(n), "basis": "given", "power": None}
    from ..simulate.power import power as power_at
    from ..simulate.power import sample_size_for

    seed = DEFAULT_SEED if seed is None else int(seed)
    if n is None:
        row = sample_size_for(power_for, power=target_power, effects=effects, n_sims=n_sims,
                              alpha=alpha, seed=seed).iloc[0]
    else:
        row = power_at(power_for, n=int(n), effects=effects, n_sims=n_sims, alpha=alpha,
                       seed=seed).iloc[0]
    power = {"hypothesis": str(power_for), "term": str(row["term"]),
             "target_power": float(target_power) if n is None else None,
             "power": float(row["power"]), "mc_se": float(row["mc_se"]),
             "n_sims": int(row["n_sims"]), "alpha": float(alpha), "seed": seed,
             "effects": dict(effects) if effects else None}
    return {"n": int(row["n"]), "basis": "power analysis", "power": power}


def build_plan(
    contract, *, columns: Sequence[str] | None = None, hypotheses: Sequence[str] | None = None,
    n: int | None = None, mapping: Mapping[str, str] | None = None,
    covariates: Sequence[str] = (), options: ProcessingOptions | Mapping | None = None,
    alpha: float = 0.05, fdr_method: str = "fdr_bh", conf_level: float = 0.95,
    n_boot: int = 5000, impute: int = 0, power_for: str | None = None,
    target_power: float = 0.8, effects: Mapping | None = None, n_sims: int = 1000,
    seed: int | None = None, created: str | None = None,
) -> dict:
    """The plan's content (not yet frozen); see :func:`preregister` for the parameters."""
    from .. import __version__
    from ..models.effects import FDR_METHODS

    processing = ProcessingOptions.coerce(options)
    if fdr_method not in FDR_METHODS:
        raise PlanError(f"fdr_method {fdr_method!r} is unknown; allowed: {', '.join(FDR_METHODS)}")
    if isinstance(impute, bool) or not isinstance(impute, int) or impute == 1 or impute < 0:
        raise PlanError(f"impute must be 0 (complete cases) or m >= 2, got {impute!r}")
    for name, value in (("alpha", alpha), ("conf_level", conf_level)):
        if not (isinstance(value, int | float) and 0 < value < 1):
            raise PlanError(f"{name} must be between 0 and 1, got {value!r}")
    data_seen = columns is not None
    columns = list(columns) if data_seen else expected_columns(contract, processing)
    rows, roles = _hypotheses(contract, columns, hypotheses, dict(mapping or {}))
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    if data_seen:
        from .roles import check_columns

        check_columns(columns, mapping=mapping, covariates=covariates)
    created = created or datetime.now(UTC).replace(microsecond=0).isoformat()
    return {
        "format": PLAN_FORMAT, "created": created, "package_version": __version__,
        "data_seen": data_seen,
        "study": {"name": str(contract.name), "design": str(contract.design),
                  "description": str(contract.description or "")},
        "hypotheses": rows, "roles": roles, "covariates": covariates,
        "processing": processing.as_dict(),
        "exclusion_rules": contract_exclusions(contract),
        "measures": contract_measures(contract),
        "sample_size": _sample_size(n, power_for, target_power=target_power, effects=effects,
                                    n_sims=n_sims, alpha=alpha, seed=seed),
        "inference": {"alpha": float(alpha), "fdr_method": fdr_method,
                      "conf_level": float(conf_level), "n_boot": int(n_boot),
                      "impute": int(impute)},
    }


def preregister(
    contract, data=None, *, out=None, hypotheses: Sequence[str] | None = None,
    n: int | None = None, mapping: Mapping[str, str] | None = None,
    covariates: Sequence[str] = (), options: ProcessingOptions | Mapping | None = None,
    alpha: float = 0.05, fdr_method: str = "fdr_bh", conf_level: float = 0.95,
    n_boot: int = 5000, impute: int = 0, power_for: str | None = None,
    target_power: float = 0.8, effects: Mapping | None = None, n_sims: int = 1000,
    seed: int | None = None, created: str | None = None, replace: bool = False,
) -> Plan:
    """Write the analysis plan before the data: a frozen, hashed pre-registration.

    Parameters
    ----------
    contract : path, Contract or Study
        The study contract (a :class:`~hormonestats.study.reading.Study` brings its data).
    data : path, optional
        The data folder; when given (or a Study is), roles are resolved against the processed
        analysis table. The contract alone suffices.
    out : path, optional
        Folder to write ``plan.json``, ``preregistration.md`` and ``preregistration.docx``
        into (through the output guard: never the data folder, never an input).
    hypotheses : names from ``hs.hypotheses``; None: every one applicable to the study.
    n : int, optional
        Planned sample size: participants (couples in a dyadic design, as
        :func:`hormonestats.power` counts them). Without it, ``power_for`` gives it.
    mapping, covariates, options
        Roles -> columns, covariates of every model, processing options (LOD policy, CV limit,
        ...), as :func:`hormonestats.workflows.pipeline.run_analysis` takes them.
    alpha, fdr_method, conf_level, n_boot
        Inference criteria: the level, the multiplicity correction across the family
        (:func:`hormonestats.fdr` methods), the confidence level, the bootstrap resamples.
    impute : int
        Missing data: 0 complete cases (default), m >= 2 multiple imputation pooled by Rubin's
        rules (as ``run_analysis(impute=m)``).
    power_for : str, optional
        A hypothesis whose simulated power is the basis of n: with ``n`` the power at n
        (:func:`hormonestats.power`), without it the smallest n reaching ``target_power``
        (:func:`hormonestats.sample_size_for`).
    target_power, effects, n_sims, seed
        Of the power analysis.
    created : str, optional
        The ISO time the plan is frozen at (default: now, UTC).
    replace : bool
        Replace another plan already in ``out`` (refused by default).

    Returns
    -------
    Plan

    Examples
    --------
    >>> import hormonestats as hs
    >>> plan = hs.preregister("schemas/example_study.yaml", n=200,
    ...                       hypotheses=["progesterone_anxiety"], created="2026-01-05T09:00:00+00:00")
    >>> plan.matches, plan.date, plan.content["roles"]
    (True, '2026-01-05', {'anxiety': 'pss10_total', 'progesterone': 'log_progesterone'})
    """
    from ..study.contracts import Contract, load_contract

    study = None
    if hasattr(contract, "contract") and hasattr(contract, "tables"):
        study, contract = contract, contract.contract
    elif not isinstance(contract, Contract):
        contract = load_contract(contract)
    if data is not None and study is None:
        from ..study.reading import read_study

        study = read_study(contract, data)
    if out is not None:  # refuse a folder the plan may not go to before any work is done
        from ..report.output_guard import check_results_folder

        check_results_folder(out, _inputs(contract, study))
    columns = None
    if study is not None:
        from ..derive.processing import process_study
        from ..study.validation import validate

        validate(study).raise_for_errors()
        columns = list(process_study(study, options=ProcessingOptions.coerce(options)).table.columns)
    content = build_plan(contract, columns=columns, hypotheses=hypotheses, n=n, mapping=mapping,
                         covariates=covariates, options=options, alpha=alpha,
                         fdr_method=fdr_method, conf_level=conf_level, n_boot=n_boot,
                         impute=impute,
                         power_for=power_for, target_power=target_power, effects=effects,
                         n_sims=n_sims, seed=seed, created=created)
    plan = freeze(content)
    if out is not None:
        plan = write_plan(plan, out, protect=_inputs(contract, study), replace=replace)
    return plan


def _inputs(contract, study):
    from ..report.output_guard import run_inputs, study_inputs

    inputs = run_inputs([contract.path] if contract.path else [])
    return inputs + study_inputs(study) if study is not None else inputs


def write_plan(plan: Plan, out, *, protect=None, replace: bool = False) -> Plan:
    """Write ``plan.json``, ``preregistration.md`` and ``preregistration.docx`` (when
    python-docx is installed: ``pip install hormonestats[docx]``) into ``out``.

    A folder that already holds another frozen plan is refused unless ``replace`` (a
    registered plan is not overwritten by accident)."""
    from ..report.folder import _has_docx
    from ..report.prereg_document import plan_docx, plan_markdown
    from ..report.provenance import results_folder

    earlier = Path(out) / "plan.json"
    if earlier.is_file() and not replace:
        try:
            old = json.loads(earlier.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = {}
        if not isinstance(old, Mapping) or old.get("hash") != plan.stored_hash:
            who = (f"plan {str(old.get('hash', '')).removeprefix('sha256:')[:12]} frozen "
                   f"{old.get('created', '?')}" if isinstance(old, Mapping) else "a plan")
            raise PlanError(f"{str(earlier)!r} already holds {who}; a pre-registration is not "
                            "replaced: write the new plan to another folder, or pass "
                            "replace=True (--replace) to replace it")
    with results_folder(out, protect=protect) as folder:
        (folder / "plan.json").write_text(
            json.dumps(plan.content, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
            encoding="utf-8")
        (folder / "preregistration.md").write_text(plan_markdown(plan.content),
                                                   encoding="utf-8")
        if _has_docx():  # python-docx is optional (hormonestats[docx])
            plan_docx(plan.content, folder / "preregistration.docx")
    return Plan(content=plan.content, path=str(Path(out) / "plan.json"),
                computed_hash=plan.computed_hash)


def load_plan(path) -> Plan:
    """Read a ``plan.json`` strictly.

    Raises :class:`PlanError` listing every problem (unknown or misspelt keys with the closest
    key, unregistered hypotheses, invalid options). A plan whose content no longer matches its
    hash is loaded, with ``Plan.matches`` False: reports then say it was edited.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise PlanError(f"cannot read the plan {str(path)!r}: {err.strerror or err}") from None
    try:
        content = json.loads(text)
    except json.JSONDecodeError as err:
        raise PlanError(f"plan {str(path)!r} is not valid JSON: {err.msg} at line {err.lineno}, "
                        f"column {err.colno}") from None
    problems = plan_problems(content)
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise PlanError(f"plan {str(path)!r} has {len(problems)} problem"
                        f"{'s' if len(problems) > 1 else ''}:\n{lines}")
    return Plan(content=content, path=str(path), computed_hash=plan_hash(content))

"""What a run did differently from its pre-registered plan: the deviations table.

:func:`run_record` writes down what a run actually did, in the plan's terms (hypotheses tested
and their model families, roles and columns, covariates, processing options, the contract's
exclusion rules and measures, participants excluded by hand, the sample size, the inference
criteria); :func:`deviations` compares it with a :class:`~hormonestats.workflows.prereg.Plan`
and returns one row per difference, each with its size in words (``n = 171, planned 200``)
and an empty ``reason`` column for the researcher. An empty table means the run followed the
plan. :func:`exclude_by_hand` takes participants out of a study before processing, each
removed row logged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from ..errors import DataError
from ..options import LOD_POLICY_LABELS, ProcessingOptions
from .prereg import Plan, contract_exclusions, contract_measures

__all__ = ["DEVIATION_COLUMNS", "RunRecord", "deviations", "deviations_paragraph",
           "exclude_by_hand", "run_record"]

#: the columns of the deviations table
DEVIATION_COLUMNS = ["deviation", "concerns", "planned", "actual", "size", "reason"]

BY_HAND_STEP = "excluded by hand"


@dataclass(frozen=True)
class RunRecord:
    """What a run did, in the plan's terms (see :func:`run_record`)."""

    study: Mapping[str, str]
    hypotheses: Mapping[str, Mapping[str, str]]
    roles: Mapping[str, str]
    covariates: tuple[str, ...]
    processing: Mapping[str, Any]
    exclusion_rules: Mapping[str, Any]
    measures: Mapping[str, Any]
    n: int
    inference: Mapping[str, Any]
    by_hand: Mapping[str, str] = field(default_factory=dict)
    #: participants as read (``n`` counts couples in a dyadic design, as the power analysis)
    participants: int = 0


def run_record(study, *, hypotheses, mapping: Mapping[str, str], covariates: Sequence[str] = (),
               processing: ProcessingOptions | Mapping | None = None, alpha: float = 0.05,
               fdr_method: str = "fdr_bh", conf_level: float = 0.95, n_boot: int = 5000,
               impute: int = 0, by_hand: Mapping[str, str] | None = None) -> RunRecord:
    """What a run did.

    ``study`` is the study as read (before any exclusion by hand: its participants are the
    sample). ``hypotheses`` is the run's hypothesis table (``hypothesis, family, status``,
    ``reason``) or a list of names (tested with their registered families). ``mapping`` the
    roles the run used; ``by_hand`` subject -> reason of the participants excluded by hand.
    """
    from ..models.hypotheses import hypotheses as registry

    if isinstance(hypotheses, pd.DataFrame):
        tested = {str(r["hypothesis"]): {"family": str(r["family"]), "status": str(r["status"]),
                                         "reason": str(r.get("reason", "") or "")}
                  for r in hypotheses.to_dict("records")}
    else:
        tested = {h: {"family": registry[h].family, "status": "tested", "reason": ""}
                  for h in hypotheses}
    used = {r for h in tested if h in registry for r in registry[h].role_names}
    subjects = study["subjects"]
    contract = study.contract
    people = int(subjects["subject_id"].nunique()) if "subject_id" in subjects else len(subjects)
    n = (int(subjects["dyad_id"].nunique()) if contract.design == "dyadic"
         and "dyad_id" in subjects else people)
    return RunRecord(
        study={"name": str(contract.name), "design": str(contract.design)},
        hypotheses=tested,
        roles={r: str(c) for r, c in mapping.items() if r in used},
        covariates=tuple([covariates] if isinstance(covariates, str) else covariates),
        processing=ProcessingOptions.coerce(processing).as_dict(),
        exclusion_rules=contract_exclusions(contract),
        measures=contract_measures(contract),
        n=n,
        inference={"alpha": float(alpha), "fdr_method": fdr_method,
                   "conf_level": float(conf_level), "n_boot": int(n_boot),
                   "impute": int(impute)},
        by_hand=dict(by_hand or {}),
        participants=people,
    )


def _row(kind, item, planned, actual, size) -> dict:
    def show(value) -> str:
        return "(none)" if value is None or value == "" else str(value)

    return {"deviation": kind, "concerns": str(item), "planned": show(planned), "actual": show(actual),
            "size": size, "reason": ""}


def _hypothesis_rows(plan: Mapping, record: RunRecord) -> list[dict]:
    planned = {h["name"]: h for h in plan["hypotheses"]}
    rows = []
    for name, hyp in planned.items():
        ran = record.hypotheses.get(name)
        if ran is None:
            rows.append(_row("hypothesis dropped", name, "tested", "not run",
                             f"{name} was planned and not run"))
            continue
        if ran["status"] != "tested":
            rows.append(_row("hypothesis not tested", name, "tested", ran["status"],
                             f"{name}: {ran['reason'] or ran['status']}"))
        if ran["family"] != hyp["family"]:
            rows.append(_row("model family changed", name, hyp["family"], ran["family"],
                             f"{name}: {ran['family']} model, planned {hyp['family']}"))
    for name, ran in record.hypotheses.items():
        # one asked for that could not apply to the study was not run: nothing was added
        if name not in planned and ran["status"] != "not applicable":
            rows.append(_row("hypothesis added", name, "not planned", ran["status"],
                             f"{name} was run and not planned"))
    return rows


def _role_rows(plan: Mapping, record: RunRecord) -> list[dict]:
    from ..models.hypotheses import hypotheses as registry

    common = [h["name"] for h in plan["hypotheses"] if h["name"] in record.hypotheses]
    roles = sorted({r for h in common if h in registry for r in registry[h].role_names})
    rows = []
    for role in roles:
        before, after = plan["roles"].get(role), record.roles.get(role)
        if before != after:
            rows.append(_row("role remapped", role, before, after,
                             f"{role} = {after or '(not mapped)'}, planned "
                             f"{before or '(not mapped)'}"))
    return rows


def _covariate_rows(plan: Mapping, record: RunRecord) -> list[dict]:
    before, after = list(plan["covariates"]), list(record.covariates)
    rows = [_row("covariate added", c, None, c, f"{c} added to every model")
            for c in after if c not in before]
    rows += [_row("covariate dropped", c, c, None, f"{c} left out of every model")
             for c in before if c not in after]
    return rows


def _processing_rows(plan: Mapping, record: RunRecord) -> list[dict]:
    rows = []
    for key, before in plan["processing"].items():
        after = record.processing.get(key)
        if before == after:
            continue
        if key == "lod_policy":
            rows.append(_row("LOD policy changed", key, before, after,
                             f"below-LOD readings {LOD_POLICY_LABELS.get(after, after)}, "
                             f"planned {LOD_POLICY_LABELS.get(before, before)}"))
        elif key in ("max_cv", "exclude_imprecise"):
            tighter = (after < before) if key == "max_cv" else bool(after)
            rows.append(_row(f"exclusion rule {'tightened' if tighter else 'loosened'}", key,
                             before, after, f"{key} {after}, planned {before}"))
        else:
            rows.append(_row("processing option changed", key, before, after,
                             f"{key} {after}, planned {before}"))
    return rows


def _rule_rows(plan: Mapping, record: RunRecord) -> list[dict]:
    rows = []
    for group in ("instruments", "analytes"):
        before_all = plan["exclusion_rules"].get(group, {})
        after_all = record.exclusion_rules.get(group, {})
        for name in sorted(set(before_all) | set(after_all)):
            before, after = before_all.get(name, {}), after_all.get(name, {})
            for key in sorted(set(before) | set(after)):
                b, a = before.get(key), after.get(key)
                if b == a:
                    continue
                kind = "exclusion rule changed"
                if key == "max_missing" and b is not None and a is not None:
                    kind = f"exclusion rule {'tightened' if a < b else 'loosened'}"
                elif key == "enforce_range":
                    kind = f"exclusion rule {'tightened' if a else 'loosened'}"
                rows.append(_row(kind, f"{name}.{key}", b, a,
                                 f"{name} {key} {a}, planned {b}"))
    return rows


def _measure_rows(plan: Mapping, record: RunRecord) -> list[dict]:
    rows = []
    before, after = plan["measures"], record.measures
    for key in ("snps", "instruments", "agents"):
        for name in sorted(set(after.get(key, [])) - set(before.get(key, []))):
            rows.append(_row("measure added", f"{key}: {name}", None, name,
                             f"{name} measured, not planned"))
        for name in sorted(set(before.get(key, [])) - set(after.get(key, []))):
            rows.append(_row("measure dropped", f"{key}: {name}", name, None,
                             f"{name} planned, not measured"))
    a_before, a_after = before.get("analytes", {}), after.get("analytes", {})
    for name in sorted(set(a_before) | set(a_after)):
        if a_before.get(name) != a_after.get(name):
            rows.append(_row("measure changed", f"analyte {name}", a_before.get(name),
                             a_after.get(name), f"{name}: {a_after.get(name) or 'not measured'}"
                             f", planned {a_before.get(name) or 'not measured'}"))
    return rows


def _sample_rows(plan: Mapping, record: RunRecord) -> list[dict]:
    rows = []
    planned_n = int(plan["sample_size"]["n"])
    unit = "couples" if record.study["design"] == "dyadic" else "participants"
    if record.n != planned_n:
        kind = "sample size short of plan" if record.n < planned_n else "sample size above plan"
        rows.append(_row(kind, unit, planned_n, record.n,
                         f"n = {record.n}, planned {planned_n}"))
    for subject, why in record.by_hand.items():
        rows.append(_row("subject excluded by hand", subject, "included", "excluded",
                         f"1 of {record.participants or record.n} participants"
                         + (f" ({why})" if why else "")))
    return rows


def _missing_words(m: int) -> str:
    return f"multiple imputation (m = {m})" if m else "complete cases"


def _inference_rows(plan: Mapping, record: RunRecord) -> list[dict]:
    words = {"alpha": ("alpha changed", "alpha"), "fdr_method": ("FDR method changed",
                                                                 "correction"),
             "conf_level": ("confidence level changed", "confidence level"),
             "n_boot": ("bootstrap resamples changed", "bootstrap resamples")}
    rows = []
    for key, (kind, name) in words.items():
        before, after = plan["inference"].get(key), record.inference.get(key)
        if before != after:
            rows.append(_row(kind, key, before, after, f"{name} {after}, planned {before}"))
    before, after = plan["inference"].get("impute", 0), record.inference.get("impute", 0)
    if before != after:
        rows.append(_row("missing-data handling changed", "impute", before, after,
                         f"{_missing_words(after)}, planned {_missing_words(before)}"))
    return rows


def deviations(plan: Plan | Mapping, record: RunRecord) -> pd.DataFrame:
    """One row per way the run differs from the plan (empty: the run followed the plan).

    Columns :data:`DEVIATION_COLUMNS`: ``deviation`` (its kind, e.g. ``"covariate added"``,
    ``"sample size short of plan"``), ``concerns`` (the hypothesis, role, option or subject), ``planned``, ``actual``, ``size`` (the
    difference in words, e.g. ``"n = 171, planned 200"``) and ``reason`` (empty: for the
    researcher to fill in).
    """
    content = plan.content if isinstance(plan, Plan) else plan
    rows = []
    if content["study"]["design"] != record.study["design"]:
        rows.append(_row("design changed", "design", content["study"]["design"],
                         record.study["design"], f"{record.study['design']} design, planned "
                         f"{content['study']['design']}"))
    for part in (_hypothesis_rows, _role_rows, _covariate_rows, _processing_rows, _rule_rows,
                 _measure_rows, _sample_rows, _inference_rows):
        rows += part(content, record)
    return pd.DataFrame(rows, columns=DEVIATION_COLUMNS).astype(str)


def deviations_paragraph(plan: Plan, table: pd.DataFrame) -> str:
    """The methods text's sentences on the pre-registration and the deviations from it."""
    text = (f"The analysis was pre-registered (plan {plan.short_hash}, frozen {plan.date}; "
            "SHA-256 of its canonical JSON).")
    if not plan.matches:
        text += (f" Warning: {plan.integrity()}; the deviations below are counted against the "
                 "edited file.")
    if len(table) == 0:
        return text + " The analysis followed the plan: no deviations."
    kinds = table["deviation"].value_counts()
    listed = "; ".join(f"{k} ({v})" if v > 1 else k for k, v in kinds.items())
    return (text + f" It deviated from the plan in {len(table)} "
            f"way{'s' if len(table) > 1 else ''}: {listed}; each is listed with its size in "
            "the deviations table, with a column for the reason.")


def exclude_by_hand(study, subjects: Mapping[str, str] | Sequence[str] | None):
    """The study without the given participants, and the log of every row taken out.

    ``subjects`` lists subject IDs, or maps them to the reason. An ID not in the subjects table
    is an error (with the closest IDs). The caller's study is not changed.
    """
    from ..log import empty_log, log_rows

    if not subjects:
        return study, empty_log()
    given = ({str(s): str(r or "") for s, r in subjects.items()} if isinstance(subjects, Mapping)
             else {str(s): "" for s in subjects})
    known = study["subjects"]["subject_id"].astype(str)
    unknown = [s for s in given if s not in set(known)]
    if unknown:
        from .roles import closest

        raise DataError("; ".join(
            f"excluded subject {s!r} is not in table subjects (column subject_id)"
            + (f"; closest: {', '.join(closest(s, known.unique()))}"
               if closest(s, known.unique()) else "") for s in unknown))
    tables, logs = {}, []
    for name, frame in study.tables.items():
        if "subject_id" not in frame.columns:
            tables[name] = frame
            continue
        ids = frame["subject_id"].astype(str)
        mask = ids.isin(given)
        reason = ids.map(lambda s: f"{BY_HAND_STEP}" + (f": {given[s]}" if given.get(s) else ""))
        logs.append(log_rows(BY_HAND_STEP, name, frame, mask, "excluded", reason))
        tables[name] = frame.loc[~mask]
    from ..log import combine_logs

    return replace(study, tables=tables), combine_logs(logs)


def as_plan(prereg) -> Plan | None:
    """A :class:`Plan` from a Plan, a path of a ``plan.json`` (read strictly) or None."""
    if prereg is None or isinstance(prereg, Plan):
        return prereg
    from .prereg import load_plan

    return load_plan(prereg)


def with_log(processed, extra: pd.DataFrame):
    """A processed study whose exclusion log starts with ``extra`` (the rows excluded by hand)."""
    if extra is None or not len(extra):
        return processed
    from ..log import combine_logs

    return replace(processed, log=combine_logs([extra, processed.log]))


def compare_run(plan: Plan, study, *, family, mapping, covariates, processing, n_boot,
                by_hand: pd.DataFrame, not_applicable: pd.DataFrame | None = None,
                impute: int = 0) -> tuple[pd.DataFrame, str]:
    """The deviations of a finished run from its plan, and the methods text's paragraph.

    ``not_applicable``: the role plan's rows of the hypotheses asked for that could not apply
    (a planned one among them is "not tested", with the reason, not "dropped")."""
    reasons = {}
    if by_hand is not None and len(by_hand):
        for subject, reason in zip(by_hand["subject_id"].astype(str), by_hand["reason"]):
            reasons.setdefault(subject, str(reason).removeprefix(BY_HAND_STEP).lstrip(": "))
    ran = family.table[["hypothesis", "family", "status", "reason"]]
    if not_applicable is not None and len(not_applicable):
        ran = pd.concat([ran, not_applicable[["hypothesis", "family", "status", "reason"]]],
                        ignore_index=True)
    record = run_record(study, hypotheses=ran, mapping=mapping, covariates=covariates,
                        processing=processing, alpha=family.alpha, fdr_method=family.fdr_method,
                        conf_level=family.conf_level, n_boot=n_boot, impute=impute,
                        by_hand=reasons)
    table = deviations(plan, record)
    return table, deviations_paragraph(plan, table)


def deviations_caption(plan: Plan, table: pd.DataFrame) -> str:
    """The caption of the deviations table in the report (none: said so)."""
    head = f"Deviations from the pre-registered plan {plan.short_hash} ({plan.date})"
    if not plan.matches:
        head += (" - WARNING: the plan file no longer matches its hash (edited after it was "
                 "frozen)")
    if not len(table):
        return head + ": no deviations; the analysis followed the plan"
    return head + (f": {len(table)}; fill in the reason column for each")


def deviation_outputs(results: dict, prereg: Plan | None, study, **kwargs
                      ) -> tuple[dict, dict, str]:
    """A run's pre-registration outputs: (tables, captions, methods paragraph), all empty
    without a plan. Sets ``results["prereg"]`` and ``results["deviations"]``; ``kwargs`` as
    for :func:`compare_run`."""
    if prereg is None:
        return {}, {}, ""
    table, paragraph = compare_run(prereg, study, **kwargs)
    results["prereg"], results["deviations"] = prereg, table
    return ({"deviations": table}, {"deviations": deviations_caption(prereg, table)},
            "\n\n" + paragraph)


def prereg_facts(prereg: Plan | None, inference: Mapping | None,
                 by_hand: pd.DataFrame) -> dict:
    """The manifest's parameters of the inference criteria, the exclusions by hand and the
    plan (its hash, whether it still matches, when it was frozen)."""
    return {"inference": dict(inference or {}),
            "exclude_subjects": sorted(set(by_hand["subject_id"].astype(str))),
            "prereg": None if prereg is None else {
                "hash": prereg.stored_hash, "matches": prereg.matches,
                "created": prereg.content.get("created")}}

"""The strict check of a pre-registration plan's content (``plan.json``).

:func:`plan_problems` lists every problem at once, each with its place in the plan: an unknown
or misspelt key (with the closest valid key), a missing key, a hypothesis that is not
registered, a value of the wrong kind (a level outside (0, 1), an unknown correction, model
family or processing option). :func:`hormonestats.workflows.prereg.load_plan` refuses a plan
with problems.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import HormoneStatsError
from ..options import ProcessingOptions

__all__ = ["PLAN_FORMAT", "PLAN_KEYS", "PlanError", "plan_problems"]

#: the format tag of a plan file
PLAN_FORMAT = "hormonestats-plan/1"


class PlanError(HormoneStatsError):
    """A pre-registration plan is malformed, names unknown hypotheses or cannot be read."""


# the allowed keys of each part of a plan (strict loading: anything else is refused)
PLAN_KEYS: dict[str, tuple[str, ...]] = {
    "": ("format", "created", "package_version", "hash", "data_seen", "study", "hypotheses",
         "roles", "covariates", "processing", "exclusion_rules", "measures", "sample_size",
         "inference"),
    "study": ("name", "design", "description"),
    "hypotheses[]": ("name", "claim", "family", "key_term", "predicted_sign", "roles"),
    "processing": tuple(ProcessingOptions.__dataclass_fields__),
    "exclusion_rules": ("instruments", "analytes"),
    "exclusion_rules.instruments.*": ("max_missing",),
    "exclusion_rules.analytes.*": ("range", "enforce_range"),
    "measures": ("analytes", "snps", "instruments", "agents"),
    "measures.analytes.*": ("unit", "matrix", "method", "extracted"),
    "sample_size": ("n", "basis", "power"),
    "sample_size.power": ("hypothesis", "term", "target_power", "power", "mc_se", "n_sims",
                          "alpha", "seed", "effects"),
    "inference": ("alpha", "fdr_method", "conf_level", "n_boot", "impute"),
}


def _walk(value, where: str, spec_key: str, problems: list[str]) -> None:
    from ..study.words import suggest

    allowed = PLAN_KEYS[spec_key]
    if not isinstance(value, Mapping):
        problems.append(f"{where or 'the plan'}: expected a mapping of {', '.join(allowed)}, "
                        f"got {type(value).__name__}")
        return
    for key in value:
        if key not in allowed:
            problems.append(f"{where + '.' if where else ''}{key}: unknown key{suggest(key, allowed)}"
                            f" (allowed: {', '.join(allowed)})")
    for key in allowed:
        if key not in value and spec_key in ("", "study", "inference", "sample_size",
                                             "processing", "hypotheses[]"):
            problems.append(f"{where + '.' if where else ''}{key}: missing")


def plan_problems(content) -> list[str]:
    """Every problem of a plan's content: unknown or missing keys (with the closest key),
    unregistered hypotheses, invalid options. Empty when the plan is well formed."""
    from ..models.effects import FDR_METHODS
    from ..models.hypotheses import hypotheses as registry
    from ..study.words import suggest

    problems: list[str] = []
    _walk(content, "", "", problems)
    if not isinstance(content, Mapping):
        return problems
    if content.get("format") not in (None, PLAN_FORMAT):
        problems.append(f"format: {content.get('format')!r} is not a hormonestats plan "
                        f"({PLAN_FORMAT!r})")
    for part in ("study", "processing", "exclusion_rules", "measures", "sample_size",
                 "inference"):
        if part in content:
            _walk(content[part], part, part, problems)
    for group, spec in (("instruments", "exclusion_rules.instruments.*"),
                        ("analytes", "exclusion_rules.analytes.*")):
        for name, rule in dict((content.get("exclusion_rules") or {}).get(group) or {}).items():
            _walk(rule, f"exclusion_rules.{group}.{name}", spec, problems)
    for name, spec in dict((content.get("measures") or {}).get("analytes") or {}).items():
        _walk(spec, f"measures.analytes.{name}", "measures.analytes.*", problems)
    power = (content.get("sample_size") or {}).get("power")
    if power is not None:
        _walk(power, "sample_size.power", "sample_size.power", problems)
    hyps = content.get("hypotheses")
    if not isinstance(hyps, list) or not hyps:
        problems.append("hypotheses: expected a non-empty list of hypotheses")
        hyps = []
    for i, hyp in enumerate(hyps):
        _walk(hyp, f"hypotheses[{i}]", "hypotheses[]", problems)
        name = hyp.get("name") if isinstance(hyp, Mapping) else None
        if name is not None and name not in registry:
            problems.append(f"hypotheses[{i}].name: {name!r} is not a registered hypothesis"
                            f"{suggest(name, registry)}")
    inference = content.get("inference") or {}
    if isinstance(inference, Mapping) and inference.get("fdr_method") not in (None, *FDR_METHODS):
        problems.append(f"inference.fdr_method: {inference['fdr_method']!r} is unknown"
                        f"{suggest(inference['fdr_method'], FDR_METHODS)}")
    problems += _value_problems(content, hyps)
    processing = content.get("processing")
    if isinstance(processing, Mapping) and set(processing) <= set(PLAN_KEYS["processing"]):
        try:
            ProcessingOptions(**processing)
        except (HormoneStatsError, TypeError) as err:
            problems.append(f"processing: {err}")
    n = (content.get("sample_size") or {}).get("n") if isinstance(
        content.get("sample_size"), Mapping) else None
    if "sample_size" in content and (isinstance(n, bool) or not isinstance(n, int) or n < 2):
        problems.append(f"sample_size.n: expected a whole number >= 2, got {n!r}")
    return problems


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _value_problems(content: Mapping, hyps: list) -> list[str]:
    """Values of the wrong kind: levels outside (0, 1), counts that are not whole numbers,
    unknown model families or directions, roles and covariates that are not names."""
    from ..models.runners import RUNNERS

    problems = []
    inference = content.get("inference")
    if isinstance(inference, Mapping):
        for key in ("alpha", "conf_level"):
            if key in inference and not (_number(inference[key]) and 0 < inference[key] < 1):
                problems.append(f"inference.{key}: expected a number between 0 and 1, got "
                                f"{inference[key]!r}")
        boot = inference.get("n_boot", 1)
        if not (isinstance(boot, int) and not isinstance(boot, bool) and boot >= 1):
            problems.append(f"inference.n_boot: expected a whole number >= 1, got {boot!r}")
        m = inference.get("impute", 0)
        if not (isinstance(m, int) and not isinstance(m, bool) and (m == 0 or m >= 2)):
            problems.append(f"inference.impute: expected 0 (complete cases) or m >= 2, got {m!r}")
    role_maps = [("roles", content.get("roles", {}))]
    for i, hyp in enumerate(hyps):
        if not isinstance(hyp, Mapping):
            continue
        role_maps.append((f"hypotheses[{i}].roles", hyp.get("roles", {})))
        if "family" in hyp and hyp["family"] not in RUNNERS:
            problems.append(f"hypotheses[{i}].family: {hyp['family']!r} is not a model family "
                            f"(allowed: {', '.join(RUNNERS)})")
        if "predicted_sign" in hyp and hyp["predicted_sign"] not in (-1, 0, 1):
            problems.append(f"hypotheses[{i}].predicted_sign: expected -1, 0 or 1, got "
                            f"{hyp['predicted_sign']!r}")
    for key, value in role_maps:
        if not (isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values())):
            problems.append(f"{key}: expected a mapping role -> column name")
    covs = content.get("covariates", [])
    if not (isinstance(covs, list) and all(isinstance(c, str) for c in covs)):
        problems.append("covariates: expected a list of column names")
    return problems

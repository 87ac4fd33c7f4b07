"""Which registered hypotheses a study can test: roles -> columns, applicability and fixes.

A registered hypothesis (``hs.hypotheses``) names *roles* (``outcome``, ``oxytocin``,
``estradiol``, ...); a study's analysis table (``hs.process_study(study).table``) has columns.
:data:`DEFAULT_MAPPING` is the mapping that fits the bundled example study; a researcher's own
study usually needs some roles mapped by hand (``--map outcome=iri_ec`` on the command line,
``mapping=`` in Python).

:func:`role_plan` says, for every hypothesis, whether it can apply to a study and why not:

* ``applicable``: every role has a column, and the model family suits the design;
* ``not applicable``: the design rules the family out (a within-person model needs repeated
  measures; a between-person model needs one row per person), or a role has no column (the
  default column is not in the table and no ``--map`` was given). The plan names the missing
  role, the columns that could stand for it, and the ``--map`` line that would fix it.

:func:`check_columns` is the strict check of what a user named: every ``--map`` column and
every covariate must be a column of the analysis table, otherwise a
:class:`~hormonestats.errors.ModelError` names it with the closest existing names (difflib).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from ..errors import ModelError
from ..models.claims import DEFAULT_ROLES, default_mapping
from ..models.runners import ITEM_FAMILIES

__all__ = [
    "DEFAULT_MAPPING",
    "DEFAULT_ROLES",
    "FAMILY_DESIGNS",
    "REPEATED_DESIGNS",
    "ROLES",
    "ROLE_KINDS",
    "check_columns",
    "closest",
    "column_kind",
    "merge_mapping",
    "role_plan",
]

#: Roles of the registered hypotheses -> columns of the analysis table of the example study
#: (``process_study``): hormones on the natural-log scale, the intranasal oxytocin arm (1/0),
#: the RMET total as the social-cognition outcome and the PSS-10 as the anxiety-related score.
DEFAULT_MAPPING = {
    "outcome": "rmet_total",
    "oxytocin": "oxytocin_arm",
    "estradiol": "log_estradiol",
    "testosterone": "log_testosterone",
    "progesterone": "log_progesterone",
    "cortisol": "log_cortisol",
    "anxiety": "pss10_total",
    "rs53576": "rs53576_add_A",
    "subject": "subject_id",
}

#: What each role stands for (shown by ``hormonestats hypotheses`` and ``run --help``).
ROLES = {
    "outcome": "the social-cognition outcome score, e.g. rmet_total or iri_ec",
    "oxytocin": "the oxytocin exposure: the treatment arm (oxytocin_arm, 1 oxytocin / 0 "
    "placebo) or a measured level (log_oxytocin)",
    "estradiol": "estradiol, natural-log scale (log_estradiol)",
    "testosterone": "testosterone, natural-log scale (log_testosterone)",
    "progesterone": "progesterone, natural-log scale (log_progesterone)",
    "cortisol": "cortisol, natural-log scale (log_cortisol: the first sample of the session), "
    "or a cortisol feature such as cortisol_auc_g",
    "allopregnanolone": "allopregnanolone, natural-log scale (log_allopregnanolone)",
    "anxiety": "the anxiety or stress score, e.g. pss10_total or stai_total",
    "rs53576": "the OXTR rs53576 genotype column (allele count or a two-level grouping)",
    "subject": "the participant identifier (subject_id), for within-person models",
    "period": "the period of a crossover (session: p1, p2)",
    "sequence": "the order of the conditions in a crossover (sequence: AB, BA); optional",
    "dyad": "the couple or dyad identifier (dyad_id)",
    "dyad_role": "the role that tells the two members of a dyad apart (role: female_partner / "
    "male_partner); optional: without it the dyads are indistinguishable",
    "cortisol_reactivity": "cortisol reactivity to a stressor: the area under the curve with "
    "respect to increase over each participant's sample times (cortisol_auc_i)",
    "cortisol_peak_increase": "the peak cortisol increase after baseline "
    "(cortisol_peak_reactivity)",
}

#: Study designs each model family suits: between-person families need one row per person;
#: the mixed family repeated measures; a crossover a crossover; the APIM dyads.
FAMILY_DESIGNS = {
    "moderation": ("between",),
    "mediation": ("between",),
    "gxe": ("between",),
    "regression": ("between",),
    "mixed": ("within", "crossover"),
    "crossover": ("crossover",),
    "apim": ("dyadic",),
    "item_glmm": ("between",),
}

#: What each instrument score measures (the construct), for the roles' kinds below.
SCORE_CONSTRUCTS = {
    "rmet_total": "social_cognition",
    "iri_pt": "empathy",
    "iri_ec": "empathy",
    "iri_fs": "empathy",
    "iri_pd": "empathic_distress",
    "pss10_total": "stress",
    "stai_total": "anxiety",
    "ecr_r_anxiety": "attachment",
    "ecr_r_avoidance": "attachment",
}

#: Role -> the kinds of column (:func:`column_kind`) that can stand for it: a suggestion is
#: only ever a column of the same kind (never another construct standing in).
ROLE_KINDS = {
    "outcome": ("score:social_cognition", "score:empathy", "score:trust"),
    "anxiety": ("score:anxiety", "score:stress"),
    "oxytocin": ("treatment:oxytocin", "hormone:oxytocin"),
    "cortisol": ("hormone:cortisol", "cortisol_feature"),
    "cortisol_reactivity": ("cortisol_feature",),
    "cortisol_peak_increase": ("cortisol_feature",),
    "rs53576": ("genotype:rs53576",),
    "subject": ("id:subject",),
    "dyad": ("id:dyad",),
}

#: Study designs with repeated measures per person: their models are the mixed-model family.
REPEATED_DESIGNS = ("within", "crossover")

_ID_LIKE = {"subject_id", "dyad_id", "session", "responses_session", "cycle_id"}


def closest(name: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The ``n`` names of ``choices`` closest to ``name`` (difflib ratio, cutoff 0.5)."""
    choices = [str(c) for c in choices]
    found = difflib.get_close_matches(str(name), choices, n=n, cutoff=0.5)
    if not found:  # a shared stem still helps ("iri" -> iri_ec, iri_pt)
        stem = str(name).lower().split("_")[0]
        found = [c for c in choices if stem and stem in c.lower()][:n]
    return found


def check_columns(
    columns: Sequence[str], *, mapping: Mapping[str, str] | None = None,
    covariates: Sequence[str] = (),
) -> None:
    """Raise a :class:`ModelError` naming every ``mapping`` or covariate column not in ``columns``.

    Also rejects role names no registered hypothesis uses (with the closest role names).

    Examples
    --------
    >>> check_columns(["rmet_total", "log_estradiol", "sex"], mapping={"outcome": "rmet_totl"})
    Traceback (most recent call last):
    ...
    hormonestats.errors.ModelError: 1 unknown name:
      - --map outcome=rmet_totl: the analysis table has no column 'rmet_totl'; closest: rmet_total
    """
    from ..models.hypotheses import hypotheses as registry

    columns = [str(c) for c in columns]
    known_roles = sorted({r for h in registry.values() for r in h.role_names} | set(ROLES))
    problems = []
    for role, column in (mapping or {}).items():
        if role not in known_roles:
            near = closest(role, known_roles)
            problems.append(
                f"--map {role}={column}: no hypothesis has a role {role!r}; "
                + (f"closest: {', '.join(near)}; " if near else "")
                + f"roles: {', '.join(known_roles)}"
            )
        elif column not in columns:
            problems.append(f"--map {role}={column}: " + _absent(column, columns))
    for cov in covariates:
        if cov not in columns:
            problems.append(f"--covariate {cov}: " + _absent(cov, columns))
    if problems:
        word = "name" if len(problems) == 1 else "names"
        lines = "\n".join(f"  - {p}" for p in problems)
        raise ModelError(f"{len(problems)} unknown {word}:\n{lines}")


def _absent(column: str, columns: Sequence[str]) -> str:
    near = closest(column, columns)
    hint = f"closest: {', '.join(near)}" if near else f"columns: {', '.join(columns)}"
    return f"the analysis table has no column {column!r}; {hint}"


def merge_mapping(mapping: Mapping[str, str] | None, columns: Sequence[str]) -> dict[str, str]:
    """The user's roles over the registered defaults the table has (:data:`DEFAULT_ROLES`;
    the user's win)."""
    return default_mapping(columns, mapping)


def column_kind(column: str) -> str | None:
    """What a column of the analysis table holds, as a kind roles can ask for.

    ``hormone:<analyte>`` (the analyte or its log), ``cortisol_feature`` (AUCs, peak
    increase), ``treatment:<agent>`` (``<agent>_arm``), ``genotype:<rsid>``, ``score:<construct>``
    (an instrument score whose construct :data:`SCORE_CONSTRUCTS` knows), ``id:subject`` /
    ``id:dyad``; None when the column's kind is not known.

    >>> column_kind("log_progesterone"), column_kind("iri_pt"), column_kind("oxytocin_arm")
    ('hormone:progesterone', 'score:empathy', 'treatment:oxytocin')
    """
    from ..registry.analytes import ANALYTES

    name = str(column)
    if name == "subject_id":
        return "id:subject"
    if name == "dyad_id":
        return "id:dyad"
    if name in SCORE_CONSTRUCTS:
        return f"score:{SCORE_CONSTRUCTS[name]}"
    if name.startswith("trust_"):
        return "score:trust"
    if name.startswith("cortisol_") and any(k in name for k in ("auc", "peak_reactivity")):
        return "cortisol_feature"
    base = name.removeprefix("log_")
    if base in ANALYTES:
        return f"hormone:{base}"
    if name.endswith("_arm"):
        return f"treatment:{name.removesuffix('_arm')}"
    if name.startswith("rs") and "_" in name:
        return f"genotype:{name.split('_')[0]}"
    return None


def _candidates(role: str, table: pd.DataFrame, instruments: Sequence[str] = ()) -> list[str]:
    """Columns of ``table`` that could stand for ``role`` (best first): only columns of a kind
    the role accepts (a hormone role: that hormone), never another construct."""
    cols = [str(c) for c in table.columns]
    kinds = ROLE_KINDS.get(role)
    if kinds is None and role in ("estradiol", "testosterone", "progesterone",
                                  "allopregnanolone"):
        kinds = (f"hormone:{role}",)
    if kinds is None:  # a structural role (period, sequence, dyad_role): its defaults only
        return [c for c in DEFAULT_ROLES.get(role, ()) if c in cols]
    found = [c for c in DEFAULT_ROLES.get(role, ()) if c in cols]
    found += [c for c in cols if c not in found and c not in _ID_LIKE
              and column_kind(c) in kinds and pd.api.types.is_numeric_dtype(table[c])]
    if "id:subject" in kinds or "id:dyad" in kinds:
        found += [c for c in cols if column_kind(c) in kinds and c not in found]
    return found


def role_plan(
    table: pd.DataFrame,
    *,
    design: str = "between",
    mapping: Mapping[str, str] | None = None,
    hypotheses: Sequence[str] | None = None,
    instruments: Sequence[str] = (),
    items: bool | None = None,
) -> pd.DataFrame:
    """For every hypothesis, whether it can apply to a study, its columns, and the fix.

    Parameters
    ----------
    table : DataFrame
        The study's analysis table (``hs.process_study(study).table``).
    design : str
        The contract's design (``between``, ``within``, ``crossover``, ``dyadic``).
    mapping : Mapping[str, str], optional
        Roles the user mapped (checked against the table by :func:`check_columns` first); the
        defaults of :data:`DEFAULT_MAPPING` fill the other roles where their column exists.
    hypotheses : sequence of str, optional
        Names from ``hs.hypotheses`` (default: all).
    instruments : sequence of str
        The study's instruments (their score columns are offered for ``outcome``/``anxiety``).
    items : bool, optional
        Whether the study has keyed item-level RMET responses (the item-level hypotheses need
        them); None: judged from ``instruments`` (an RMET among them).

    Returns
    -------
    DataFrame
        One row per hypothesis: ``hypothesis, family, status`` (``applicable`` / ``not
        applicable``), ``columns`` (``role=column`` pairs found), ``reason`` (why not) and
        ``fix`` (the ``--map`` options that would map the missing roles, best guesses first;
        empty when there is nothing to guess).
    """
    from ..models.hypotheses import hypotheses as registry

    names = list(registry) if hypotheses is None else list(hypotheses)
    merged = merge_mapping(mapping, table.columns)
    rows = []
    for name in names:
        hyp = registry[name]
        found = {r: merged[r] for r in hyp.role_names if r in merged}
        missing = [r for r in hyp.required_roles if r not in merged]
        reasons, fixes = [], []
        design_ok = design in FAMILY_DESIGNS.get(hyp.family, (design,))
        if not design_ok:
            reasons.append(_design_reason(hyp.family, design))
        elif hyp.family in ITEM_FAMILIES and not (
                ("rmet" in instruments) if items is None else items):
            reasons.append("an item-level model needs the RMET's item responses and its "
                           "answer key (instruments.rmet.key in the contract)")
        for role in missing if design_ok else ():
            default = " or ".join(DEFAULT_ROLES.get(role, ())) or None
            cand = _candidates(role, table, instruments)
            why = (f"{role}: no column {default!r}" if default else f"{role}: no default column")
            if cand:
                why += f"; candidates: {', '.join(cand[:4])}"
                fixes.append(f"--map {role}={cand[0]}")
            else:
                why += " and nothing in the study could stand for it"
            reasons.append(why)
        rows.append({
            "hypothesis": name,
            "family": hyp.family,
            "status": "not applicable" if reasons else "applicable",
            "columns": "; ".join(f"{r}={c}" for r, c in found.items()),
            "reason": "; ".join(reasons),
            "fix": " ".join(fixes) if design_ok else "",
        })
    return pd.DataFrame(rows, columns=["hypothesis", "family", "status", "columns", "reason",
                                       "fix"])


def _design_reason(family: str, design: str) -> str:
    need = {
        "mixed": "a within-person model needs repeated measures",
        "crossover": "a crossover model needs a crossover design",
        "apim": "an actor-partner model needs dyads",
        "item_glmm": "the item-level model needs a between-subjects study (one row per person "
        "in the analysis table)",
    }.get(family, "a between-person model needs one row per person")
    return f"{need} (design: {design})"

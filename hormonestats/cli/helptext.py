"""Help texts of the command line that come from the registries (roles, hypotheses, effect
scales), kept apart from :mod:`hormonestats.cli` so the commands stay short. The texts that
need the registries are built only when help is shown (starting the command stays fast)."""

from __future__ import annotations

__all__ = ["EFFECT_HELP", "EXIT_BAD_INPUT", "EXIT_NOTHING_TESTED", "analysis_names",
           "effect_scale",
           "hypothesis_names", "power_epilog", "roles_help", "run_epilog"]

#: Exit code of every mistake (bad input, unknown name or column).
EXIT_BAD_INPUT = 2
#: ``run`` exit code when no hypothesis could be tested (the results folder is still written).
EXIT_NOTHING_TESTED = 3


def roles_help() -> str:
    from ..workflows.roles import DEFAULT_ROLES, ROLES

    lines = [f"{role}: {text} (default column: "
             f"{' or else '.join(DEFAULT_ROLES.get(role, ())) or 'none'})"
             for role, text in ROLES.items()]
    return "\n\n".join(lines)


def hypothesis_names() -> list[str]:
    from ..models.hypotheses import hypotheses

    return list(hypotheses)


def analysis_names() -> list[str]:
    """What ``run`` accepts: full_study, the designs' analyses, the hypotheses."""
    from ..models.claims import DESIGN_ANALYSES

    return ["full_study", *DESIGN_ANALYSES, *hypothesis_names()]


def run_epilog() -> str:
    from ..models.claims import DESIGN_ANALYSES

    designs = "; ".join(f"{d} ({', '.join(h)})" for d, h in DESIGN_ANALYSES.items())
    return (
        "Analyses: full_study (every hypothesis that can apply to the study); a design's "
        f"analysis: {designs}; or one hypothesis: "
        + ", ".join(hypothesis_names()) + ".\n\n"
        "Processing (--lod-policy, --max-cv, --exclude-imprecise, --outliers, --winsorize-k, "
        "--transform): the choices the multiverse varies, recorded in the manifest.\n\n"
        "Roles (--map role=column overrides the role's default column; `hormonestats "
        "hypotheses CONTRACT DATA_DIR` shows which roles a study maps on its own and the --map "
        "line that fixes the others):\n\n"
        + roles_help() + "\n\n"
        "Covariates (--covariate COL, repeatable): columns of the analysis table every model is "
        "adjusted for (main effects); they are named in the hypotheses table, the methods text "
        "and the manifest.\n\n"
        f"Exit codes: 0 at least one hypothesis tested; {EXIT_BAD_INPUT} bad input (invalid "
        "study, unknown analysis, role or column); "
        f"{EXIT_NOTHING_TESTED} nothing could be tested (no hypothesis applies to the study, or "
        "every model failed): the results folder is still written."
    )


EFFECT_HELP = (
    "An effect as TERM=VALUE (repeatable). For the between-person hypotheses the terms are "
    "the simulator's effects (e.g. estradiol_x_oxytocin, oxytocin, rs53576_gg), in residual-SD "
    "units of the outcome per natural-log unit of the hormone; for the within-person ones "
    "effect (outcome-SD units per log unit), x_sd, n_obs, icc; for "
    "progesterone_allopregnanolone_anxiety a, b, direct (standardised); for the designs' "
    "hypotheses their design's (oxytocin_crossover effect, period, icc; oxytocin_actor and "
    "oxytocin_partner actor, partner, x_sd, x_r, rho; the cortisol reactivity ones d; "
    "estradiol_oxytocin_items interaction, oxytocin, estradiol in log-odds per log unit, "
    "sd_subject, sd_item, sd_estradiol, n_items); with "
    "--pilot the one effect (effect=VALUE, see --effect-scale); for a model family "
    "(two_group, correlation, moderation, mediation, mixed, crossover) its effects in SD units "
    "(d, r, x:m, a, b, x, treatment, ...). An unknown term lists the allowed ones."
)


def effect_scale(name: str) -> str:
    from ..models.hypotheses import hypotheses

    if name not in hypotheses:
        return f"{name} family effects in SD units of the outcome (standardised)"
    if hypotheses[name].family == "mixed":
        return ("effect in outcome-SD units per natural-log unit of the hormone, within "
                "person; estimates and true_value in outcome units")
    if name == "progesterone_allopregnanolone_anxiety":
        return "a, b and direct in SD units (standardised)"
    from ..simulate.design_power import DESIGN_HYPOTHESES

    if name in DESIGN_HYPOTHESES and DESIGN_HYPOTHESES[name][0] == "item_glmm":
        return DESIGN_HYPOTHESES[name][4] + "; effects on the log-odds scale"
    if name in DESIGN_HYPOTHESES:
        return DESIGN_HYPOTHESES[name][4] + "; effects in outcome-SD units (the design's)"
    return ("simulator effects in residual-SD units of the outcome per natural-log unit of the "
            "hormone; estimates and true_value in score points of the outcome")


def power_epilog() -> str:
    from ..simulate import power as power_module

    families = ", ".join(getattr(power_module, "FAMILIES", {}))
    return (f"Hypotheses: {', '.join(hypothesis_names())}.\n\nModel families (effects in SD "
            f"units): {families}.\n\n{EFFECT_HELP}")

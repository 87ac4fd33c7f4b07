"""What each study design adds to a run's report: its figure, its extra tables, its methods
sentence.

The hypotheses of the crossover, dyadic, stress-reactivity and cycle designs are tested like any
other (:func:`hormonestats.test_hypotheses`); :func:`design_outputs` then adds, per tested
hypothesis of those designs, the figure a reader of that design expects (the crossover's period
profiles, the actor and partner effects, the cortisol curves by arm, the within-person
association, the predicted accuracy per RMET item), the tables beside the deciding estimate
(the crossover's carry-over check and effect sizes, the APIM's partner-to-actor ratio, the
item-level simple slopes and variances) and one methods sentence that says how the model
was fitted. The design is read from the hypothesis's family and roles, never from a class name.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

__all__ = ["design_outputs"]

#: cortisol reactivity roles -> what the index is, in the methods text's words
_REACTIVITY = {
    "cortisol_reactivity": "the area under the cortisol curve with respect to increase (AUCi)",
    "cortisol_peak_increase": "the peak cortisol increase (largest measured value after the "
    "baseline sample minus the baseline)",
}


def design_outputs(family, table: pd.DataFrame, *, samples: pd.DataFrame | None = None,
                   subjects: pd.DataFrame | None = None,
                   labels: Mapping[str, str] | None = None) -> dict:
    """Figures, tables, captions and methods sentences of the design-specific hypotheses.

    Parameters
    ----------
    family : HypothesisFamilyResult
        The tested family (its ``results`` and ``mapping``).
    table : DataFrame
        The analysis table the family was tested on.
    samples : DataFrame, optional
        The per-sample table (``subject_id, sample_time, analyte, value``) for time courses.
    subjects : DataFrame, optional
        The subjects table (its ``arm`` colours the cortisol curves).
    labels : Mapping, optional
        Column -> words for the methods text.

    Returns
    -------
    dict with ``figures``, ``tables``, ``captions`` (name -> object) and ``methods``
    (hypothesis -> sentence, for the hypotheses of these designs only).
    """
    from ..models.hypotheses import hypotheses as registry

    out: dict = {"figures": {}, "tables": {}, "captions": {}, "methods": {}}
    seen: dict = {}

    def word(column):
        return (labels or {}).get(column, column)

    for name, res in family.results.items():
        hyp = registry.get(name)
        if hyp is None or res is None or getattr(res, "family", None) == "pooled":
            continue  # pooled over imputations: the pooled table speaks for itself
        cols = {arg: family.mapping[r] for arg, r in hyp.roles.items() if r in family.mapping}
        maker = _MAKERS.get(hyp.family)
        if maker is None and hyp.family == "regression" and hyp.roles.get("y") in _REACTIVITY:
            maker = _reactivity
        if maker is not None:
            maker(out, name, hyp, res, cols, table, samples, subjects, word, seen)
    return out


def _crossover(out, name, hyp, res, cols, table, samples, subjects, word, seen):
    from ..report import plots

    y, drug, period = cols["y"], cols["drug"], cols["period"]
    if ("crossover", y, drug) not in seen:
        seen[("crossover", y, drug)] = name
        out["figures"][f"{name}_profiles"] = plots.crossover_profiles(
            table, y=y, drug=drug, period=period, subject=cols["subject"],
            sequence=cols.get("sequence"))
        out["captions"][f"{name}_profiles"] = (
            f"{word(y)} in each period of the crossover: one thin line per participant, mean ± "
            f"SE per sequence (hypothesis “{name}”)")
    out["tables"][f"carryover_{name}"] = res.carryover
    out["tables"][f"effect_sizes_{name}"] = res.effect_sizes
    ref = f"{res.reference!r}" + (" = placebo" if str(drug).endswith("_arm") else "")
    n_periods = int(table[period].nunique())
    out["methods"][name] = (
        f"in a linear mixed model of the {n_periods}-period crossover, {word(y)} was regressed on "
        f"the condition ({word(drug)}, reference level {ref}) and the period, with a random intercept "
        "per participant (REML, Satterthwaite degrees of freedom; Senn, 2002); carry-over was "
        "checked as the between-participant sequence effect in a model that adds the sequence "
        "(Grizzle, 1965), for reporting only, and Cohen's d uses the within-participant SD "
        f"({res.n_subjects} participants, {res.n_complete} with every period, "
        f"{res.n_obs} observations)")


def _apim(out, name, hyp, res, cols, table, samples, subjects, word, seen):
    from ..report import plots

    y, x = cols["y"], cols["x"]
    first = seen.get(("apim", y, x, res.distinguishable))
    if first is not None:  # the actor and the partner hypothesis share one model
        out["methods"][name] = f"the {hyp.key_term} effect of the model of “{first}” was tested"
        return
    seen[("apim", y, x, res.distinguishable)] = name
    out["figures"][f"{name}_effects"] = plots.actor_partner(res)
    out["captions"][f"{name}_effects"] = (
        f"Actor and partner effects of {word(x)} on {word(y)} (actor-partner "
        "interdependence model, 95% confidence intervals)")
    out["tables"][f"partner_actor_ratio_{y}_{x}"] = res.k
    if res.distinguishable:
        roles = " and ".join(map(str, res.role_levels))
        how = (f"with intercepts, actor and partner slopes and residual variances specific to "
               f"each role ({roles}); the actor (partner) effect tested is the mean of the two "
               "roles' actor (partner) slopes")
    else:
        how = "treating the members as indistinguishable (one actor and one partner slope)"
    out["methods"][name] = (
        f"in an actor-partner interdependence model (Kenny, Kashy & Cook, 2006), {word(y)} was "
        f"regressed on the person's own {word(x)} (actor effect) and the partner's (partner "
        f"effect), {how}, with residuals correlated within the dyad (compound symmetry, REML, "
        f"as nlme::gls) ({res.n_dyads} dyads, {res.n_obs} persons)")


def _within(out, name, hyp, res, cols, table, samples, subjects, word, seen):
    from ..report import plots

    y, x, subject = cols["y"], cols["x"], cols["subject"]
    out["figures"][f"{name}_within"] = plots.within_person(table, y=y, x=x, subject=subject)
    out["captions"][f"{name}_within"] = (
        f"Within-person association of {word(x)} and {word(y)}: deviations from each "
        f"participant's own means (hypothesis “{name}”)")
    n_sub = int(table.loc[table[y].notna() & table[x].notna(), subject].nunique())
    out["methods"][name] = (
        f"in a linear mixed model, {word(y)} was regressed on {word(x)} split into the "
        "deviation from the participant's own mean (within-person) and the participant mean "
        "(between-person; Curran & Bauer, 2011), with a random intercept and a random "
        "within-person slope per participant (REML, Satterthwaite degrees of freedom) "
        f"({n_sub} participants, {res.n_obs} observations)")


def _reactivity(out, name, hyp, res, cols, table, samples, subjects, word, seen):
    from ..report import plots

    x = cols["x"]
    what = _REACTIVITY[hyp.roles["y"]]
    how = ("computed with the trapezoid rule over the sampling schedule, on each participant's "
           "own sample times where they departed from the protocol's (Pruessner et al., 2003)"
           if hyp.roles["y"] == "cortisol_reactivity" else
           "taken from the measured samples of each participant's series")
    if "cortisol_curves" not in out["figures"] and samples is not None and \
            {"analyte", "sample_time", "value", "subject_id"} <= set(samples.columns):
        series = samples.loc[samples["analyte"].astype(str) == "cortisol",
                             ["subject_id", "sample_time", "value"]]
        group = None
        if subjects is not None and "arm" in subjects.columns:
            series = series.merge(subjects[["subject_id", "arm"]], on="subject_id", how="left")
            group = "arm"
        if len(series):
            out["figures"]["cortisol_curves"] = plots.cortisol_curves(series, group=group)
            out["captions"]["cortisol_curves"] = (
                "Cortisol over the sample times around the stressor, mean ± SE"
                + (" by arm" if group else ""))
    out["methods"][name] = (
        f"{what} was {how}, and regressed on {word(x)} by ordinary least squares "
        f"(n = {res.n})")


def _items(out, name, hyp, res, cols, table, samples, subjects, word, seen):
    from ..report import plots

    x, m = res.x, res.m
    out["figures"][f"{name}_accuracy"] = plots.item_accuracy(res)
    out["captions"][f"{name}_accuracy"] = (
        f"Predicted probability of a correct RMET item by {word(m)}, per {word(x)} (fixed "
        f"effects, subject and item effects at zero; {int(round(100 * res.conf_level))}% "
        f"confidence bands), hypothesis “{name}”")
    out["tables"][f"simple_slopes_{name}"] = res.simple_slopes
    out["tables"][f"random_effects_{name}"] = res.variance_components
    inter = res.table.set_index("term").loc[res.interaction_term]
    out["methods"][name] = (
        f"accuracy on each RMET item (1 correct, 0 incorrect, scored against the answer key) "
        f"was modelled by a binomial generalized linear mixed model with a logit link "
        f"({res.methods_facts()['estimation']}, Laplace approximation; Wald z tests), with "
        f"{word(x)}, "
        f"{word(m)} centred at its sample mean ({res.m_center:.3g}) and their interaction"
        + (f", adjusted for {', '.join(word(c) for c in res.covariates)}," if res.covariates
           else "")
        + " as fixed effects and crossed random intercepts for participants and items (Baayen, "
        f"Davidson & Bates, 2008); the interaction is reported on the log-odds scale with its "
        f"odds ratio ({inter['odds_ratio']:.2f}, {int(round(100 * res.conf_level))}% CI "
        f"{inter['odds_ratio_low']:.2f} to {inter['odds_ratio_high']:.2f}), the slopes of "
        f"{word(m)} per {word(x)} level on the log-odds and probability scales; variances: "
        f"participants {res.variance(res.subject):.3f}, items {res.variance(res.item):.3f} "
        f"({res.n_subjects} participants, {res.n_items} items, {res.n_obs} answered items"
        + ("; its p value is adjusted in a secondary FDR family, apart from the "
           "per-participant analysis of the same claim)" if hyp.fdr_family != "primary"
           else ")"))


_MAKERS = {"crossover": _crossover, "apim": _apim, "mixed": _within, "item_glmm": _items}

"""The ``cycle``, ``crossover``, ``dyadic`` and ``tsst`` designs of :func:`hormonestats.simulate_study`.

Each function takes a generator, ``n``, the resolved effects and the remaining options, and
returns a :class:`~hormonestats.study.reading.Study` whose ``truth["models"]`` gives the analysis
model and its true coefficients. Outcomes are in score points (RMET total: mean 26, SD 3.6 per
unit of the latent z; IRI empathic concern: 17, 4.0) and hormones enter as natural logs of the
true concentration in the contract's unit.

cycle (design ``within``)
    Naturally cycling women over ``n_cycles`` cycles (length ~ N(28, 2.5) days, luteal phase
    ~ N(13.5, 1.2) days; LH surge the day before ovulation). Log salivary estradiol follows a
    pre-ovulatory peak (+1.0 log units at ovulation - 1 day, SD 2 days) and a smaller
    mid-luteal peak (+0.5 at ovulation + 7, SD 3 days); log progesterone rises by 1.8 log units
    at mid-luteal (ovulation + 7, SD 3.5 days, after ovulation); day-to-day noise SD 0.2 / 0.25.
    Person means: E2 log 1.6 pg/mL (SD 0.3), P4 log 30 pg/mL (SD 0.3). A task score (RMET
    total) is recorded at each visit::

        z = u_i + estradiol_within (log E2_ij - mean_i) + estradiol_between (mean_i - log 1.6)
            + progesterone_within (log P4_ij - mean_i) + e_ij,  u ~ N(0, 0.5), e ~ N(0, 0.5)

    (means over the person's visits, of the true log levels). Curran & Bauer (2011) for the
    within/between split. ``truth`` in points per log unit.
crossover (design ``crossover``)
    2x2 AB/BA; RMET total per period: ``z = s_i + oxytocin OT + period P2 + carryover
    (period 2 after oxytocin) + e``, ``s ~ N(0, icc)``, ``e ~ N(0, 1 - icc)``. Saliva oxytocin
    before and 45 min after dosing rises about 3-fold after intranasal oxytocin (developers'
    choice, the direction reported in saliva after 24 IU).
dyadic (design ``dyadic``)
    Couples; IRI empathic concern of each partner from own (actor) and partner's log saliva
    oxytocin: ``z = actor x_self + partner x_other + e``, x correlated 0.2 within couples,
    residuals 0.3 (Kenny, Kashy & Cook 2006 APIM).
tsst (design ``between``)
    Cortisol at -30, -1, 30, 40, 50, 60, 70 min from stressor onset: ``log C(t) = b_i +
    A_i g(t) + noise(0.12)``, g a gamma-shaped response peaking at 40 min (g = 1) and 0 before
    the stressor; ``A_i = 0.8 + oxytocin OT + male M + N(0, 0.35)``. ``truth``: the model of
    ``log C(40) - log C(-1)`` (a log peak ratio) on oxytocin and male. Option ``serial_phi``
    (default 0, independent noise) makes the noise continuous-time AR(1) over the sample
    times: two samples 10 minutes apart correlate ``serial_phi`` (``serial_phi^(d/10)`` at
    ``d`` minutes; ``truth["serial_phi_per_minute"]`` is phi for ``hs.car1("sample_time")``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import HormoneStatsError
from .latent import SCALES
from .measure import assay_wells
from .tables import (
    base_contract,
    date_text,
    finish_samples,
    genotypes_table,
    iri_scores,
    make_study,
    no_options,
    responses_table,
    saliva_wells,
    score_round,
    subject_ids,
    treatments_row,
    truth_record,
)

__all__ = ["simulate_crossover", "simulate_cycle", "simulate_dyadic", "simulate_tsst"]


# ----------------------------------------------------------------------------------- cycle
def simulate_cycle(rng, n, effects, options):
    n_cycles = int(options.pop("n_cycles", 2))
    visits = int(options.pop("visits_per_cycle", 4))
    lh_fraction = float(options.pop("lh_fraction", 0.75))
    name = str(options.pop("name", "simulated_cycle"))
    no_options(options)
    ids = subject_ids(n)
    e = effects
    rows, events = [], []
    mu_e2 = np.log(1.6) + 0.3 * rng.standard_normal(n)
    mu_p4 = np.log(30.0) + 0.3 * rng.standard_normal(n)
    u = np.sqrt(0.5) * rng.standard_normal(n)
    for i, sid in enumerate(ids):
        onset = int(rng.integers(0, 21))
        lh = rng.random() < lh_fraction
        events.append((sid, onset, "menses_onset"))
        for _c in range(n_cycles):
            length = int(np.clip(np.round(rng.normal(28, 2.5)), 23, 35))
            luteal = int(np.clip(np.round(rng.normal(13.5, 1.2)), 10, 16))
            nxt = onset + length
            ov = nxt - luteal
            if lh:
                for d in range(ov - 4, ov - 1):
                    events.append((sid, d, "lh_negative"))
                events.append((sid, ov - 1, "lh_positive"))
            events.append((sid, nxt, "menses_onset"))
            targets = np.array([onset + 3, ov - 2, ov + 6, nxt - 3])[:visits]
            targets = np.clip(targets + rng.integers(-1, 2, size=len(targets)), onset, nxt - 1)
            for day in np.unique(targets):
                d = day - ov
                le2 = (
                    mu_e2[i]
                    + 1.0 * np.exp(-((d + 1) ** 2) / 8.0)
                    + 0.5 * np.exp(-((d - 7) ** 2) / 18.0)
                    + 0.2 * rng.standard_normal()
                )
                lp4 = (
                    mu_p4[i]
                    + 1.8 * np.exp(-((d - 7) ** 2) / (2 * 3.5**2)) * (d >= 0)
                    + 0.25 * rng.standard_normal()
                )
                rows.append(
                    {
                        "subject_id": sid,
                        "day": int(day),
                        "log_estradiol": le2,
                        "log_progesterone": lp4,
                    }
                )
            onset = nxt
    obs = pd.DataFrame(rows)
    obs["session"] = "v" + (obs.groupby("subject_id").cumcount() + 1).astype(str)
    obs["date"] = date_text(obs["day"])
    idx = obs["subject_id"].map({s: k for k, s in enumerate(ids)}).to_numpy()
    pm_e2 = obs.groupby("subject_id")["log_estradiol"].transform("mean")
    pm_p4 = obs.groupby("subject_id")["log_progesterone"].transform("mean")
    z = (
        u[idx]
        + e["estradiol_within"] * (obs["log_estradiol"] - pm_e2)
        + e["estradiol_between"] * (pm_e2 - np.log(1.6))
        + e["progesterone_within"] * (obs["log_progesterone"] - pm_p4)
        + np.sqrt(0.5) * rng.standard_normal(len(obs))
    )
    mean, sd = SCALES["rmet"][0], SCALES["rmet"][1]
    obs["rmet_total"] = score_round(mean + sd * z.to_numpy(), "rmet")

    wells = []
    for analyte, col in (("estradiol", "log_estradiol"), ("progesterone", "log_progesterone")):
        samp = pd.DataFrame(
            {
                "subject_id": obs["subject_id"],
                "session": obs["session"],
                "date": obs["date"],
                "sample_id": obs["subject_id"] + "-" + obs["session"],
                "sample_number": 1,
                "conc": np.exp(obs[col]),
            }
        )
        wells.append(assay_wells(rng, samp, analyte))
    samples = finish_samples(pd.concat(wells, ignore_index=True))
    samples["date"] = samples["date"].astype("str")
    responses = pd.DataFrame(
        {
            "subject_id": obs["subject_id"],
            "session": obs["session"],
            "date": obs["date"],
            "instrument": "rmet",
            "item": "total",
            "response": obs["rmet_total"].astype("Int64"),
        }
    )
    ev = pd.DataFrame(events, columns=["subject_id", "day", "event"])
    cycles = pd.DataFrame(
        {"subject_id": ev["subject_id"], "date": date_text(ev["day"]), "event": ev["event"]}
    )
    subjects = pd.DataFrame(
        {
            "subject_id": ids,
            "sex": "female",
            "age": rng.integers(18, 36, size=n).astype(float),
            "contraception": "none",
        }
    )
    contract = base_contract(
        name,
        "Simulated menstrual-cycle study: saliva estradiol and progesterone and an RMET "
        "total at several visits per cycle, with menses onsets and LH tests.",
        "within",
        ("estradiol", "progesterone"),
        tables=("subjects", "samples", "responses", "cycles"),
        instruments={"rmet": {}},
        columns={"samples": {"date": {"dtype": "date"}}, "responses": {"date": {"dtype": "date"}}},
    )
    lh_positive = set(ev.loc[ev["event"] == "lh_positive", "subject_id"])
    truth = truth_record(
        "cycle",
        effects,
        "RMET points per natural-log unit of the true salivary concentration (pg/mL)",
        "rmet_total",
        "rmet_total ~ log_estradiol_within + log_estradiol_between + "
        "log_progesterone_within + (1 | subject_id)",
        {
            "log_estradiol_within": sd * e["estradiol_within"],
            "log_estradiol_between": sd * e["estradiol_between"],
            "log_progesterone_within": sd * e["progesterone_within"],
        },
        variance={"subject_intercept_sd": sd * np.sqrt(0.5), "residual_sd": sd * np.sqrt(0.5)},
        lh_tested=[s for s in ids if s in lh_positive],
    )
    tables = {"subjects": subjects, "samples": samples, "responses": responses, "cycles": cycles}
    return make_study(contract, tables, truth)


# ------------------------------------------------------------------------------- crossover
def simulate_crossover(rng, n, effects, options):
    icc = float(options.pop("icc", 0.5))
    name = str(options.pop("name", "simulated_crossover"))
    no_options(options)
    e = effects
    ids = subject_ids(n)
    seq = rng.permutation(np.where(np.arange(n) < n // 2, "AB", "BA"))
    s = np.sqrt(icc) * rng.standard_normal(n)
    mean, sd = SCALES["rmet"][0], SCALES["rmet"][1]
    rows, samp_rows, treat = [], [], []
    first_day = rng.integers(0, 40, size=n)
    for i, sid in enumerate(ids):
        for period in (1, 2):
            ot = (seq[i] == "AB") == (period == 1)
            carry = period == 2 and seq[i] == "AB"
            z = (
                s[i]
                + e["oxytocin"] * ot
                + e["period"] * (period == 2)
                + e["carryover"] * carry
                + np.sqrt(1 - icc) * rng.standard_normal()
            )
            session = f"p{period}"
            day = int(first_day[i]) + 7 * (period - 1)
            rows.append(
                {
                    "subject_id": sid,
                    "session": session,
                    "rmet_total": int(score_round(np.array([mean + sd * z]), "rmet")[0]),
                }
            )
            base = np.log(6.0) + 0.5 * rng.standard_normal()
            for k, (t, rise) in enumerate(((-5, 0.0), (45, 1.2 if ot else 0.0)), start=1):
                samp_rows.append(
                    {
                        "subject_id": sid,
                        "session": session,
                        "sample_id": f"{sid}-{session}-{k}",
                        "sample_number": k,
                        "sample_time": t,
                        "conc": np.exp(base + rise + 0.15 * rng.standard_normal()),
                    }
                )
            start = f"{date_text([day])[0]} 09:{10 + (i % 5) * 5:02d}"
            treat.append(
                {"subject_id": sid, "session": session,
                 **treatments_row(sid, "intranasal_oxytocin" if ot else "placebo", start)}
            )
    samples = finish_samples(
        assay_wells(rng, pd.DataFrame(samp_rows), "oxytocin", extracted=True)
    )
    out = pd.DataFrame(rows)
    responses = pd.DataFrame(
        {
            "subject_id": out["subject_id"],
            "session": out["session"],
            "instrument": "rmet",
            "item": "total",
            "response": out["rmet_total"].astype("Int64"),
        }
    )
    subjects = pd.DataFrame(
        {
            "subject_id": ids,
            "sex": np.where(rng.random(n) < 0.5, "female", "male"),
            "age": rng.integers(18, 41, size=n).astype(float),
            "sequence": seq,
        }
    )
    contract = base_contract(
        name,
        "Simulated 2x2 crossover of intranasal oxytocin vs placebo (AB/BA) with saliva "
        "oxytocin before and after dosing and an RMET total per session.",
        "crossover",
        ("oxytocin",),
        tables=("subjects", "samples", "responses", "treatments"),
        instruments={"rmet": {}},
        agents=("intranasal_oxytocin", "placebo"),
        columns={"subjects": {"sequence": {"dtype": "str", "values": ["AB", "BA"]}}},
    )
    truth = truth_record(
        "crossover",
        effects,
        "RMET points; sequence AB = oxytocin in period 1",
        "rmet_total",
        "rmet_total ~ oxytocin + period2 + (1 | subject_id)",
        {"oxytocin": sd * e["oxytocin"], "period2": sd * e["period"]},
        carryover=sd * e["carryover"],
        variance={"subject_sd": sd * np.sqrt(icc), "residual_sd": sd * np.sqrt(1 - icc)},
    )
    tables = {
        "subjects": subjects,
        "samples": samples,
        "responses": responses,
        "treatments": pd.DataFrame(treat),
    }
    return make_study(contract, tables, truth)


# ---------------------------------------------------------------------------------- dyadic
def simulate_dyadic(rng, n, effects, options):
    name = str(options.pop("name", "simulated_dyadic"))
    no_options(options)
    e = effects
    ids = subject_ids(2 * n)
    dyads = [f"D{k + 1:03d}" for k in range(n)]
    c = np.log(8.0)
    cov_x = 0.6**2 * np.array([[1.0, 0.2], [0.2, 1.0]])
    x = c + rng.multivariate_normal([0.0, 0.0], cov_x, size=n)  # (n, 2): female, male
    res = rng.multivariate_normal([0.0, 0.0], [[1.0, 0.3], [0.3, 1.0]], size=n)
    role_shift = np.array([0.6, 0.0])  # women report more empathic concern
    z = role_shift + e["actor"] * (x - c) + e["partner"] * (x[:, ::-1] - c) + res
    mean, sd = SCALES["iri_ec"][0], SCALES["iri_ec"][1]
    ec = score_round((mean + sd * z).reshape(-1), "iri_ec")
    log_t = np.column_stack(
        [np.log(25) + 0.4 * rng.standard_normal(n), np.log(110) + 0.35 * rng.standard_normal(n)]
    ).reshape(-1)
    log_c = np.log(6.0) + 0.5 * rng.standard_normal(2 * n)
    subjects = pd.DataFrame(
        {
            "subject_id": ids,
            "dyad_id": np.repeat(dyads, 2),
            "role": np.tile(["female_partner", "male_partner"], n),
            "sex": np.tile(["female", "male"], n),
            "age": rng.integers(20, 56, size=2 * n).astype(float),
        }
    )
    samples = finish_samples(
        saliva_wells(
            rng, ids, "s1", {"oxytocin": x.reshape(-1), "testosterone": log_t, "cortisol": log_c}
        )
    )
    a53 = (rng.random(2 * n) < 0.35).astype(int) + (rng.random(2 * n) < 0.35).astype(int)
    genotypes = genotypes_table(rng, ids, {"rs53576": a53}, no_call_rate=0.0)
    responses = responses_table(rng, ids, {"iri": iri_scores(rng, ec)}, missing_rate=0.0)
    contract = base_contract(
        name,
        "Simulated couples study (distinguishable partners): saliva oxytocin, "
        "testosterone and cortisol, rs53576 and IRI items.",
        "dyadic",
        ("oxytocin", "testosterone", "cortisol"),
        tables=("subjects", "samples", "genotypes", "responses"),
        snps=("rs53576",),
        instruments={"iri": {"max_missing": 1}},
        columns={
            "subjects": {"role": {"dtype": "str", "values": ["female_partner", "male_partner"]}}
        },
    )
    truth = truth_record(
        "dyadic",
        effects,
        "IRI empathic-concern points per natural-log unit of saliva oxytocin (pg/mL)",
        "iri_ec",
        "iri_ec ~ male_partner + log_oxytocin_actor + log_oxytocin_partner "
        "(residuals correlated within dyad)",
        {
            "log_oxytocin_actor": sd * e["actor"],
            "log_oxytocin_partner": sd * e["partner"],
            "male_partner": -sd * 0.6,
        },
        residual_correlation=0.3,
        residual_sd=sd,
    )
    tables = {
        "subjects": subjects,
        "samples": samples,
        "genotypes": genotypes,
        "responses": responses,
    }
    return make_study(contract, tables, truth)


# ------------------------------------------------------------------------------------ tsst
TSST_TIMES = (-30, -1, 30, 40, 50, 60, 70)


def _gamma_curve(t: np.ndarray, peak: float = 40.0, k: float = 3.0) -> np.ndarray:
    t = np.asarray(t, dtype=float)
    r = np.clip(t, 0, None) / peak
    return np.where(t > 0, r**k * np.exp(k * (1 - r)), 0.0)


def _clock(minutes) -> list[str]:
    minutes = np.asarray(minutes, dtype=int) % (24 * 60)
    return [f"{m // 60:02d}:{m % 60:02d}" for m in minutes]


def simulate_tsst(rng, n, effects, options):
    name = str(options.pop("name", "simulated_tsst"))
    phi = float(options.pop("serial_phi", 0.0))
    no_options(options)
    if not 0 <= phi < 1:
        raise HormoneStatsError(f"tsst: serial_phi must lie in [0, 1), got {phi}")
    e = effects
    ids = subject_ids(n)
    arm = rng.permutation(np.where(np.arange(n) < n // 2, 1.0, 0.0))
    male = (rng.random(n) < 0.5).astype(float)
    base = np.log(5.0) + 0.45 * rng.standard_normal(n)
    amp = 0.8 + e["oxytocin"] * arm + e["male"] * male + 0.35 * rng.standard_normal(n)
    wake = np.round(7 * 60 + 40 * rng.standard_normal(n)).astype(int)
    onset = rng.choice([13 * 60 + 30, 14 * 60 + 30, 15 * 60 + 30], size=n)
    times = np.asarray(TSST_TIMES)
    g = _gamma_curve(times)
    noise = rng.standard_normal((n, 7))
    if phi > 0:  # CAR(1) over the sample times (10-minute correlation phi)
        for k in range(1, 7):
            r = phi ** ((times[k] - times[k - 1]) / 10)
            noise[:, k] = r * noise[:, k - 1] + np.sqrt(1 - r * r) * noise[:, k]
    log_c = base[:, None] + amp[:, None] * g[None, :] + 0.12 * noise
    samp = pd.DataFrame(
        {
            "subject_id": np.repeat(ids, 7),
            "session": "tsst",
            "sample_id": [f"{s}-{k + 1}" for s in ids for k in range(7)],
            "sample_number": np.tile(np.arange(1, 8), n),
            "sample_time": np.tile(times, n),
            "clock_time": _clock((onset[:, None] + times[None, :]).reshape(-1)),
            "wake_time": np.repeat(_clock(wake), 7),
            "conc": np.exp(log_c.reshape(-1)),
        }
    )
    samples = finish_samples(assay_wells(rng, samp, "cortisol"))
    subjects = pd.DataFrame(
        {
            "subject_id": ids,
            "sex": np.where(male == 1, "male", "female"),
            "age": rng.integers(18, 41, size=n).astype(float),
            "arm": np.where(arm == 1, "oxytocin", "placebo"),
        }
    )
    treat = pd.DataFrame(
        [
            treatments_row(
                s,
                "intranasal_oxytocin" if a == 1 else "placebo",
                f"2024-04-{1 + i % 28:02d} {_clock([o - 50])[0]}",
                interval_min=50.0,
            )
            for i, (s, a, o) in enumerate(zip(ids, arm, onset))
        ]
    )
    contract = base_contract(
        name,
        "Simulated Trier Social Stress Test with intranasal oxytocin vs placebo: saliva "
        "cortisol at -30, -1, 30, 40, 50, 60 and 70 min around stressor onset.",
        "between",
        ("cortisol",),
        tables=("subjects", "samples", "treatments"),
        agents=("intranasal_oxytocin", "placebo"),
        columns={
            "subjects": {"arm": {"dtype": "str", "values": ["oxytocin", "placebo"]}},
            "samples": {"clock_time": {"dtype": "str"}},
        },
    )
    truth = truth_record(
        "tsst",
        effects,
        "natural-log ratio of cortisol at +40 min to -1 min (the peak sample)",
        "log_reactivity",
        "log_reactivity ~ oxytocin + male  (log_reactivity = log C(40) - log C(-1))",
        {"Intercept": 0.8, "oxytocin": e["oxytocin"], "male": e["male"]},
        sample_times=list(TSST_TIMES),
        curve_peak_min=40.0,
        **({"serial_phi": phi, "serial_phi_per_minute": phi**0.1} if phi > 0 else {}),
    )
    tables = {"subjects": subjects, "samples": samples, "treatments": treat}
    return make_study(contract, tables, truth)

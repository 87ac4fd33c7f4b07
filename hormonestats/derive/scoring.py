"""Scoring questionnaires and tasks from a long responses table.

Definitions (items, ranges, reverse keys, subscales) live in
:mod:`hormonestats.registry.instruments`; this module turns responses into scores.

**Scoring rules**: ``sum`` (subscale sums), ``mean`` (subscale means), ``key`` (number
correct against a user-supplied answer key, e.g. RMET) and ``trust_game`` (amount sent,
proportion of the endowment sent, amount returned, proportion returned of the multiplied
amount; Berg, Dickhaut & McCabe 1995).

**Missing items**: a subscale score is computed when at most ``max_missing`` of its items
are missing, by prorating (mean of the answered items x number of items, which for ``mean``
scoring is simply the mean of the answered items); otherwise it is missing. With
``max_missing: 0`` any missing item leaves the subscale missing. Every prorated and every
missing score is logged. A blank is never scored as 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import ContractError, DataError, format_rows
from ..log import Derived, combine_logs, empty_log, log_rows
from ..registry.instruments import (
    Instrument,
    _item_id,
    _per_row,
    _require,
    _rows_of,
    get_instrument,
)

__all__ = ["normalise_key", "score_instrument", "score_responses"]


def normalise_key(inst: Instrument, key) -> dict[str, float]:
    if key is None:
        raise ContractError(
            f"{inst.name} is scored against an answer key: pass key={{item: correct option}} "
            f"for items {inst.items[0]}..{inst.items[-1]}"
        )
    if isinstance(key, pd.Series):
        key = key.to_dict()
    if not isinstance(key, Mapping):
        if isinstance(key, Sequence) and not isinstance(key, str) and len(key) == len(inst.items):
            key = dict(zip(inst.items, key))
        else:
            raise ContractError(
                f"key for {inst.name} must map item -> correct option (or list all "
                f"{len(inst.items)} options in item order)"
            )
    out = {_item_id(k): v for k, v in key.items()}
    problems = []
    missing = [i for i in inst.items if i not in out]
    if missing:
        problems.append(f"no correct option for item(s) {', '.join(missing)}")
    extra = [i for i in out if i not in set(inst.items)]
    if extra:
        problems.append(f"unknown item(s) {', '.join(extra)}")
    for item, option in out.items():
        try:
            value = float(option)
        except (TypeError, ValueError):
            problems.append(f"item {item}: option {option!r} is not a number")
            continue
        if not inst.response_min <= value <= inst.response_max:
            problems.append(
                f"item {item}: option {option!r} outside [{inst.response_min}, {inst.response_max}]"
            )
        out[item] = value
    if problems:
        raise ContractError(f"answer key for {inst.name} is invalid: " + "; ".join(problems))
    return out


def _index_columns(rows: pd.DataFrame, subject: str, session: str | None) -> list[str]:
    return [subject] + ([session] if session and session in rows.columns else [])


def score_instrument(
    responses: pd.DataFrame,
    instrument,
    *,
    key=None,
    max_missing: int | None = None,
    endowment=None,
    multiplier=None,
    subject: str = "subject_id",
    session: str | None = "session",
) -> Derived:
    """Score one instrument: one row per subject x session, one column per (sub)scale.

    Parameters
    ----------
    responses : DataFrame
        Long responses table (``subject_id, session, instrument, item, response``); rows of
        other instruments are ignored. ``session`` may be absent.
    instrument : str or Instrument
        Built-in name or a loaded definition.
    key : Mapping, optional
        Answer key (item -> correct option) for ``key`` scoring (RMET).
    max_missing : int, optional
        Override the definition's prorating limit.
    endowment, multiplier : float, optional
        Trust game: investor endowment and multiplier (a column ``endowment`` /
        ``multiplier`` in ``responses`` takes precedence; by default the instrument's own,
        as a contract sets them, and a multiplier of 3).
    subject, session : str
        Id columns.

    Returns
    -------
    Derived
        ``(scores, log)``. Scores: columns ``subject, session`` and
        :attr:`Instrument.score_columns`. The log has one ``altered`` row per prorated score
        and one ``flagged`` row per score left missing (table ``scores``, row = score row).

    Raises
    ------
    DataError
        When :meth:`Instrument.check_responses` finds problems (all listed), or a subject has
        two responses to one item.

    Examples
    --------
    >>> rows = pd.DataFrame({"subject_id": "s1", "session": 1, "instrument": "pss10",
    ...                      "item": range(1, 11), "response": [2] * 9 + [None]})
    >>> scores, log = score_instrument(rows, "pss10")
    >>> float(scores["pss10_total"].iloc[0])
    20.0
    >>> log["reason"].iloc[0]
    'pss10_total prorated from 9 of 10 items'
    """
    inst = get_instrument(instrument)
    _require(responses, [subject, "item", "response"], "responses")
    endowment = inst.endowment if endowment is None else endowment
    multiplier = (inst.multiplier if inst.multiplier is not None else 3) \
        if multiplier is None else multiplier
    limit = inst.max_missing if max_missing is None else int(max_missing)
    if limit < 0:
        raise ContractError(f"max_missing must be >= 0, got {max_missing}")
    problems = inst.check_responses(responses, endowment=endowment, multiplier=multiplier)
    if len(problems):
        lines = [
            f"{format_rows(grp['row'])}: {msg}"
            for msg, grp in problems.groupby("message", sort=False)
        ]
        raise DataError(
            f"responses table, instrument {inst.name!r}: {len(problems)} problem(s):\n- "
            + "\n- ".join(lines)
        )
    rows = _rows_of(responses, inst)
    idx = _index_columns(rows, subject, session)
    rows = rows.assign(
        _item=rows["item"].map(_item_id),
        _value=pd.to_numeric(rows["response"], errors="coerce").astype(float),
    )
    dup = rows.duplicated(idx + ["_item"], keep=False)
    if dup.any():
        raise DataError(
            f"responses table, instrument {inst.name!r}: more than one response to the same "
            f"item for one {' x '.join(idx)} at {format_rows(rows.index[dup])}"
        )
    if inst.scoring == "trust_game":
        return _score_trust(rows, inst, idx, endowment, multiplier)
    wide = rows.pivot(index=idx, columns="_item", values="_value")
    wide = wide.reindex(columns=list(inst.items))
    totals = None
    if inst.accepts_total and (rows["_item"] == "total").any():
        totals = rows.loc[rows["_item"] == "total"].set_index(idx)["_value"]
        wide = wide.reindex(wide.index.union(totals.index))
    if inst.scoring == "key" and key is None and not rows["_item"].isin(inst.items).any():
        # only task totals were given (e.g. an RMET total per visit): no key is needed
        item_scores = pd.DataFrame(np.nan, index=wide.index, columns=list(inst.items))
    elif inst.scoring == "key":
        answers = normalise_key(inst, key)
        correct = pd.DataFrame(
            {i: (wide[i] == answers[i]).astype(float).where(wide[i].notna()) for i in inst.items}
        )
        item_scores = correct
    else:
        item_scores = wide.copy()
        for item in inst.reverse:
            item_scores[item] = inst.response_min + inst.response_max - item_scores[item]
    out = pd.DataFrame(index=wide.index)
    logs = []
    notes = {}
    for sub, members in inst.subscales.items():
        col = f"{inst.prefix}_{sub}"
        block = item_scores[list(members)]
        n_items = len(members)
        n_answered = block.notna().sum(axis=1)
        n_missing = n_items - n_answered
        mean = block.mean(axis=1)
        score = mean if inst.scoring == "mean" else mean * n_items
        ok = n_missing <= limit
        score = score.where(ok & (n_answered > 0))
        if totals is not None and sub == "total":
            has_total = totals.reindex(out.index).notna()
            score = score.where(~has_total, totals.reindex(out.index))
            n_missing = n_missing.where(~has_total, 0)
            ok = ok | has_total
        out[col] = score.astype(float)
        notes[col] = (n_missing, ok, n_items)
    out = out.reset_index()
    for col, (n_missing, ok, n_items) in notes.items():
        n_missing = n_missing.to_numpy()
        ok = ok.to_numpy()
        prorated = (n_missing > 0) & ok
        dropped = ~ok
        if prorated.any():
            reasons = pd.Series(
                [f"{col} prorated from {n_items - m} of {n_items} items" for m in n_missing],
                index=out.index,
            )
            logs.append(log_rows("score_instrument", "scores", out, prorated, "altered", reasons))
        if dropped.any():
            reasons = pd.Series(
                [
                    f"{col} missing: {m} of {n_items} items missing (more than {limit})"
                    for m in n_missing
                ],
                index=out.index,
            )
            logs.append(log_rows("score_instrument", "scores", out, dropped, "flagged", reasons))
    out.columns.name = None
    return Derived(out, combine_logs(logs) if logs else empty_log())


def _score_trust(rows, inst, idx, endowment, multiplier) -> Derived:
    rows = rows.assign(
        _endow=_per_row(rows, "endowment", endowment),
        _mult=_per_row(rows, "multiplier", multiplier),
    )
    wide = rows.pivot(index=idx, columns="_item", values="_value").reindex(
        columns=["sent", "returned"]
    )
    params = rows.groupby(idx)[["_endow", "_mult"]].first().reindex(wide.index)
    missing_endow = params["_endow"].isna() & wide["sent"].notna()
    if missing_endow.any():
        raise DataError(
            f"trust game needs the endowment for {', '.join(map(str, wide.index[missing_endow]))}"
            ": add a column 'endowment' or pass endowment="
        )
    p = inst.prefix
    sent, returned = wide["sent"], wide["returned"]
    multiplied = sent * params["_mult"]
    out = pd.DataFrame(
        {
            f"{p}_sent": sent.astype(float),
            f"{p}_sent_prop": (sent / params["_endow"]).astype(float),
            f"{p}_returned": returned.astype(float),
            f"{p}_returned_prop": (returned / multiplied.where(multiplied > 0)).astype(float),
        },
        index=wide.index,
    ).reset_index()
    out.columns.name = None
    logs = []
    for col, values in (("sent", sent), ("returned", returned)):
        mask = values.isna().to_numpy()
        if mask.any():
            logs.append(
                log_rows(
                    "score_instrument",
                    "scores",
                    out,
                    mask,
                    "flagged",
                    f"trust game amount {col} missing",
                )
            )
    zero = (sent == 0).to_numpy() & returned.notna().to_numpy()
    if zero.any():
        logs.append(
            log_rows(
                "score_instrument",
                "scores",
                out,
                zero,
                "flagged",
                "nothing sent: proportion returned undefined",
            )
        )
    return Derived(out, combine_logs(logs) if logs else empty_log())


def score_responses(
    responses: pd.DataFrame,
    instruments,
    *,
    keys: Mapping | None = None,
    max_missing: int | Mapping | None = None,
    **options,
) -> Derived:
    """Score several instruments into one wide table (one row per subject x session).

    Parameters
    ----------
    responses : DataFrame
        Long responses table with an ``instrument`` column.
    instruments : Mapping[str, Instrument] or sequence of names / Instruments
    keys : Mapping[str, Mapping], optional
        Instrument name -> answer key (RMET).
    max_missing : int or Mapping[str, int], optional
        Prorating limit for all instruments or per instrument name.
    **options
        ``endowment``, ``multiplier``, ``subject``, ``session``: as in
        :func:`score_instrument`.

    Returns
    -------
    Derived
        ``(scores, log)``; scores are outer-joined on subject (and session).

    Examples
    --------
    >>> rows = pd.DataFrame({"subject_id": "s1", "session": 1, "instrument": "trust_game",
    ...                      "item": ["sent", "returned"], "response": [5, 6]})
    >>> scores, _ = score_responses(rows, ["trust_game"], endowment=10)
    >>> scores[["trust_sent", "trust_sent_prop", "trust_returned_prop"]].iloc[0].tolist()
    [5.0, 0.5, 0.4]
    """
    unknown = set(options) - {"endowment", "multiplier", "subject", "session"}
    if unknown:
        raise TypeError(f"score_responses got unexpected option(s) {sorted(unknown)}")
    subject = options.get("subject", "subject_id")
    session = options.get("session", "session")
    _require(responses, [subject, "instrument", "item", "response"], "responses")
    if isinstance(instruments, (str, Instrument)):
        instruments = [instruments]
    if isinstance(instruments, Mapping):
        insts = [get_instrument(v) for v in instruments.values()]
    else:
        insts = [get_instrument(v) for v in instruments]
    keys = dict(keys or {})
    merged = None
    logs = []
    errors = []
    for inst in insts:
        limit = max_missing.get(inst.name) if isinstance(max_missing, Mapping) else max_missing
        try:
            scores, log = score_instrument(
                responses,
                inst,
                key=keys.get(inst.name),
                max_missing=limit,
                **options,
            )
        except DataError as exc:
            errors.append(str(exc))
            continue
        logs.append(log)
        idx = _index_columns(scores, subject, session)
        merged = scores if merged is None else merged.merge(scores, on=idx, how="outer")
    if errors:
        raise DataError("\n".join(errors))
    if merged is None:
        raise ContractError("no instruments to score")
    idx = _index_columns(merged, subject, session)
    merged = merged.sort_values(idx, ignore_index=True)
    return Derived(merged, combine_logs(logs))

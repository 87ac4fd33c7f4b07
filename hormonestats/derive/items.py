"""Item-level accuracy of a keyed task (the RMET): one row per subject x item, scored against
the answer key, for generalized mixed models with crossed subject and item effects.

:func:`item_accuracy_table` turns a long responses table and an answer key into the table
``subject_id, item, response, correct`` (``correct`` 1 when the response is the keyed option,
0 when it is another option, missing when the item was skipped or has no response row at all).
Every subject x item of the key is present; each missing answer is kept as a row with a
missing ``correct`` and logged (``flagged``), so a model that leaves it out can say so.
:func:`study_item_table` does the same for a study whose contract names the answer key.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError
from ..log import Derived, empty_log, log_rows
from ..registry.instruments import _item_id, _rows_of, get_instrument
from .scoring import normalise_key

__all__ = ["item_accuracy_table", "study_item_table"]

ITEM_COLUMNS = ["subject_id", "item", "response", "correct"]


def item_accuracy_table(responses: pd.DataFrame, key, *, instrument: str = "rmet",
                        subject: str = "subject_id") -> Derived:
    """Accuracy per subject and item of a keyed task, with a log of the missing answers.

    Parameters
    ----------
    responses : DataFrame
        Long responses table (``subject_id, instrument, item, response``; rows of other
        instruments are ignored); not modified.
    key : Mapping
        Item -> correct option (as in the contract's answer-key file).
    instrument : str
        The keyed instrument (default ``"rmet"``).
    subject : str
        The subject id column.

    Returns
    -------
    Derived
        ``(table, log)``: ``subject_id, item, response, correct`` sorted by subject and item
        order; the log has one ``flagged`` row per missing answer (table ``items``).

    Raises
    ------
    DataError
        When a subject answered one item twice (rows named).

    Examples
    --------
    >>> rows = pd.DataFrame({"subject_id": ["s1", "s1", "s2"], "instrument": "rmet",
    ...                      "item": [1, 2, 1], "response": [3, 1, None]})
    >>> key = {str(i): 3 for i in range(1, 37)}
    >>> table, log = item_accuracy_table(rows, key)
    >>> table.loc[table["item"].isin(["1", "2"]), "correct"].tolist()
    [1.0, 0.0, nan, nan]
    >>> len(table), len(log)
    (72, 70)
    """
    inst = get_instrument(instrument)
    answers = normalise_key(inst, key)
    missing_cols = [c for c in (subject, "instrument", "item", "response")
                    if c not in responses.columns]
    if missing_cols:
        raise DataError(f"responses table has no column(s) {missing_cols} (expected "
                        f"{subject}, instrument, item, response)")
    rows = _rows_of(responses, inst)
    rows = rows.assign(_item=rows["item"].map(_item_id),
                       _value=pd.to_numeric(rows["response"], errors="coerce").astype(float))
    rows = rows.loc[rows["_item"].isin(inst.items)]
    dup = rows.duplicated([subject, "_item"], keep=False)
    if dup.any():
        raise DataError(f"responses table, instrument {inst.name!r}: more than one response to "
                        f"the same item for one subject at rows "
                        f"{', '.join(map(str, rows.index[dup][:10]))}")
    subjects = pd.unique(rows[subject].astype(str))
    grid = pd.MultiIndex.from_product([subjects, list(inst.items)], names=[subject, "item"])
    given = rows.assign(**{subject: rows[subject].astype(str)}).set_index(
        [subject, "_item"])["_value"]
    given.index.names = [subject, "item"]
    response = given.reindex(grid)
    table = response.rename("response").reset_index()
    keyed = table["item"].map(answers).astype(float)
    table["correct"] = (table["response"] == keyed).astype(float).where(
        table["response"].notna())
    if subject != "subject_id":
        table = table.rename(columns={subject: "subject_id"})
    had_row = pd.Series(grid.isin(given.index), index=table.index)
    reason = pd.Series(np.where(had_row, f"{inst.name} item answer missing (skipped)",
                                f"{inst.name} item has no response row"), index=table.index)
    miss = table["correct"].isna()
    log = log_rows("item_accuracy_table", "items", table, miss, "flagged",
                   reason) if miss.any() else empty_log()
    return Derived(table[ITEM_COLUMNS], log)


def study_item_table(study, instrument: str = "rmet") -> Derived | None:
    """The item accuracy table of a study's keyed ``instrument`` (None when the study has no
    item-level responses of it or its contract names no answer key)."""
    from .processing import instrument_keys

    spec = dict(getattr(study.contract, "instruments", {}) or {}).get(instrument)
    tables = dict(study.tables)
    if spec is None or getattr(spec, "key", None) is None or "responses" not in tables:
        return None
    responses = tables["responses"]
    if "instrument" not in responses.columns:
        return None
    inst = get_instrument(instrument)
    rows = responses.loc[responses["instrument"].astype(str) == inst.name]
    if not rows["item"].map(_item_id).isin(inst.items).any():
        return None  # only task totals were given
    key = instrument_keys(study).get(instrument)
    if key is None:
        return None
    return item_accuracy_table(responses, key, instrument=instrument)

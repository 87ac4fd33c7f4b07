"""Plain-language verdicts for a family of hypothesis tests.

A verdict reads the family table (``hs.test_hypotheses(...).table``) the way the methods text
defines support: the FDR-adjusted *p* value below ``alpha`` **and** the estimate in the
predicted direction. Nothing is recomputed; only the table's numbers are put into words.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..errors import DataError
from .numbers import format_ci, format_number, format_p

__all__ = ["fdr_families", "plain_verdicts", "secondary_sentence"]

_DIRECTION = {1: "positive", -1: "negative"}


def fdr_families(table: pd.DataFrame) -> pd.Series:
    """The FDR family of each row's registered hypothesis (``"primary"`` when unregistered)."""
    from ..models.claims import hypotheses as registry

    return table["hypothesis"].map(
        lambda h: getattr(registry.get(h), "fdr_family", "primary")).astype(str)


def secondary_sentence(rows: pd.DataFrame) -> str:
    """Methods text for the tested hypotheses of secondary FDR families ('' when none).

    >>> secondary_sentence(pd.DataFrame({"hypothesis": ["estradiol_oxytocin_items"]}))
    ' A second analysis of a claim of that family on the same data (“estradiol_oxytocin_items”) was adjusted in its own secondary family (item_level), apart from it.'
    """
    text = ""
    for group, part in rows.groupby(fdr_families(rows), sort=True):
        names = ", ".join(f"“{h}”" for h in part["hypothesis"])
        text += (f" A second analysis of a claim of that family on the same data ({names}) "
                 f"was adjusted in its own secondary family ({group}), apart from it.")
    return text


def _verdict(row: Mapping, alpha: float) -> tuple[str, str]:
    status = str(row.get("status", "tested"))
    if status != "tested":
        why = str(row.get("reason") or status)
        return "not tested", f"Not tested: {why}."
    p_col = "p_fdr" if pd.notna(row.get("p_fdr", float("nan"))) else "p_value"
    p = row.get(p_col)
    what = "FDR-adjusted p" if p_col == "p_fdr" else "p"
    ptext = f"{what} {format_p(p, with_p=True)[2:]}" if pd.notna(p) else f"{what} —"
    est = row.get("estimate")
    ci = format_ci(row.get("conf_low"), row.get("conf_high"))
    numbers = f"estimate {format_number(est)}, 95% CI {ci}, {ptext}"
    sign = row.get("predicted_sign")
    sign = int(sign) if sign is not None and pd.notna(sign) else 0
    significant = pd.notna(p) and float(p) < alpha
    if not significant:
        return "not supported", (
            f"Not supported: the data do not distinguish the effect from zero ({numbers})."
        )
    if sign == 0:
        return "supported", f"Supported: an effect, as predicted without a direction ({numbers})."
    observed = 1 if float(est) > 0 else -1
    if observed == sign:
        return "supported", (
            f"Supported: a {_DIRECTION[sign]} effect, as predicted ({numbers})."
        )
    return "contradicted", (
        f"Contradicted: the effect is {_DIRECTION[observed]}, the hypothesis predicted "
        f"{_DIRECTION[sign]} ({numbers})."
    )


def plain_verdicts(table, *, alpha: float = 0.05, claims: Mapping[str, str] | None = None
                   ) -> pd.DataFrame:
    """One plain-language verdict per hypothesis of a family table.

    Parameters
    ----------
    table : DataFrame or result
        ``hypothesis, estimate, conf_low, conf_high, p_value, [p_fdr], [predicted_sign],
        [status, reason]``.
    alpha : float
        Significance level for the (adjusted) p value.
    claims : dict, optional
        Hypothesis -> the claim in words (``hs.hypotheses[name].claim``).

    Returns
    -------
    DataFrame
        ``hypothesis, claim, outcome, verdict`` (``outcome`` is one of supported, not
        supported, contradicted, not tested).

    Examples
    --------
    >>> tab = pd.DataFrame({"hypothesis": ["H1", "H2"], "estimate": [0.4, -0.1],
    ...                     "conf_low": [0.2, -0.3], "conf_high": [0.6, 0.1],
    ...                     "p_value": [0.001, 0.3], "p_fdr": [0.002, 0.3],
    ...                     "predicted_sign": [1, 1]})
    >>> for v in plain_verdicts(tab)["verdict"]:
    ...     print(v)
    Supported: a positive effect, as predicted (estimate 0.40, 95% CI [0.20, 0.60], FDR-adjusted p = .002).
    Not supported: the data do not distinguish the effect from zero (estimate -0.10, 95% CI [-0.30, 0.10], FDR-adjusted p = .300).
    """
    frame = getattr(table, "table", table)
    if not isinstance(frame, pd.DataFrame) or "hypothesis" not in frame.columns:
        raise DataError("plain_verdicts needs a family table with a 'hypothesis' column")
    rows = []
    for row in frame.to_dict("records"):
        outcome, text = _verdict(row, alpha)
        name = str(row["hypothesis"])
        rows.append({"hypothesis": name, "claim": (claims or {}).get(name, ""),
                     "outcome": outcome, "verdict": text})
    return pd.DataFrame(rows, columns=["hypothesis", "claim", "outcome", "verdict"])

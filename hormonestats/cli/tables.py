"""Console tables of the command line (rich): hypotheses, role plans and run results.

Kept apart from :mod:`hormonestats.cli` so the commands stay thin; everything here only
formats tables the public API returned.
"""

from __future__ import annotations

import math

import pandas as pd
from rich.console import Group
from rich.table import Table
from rich.text import Text

__all__ = ["family_table", "registry_table", "results_table", "role_table", "map_line"]


#: Narrower consoles (and output redirected to a file, which rich reads as 80 columns) get
#: one block of wrapped lines per row instead of a wide table, so no number is ever cut.
WIDE = 120


def _narrow(width: int | None) -> bool:
    return width is not None and width < WIDE


def _block(title: str, style: str, lines: list[tuple[str, str]]) -> Text:
    """One row as a block: a bold title line, then ``name: value`` lines indented (rich wraps
    them at spaces, so numbers stay whole)."""
    text = Text(title, style=style)
    for name, value in lines:
        if value:
            text.append(f"\n  {name}: " if name else "\n  ", style="dim")
            text.append(str(value))
    return text


def _blocks(title: str, blocks: list[Text]) -> Group:
    return Group(Text(title, style="bold italic"), *[Text.assemble(b, "\n") for b in blocks])


def _num(value, digits: int = 3) -> str:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return ""
    return "" if math.isnan(value) else f"{value:.{digits}g}"


def registry_table(registry, roles: dict[str, str], width: int | None = None) -> Table | Group:
    """Every registered hypothesis: family, roles (model argument = role), sign and claim
    (a block per hypothesis when ``width`` is narrow)."""
    if _narrow(width):
        return _blocks("Registered hypotheses", [
            _block(name, "bold", [
                ("family", hyp.family), ("roles", ", ".join(hyp.role_names)),
                ("sign", {1: "+", -1: "-", 0: "two-sided"}[hyp.predicted_sign]),
                ("claim", hyp.claim)])
            for name, hyp in registry.items()])
    table = Table(title="Registered hypotheses", show_lines=True)
    table.add_column("hypothesis", no_wrap=True, style="bold")
    table.add_column("family")
    table.add_column("roles")
    table.add_column("sign", justify="right")
    table.add_column("claim")
    for name, hyp in registry.items():
        sign = {1: "+", -1: "-", 0: "two-sided"}[hyp.predicted_sign]
        table.add_row(name, hyp.family, ", ".join(hyp.role_names), sign, hyp.claim)
    return table


def role_table(plan: pd.DataFrame, title: str, width: int | None = None) -> Table | Group:
    """A role plan (:func:`hormonestats.workflows.roles.role_plan`): columns found, why not, the fix."""
    if _narrow(width):
        return _blocks(title, [
            _block(f"{row.hypothesis}: {row.status}",
                   "bold green" if row.status == "applicable" else "bold yellow",
                   [("roles -> columns", row.columns), ("why not", row.reason),
                    ("fix", row.fix)])
            for row in plan.itertuples()])
    table = Table(title=title, show_lines=True)
    table.add_column("hypothesis", no_wrap=True, style="bold")
    table.add_column("status")
    table.add_column("roles -> columns")
    table.add_column("why not / fix")
    for row in plan.itertuples():
        style = "green" if row.status == "applicable" else "yellow"
        why = row.reason
        if row.fix:
            why = f"{why}\nfix: {row.fix}"
        table.add_row(row.hypothesis, f"[{style}]{row.status}[/]", row.columns, why)
    return table


def map_line(plan: pd.DataFrame) -> str:
    """The ``--map`` options that together fix every fixable role of a plan (deduplicated)."""
    seen: dict[str, str] = {}
    for fix in plan["fix"]:
        for part in str(fix).split("--map"):
            part = part.strip()
            if "=" in part:
                role, column = part.split("=", 1)
                seen.setdefault(role, column)
    return " ".join(f"--map {r}={c}" for r, c in seen.items())


def results_table(table: pd.DataFrame, width: int | None = None) -> Table | Group:
    """What ``run`` tested (estimate, CI, p, FDR p, covariates) and what it could not test
    (a block per hypothesis when ``width`` is narrow: the full tables are in the results
    folder)."""
    if _narrow(width):
        blocks = []
        for row in table.itertuples():
            tested = row.status == "tested"
            numbers = (f"estimate {_num(row.estimate)}, 95% CI [{_num(row.conf_low)}, "
                       f"{_num(row.conf_high)}], p = {_num(row.p_value)}, p (FDR) = "
                       f"{_num(row.p_fdr)}, n = {row.n}") if tested else ""
            blocks.append(_block(f"{row.hypothesis}: {row.status}",
                                 "bold green" if tested else "bold red", [
                ("term", str(row.term) if tested else ""), ("", numbers),
                ("agrees with the prediction", ("yes" if row.agrees else "no") if tested
                 else ""),
                ("covariates", getattr(row, "covariates", "")), ("reason", row.reason)]))
        return _blocks("Hypotheses", blocks)
    out = Table(title="Hypotheses", show_lines=False)
    for col in ("hypothesis", "status", "term", "estimate", "95% CI", "p", "p (FDR)", "agrees",
                "n", "covariates", "reason"):
        out.add_column(col, no_wrap=col in ("hypothesis", "status"))
    for row in table.itertuples():
        ci = "" if row.status != "tested" else f"[{_num(row.conf_low)}, {_num(row.conf_high)}]"
        style = "green" if row.status == "tested" else "red"
        out.add_row(
            row.hypothesis, f"[{style}]{row.status}[/]", str(row.term) if row.status == "tested"
            else "", _num(row.estimate), ci, _num(row.p_value), _num(row.p_fdr),
            ("yes" if row.agrees else "no") if row.status == "tested" else "",
            str(row.n) if row.status == "tested" else "", getattr(row, "covariates", ""),
            row.reason,
        )
    return out


def family_table(frame: pd.DataFrame, title: str) -> Table:
    """A plain data frame as a rich table (numbers to 3 significant digits)."""
    out = Table(title=title)
    for col in frame.columns:
        out.add_column(str(col))
    for row in frame.itertuples(index=False):
        out.add_row(*(_num(v) if isinstance(v, float) else str(v) for v in row))
    return out

"""Console tables of the command line (rich): hypotheses, role plans and run results.

Kept apart from :mod:`hormonestats.cli` so the commands stay thin; everything here only
formats tables the public API returned.
"""

from __future__ import annotations

import math

import pandas as pd
from rich.table import Table

__all__ = ["family_table", "registry_table", "results_table", "role_table", "map_line"]


def _num(value, digits: int = 3) -> str:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return ""
    return "" if math.isnan(value) else f"{value:.{digits}g}"


def registry_table(registry, roles: dict[str, str]) -> Table:
    """Every registered hypothesis: family, roles (model argument = role), sign and claim."""
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


def role_table(plan: pd.DataFrame, title: str) -> Table:
    """A role plan (:func:`hormonestats.workflows.roles.role_plan`): columns found, why not, the fix."""
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


def results_table(table: pd.DataFrame) -> Table:
    """What ``run`` tested (estimate, CI, p, FDR p, covariates) and what it could not test."""
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

"""Text and HTML display of results: every result's ``summary()`` and ``_repr_html_()``.

A call returns a small frozen dataclass (docs/architecture.md, rule 3); :class:`ResultDisplay`
gives it ``summary()`` and ``_repr_html_()`` by composition of its ``title`` and its tables, with
no class tower (model results reach it through :func:`hormonestats.results.conforms`). It lives at the top of the package because every stage (assay QC, reliability, models)
shows results the same way.
"""

from __future__ import annotations

import html
import re

import pandas as pd

__all__ = ["ResultDisplay"]


def _fmt_table(df: pd.DataFrame) -> str:
    with pd.option_context("display.width", 120, "display.max_columns", 30):
        return df.to_string(index=False, float_format=lambda v: f"{v:.4g}")


class ResultDisplay:
    """Mixin-free display helper: results call these from their own ``summary``/``_repr_html_``.

    A result passes a title, a list of ``(caption, DataFrame)`` pairs and a list of notes.
    """

    @staticmethod
    def text(title: str, tables: list[tuple[str, pd.DataFrame]], notes: list[str] = ()) -> str:
        parts = [title, "=" * len(title)]
        for caption, table in tables:
            if caption:
                parts.append(f"\n{caption}")
            parts.append(_fmt_table(table))
        for note in notes:
            parts.append(f"Note: {note}")
        return "\n".join(parts)

    @staticmethod
    def html(title: str, tables: list[tuple[str, pd.DataFrame]], notes: list[str] = ()) -> str:
        """HTML for Jupyter: the title, each captioned table, then one APA-style note.

        The notes share a single *Note.* label (a note that already starts with "Note:" loses
        that prefix, so the label is never repeated).

        Examples
        --------
        >>> print(ResultDisplay.html("Fit", [], ["Note: range [0, 1]", "Boundaries: none"]))
        <h4>Fit</h4>
        <p><i>Note.</i> range [0, 1]. Boundaries: none.</p>
        """
        parts = [f"<h4>{html.escape(title)}</h4>"]
        for caption, table in tables:
            if caption:
                parts.append(f"<p><b>{html.escape(caption)}</b></p>")
            parts.append(table.to_html(index=False, float_format=lambda v: f"{v:.4g}"))
        cleaned = [_note_sentence(n) for n in notes]
        cleaned = [n for n in cleaned if n]
        if cleaned:
            parts.append(f"<p><i>Note.</i> {html.escape(' '.join(cleaned))}</p>")
        return "\n".join(parts)


def _note_sentence(note: str) -> str:
    """A note as one sentence: no "Note:" prefix, a final stop."""
    text = re.sub(r"^\s*(?:Note[:.]\s*)+", "", str(note)).strip()
    if not text:
        return ""
    return text if text[-1] in ".!?" else text + "."

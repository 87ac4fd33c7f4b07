"""Figures for papers: interactions, Johnson–Neyman, mediation paths, forest, cortisol, cycle, QC.

``hs.plots`` is this module: one namespace over modules of one responsibility each,

* :mod:`.figure_theme` — the theme (:func:`theme`, :func:`set_theme`, :data:`PALETTE`) and
  :func:`save` (PNG/SVG/PDF without timestamps);
* :mod:`.model_figures` — :func:`interaction`, :func:`johnson_neyman`, :func:`simple_slopes`,
  :func:`mediation_paths`;
* :mod:`.family_figures` — :func:`forest` (a hypothesis family), :func:`power_curve`;
* :mod:`.data_figures` — :func:`cortisol_curves`, :func:`cycle`, :func:`qc_cv`, :func:`qc_lod`;
* :mod:`.design_figures` — :func:`crossover_profiles`, :func:`actor_partner`,
  :func:`within_person`, :func:`item_accuracy` (the study designs);
* :mod:`.plate_figures` — :func:`standard_curve`, :func:`plate_heatmap` (plate-reader QC);
* :mod:`.multiverse_figure` — :func:`specification_curve` (returns the Figure of its two panels).

Every function takes a result or a tidy table first, draws on ``ax`` (a new figure when
``None``) and returns the Axes. Labels come from the result's variable names. Nothing here
calls ``plt.show()``; the theme is applied without wrapping figure creation in a temporary
rcParams context, so figures display every time in Jupyter (inline and widget backends), are
written from scripts and work headless (Agg) alike (docs/architecture.md, rule 13).

matplotlib and seaborn are imported inside the functions, so ``import hormonestats`` stays light.
"""

from __future__ import annotations

from .data_figures import cortisol_curves, cycle, qc_cv, qc_lod
from .design_figures import actor_partner, crossover_profiles, item_accuracy, within_person
from .family_figures import forest, power_curve
from .figure_theme import PALETTE, save, set_theme, theme
from .model_figures import interaction, johnson_neyman, mediation_paths, simple_slopes
from .multiverse_figure import specification_curve
from .plate_figures import plate_heatmap, standard_curve

__all__ = [
    "PALETTE",
    "actor_partner",
    "cortisol_curves",
    "crossover_profiles",
    "cycle",
    "forest",
    "interaction",
    "item_accuracy",
    "johnson_neyman",
    "mediation_paths",
    "plate_heatmap",
    "power_curve",
    "qc_cv",
    "qc_lod",
    "save",
    "set_theme",
    "simple_slopes",
    "specification_curve",
    "standard_curve",
    "theme",
    "within_person",
]


def _own_figure(result):
    """The result's own figure (``result.figure()``; None where it has none, e.g. a linear
    mixed model, whose family shares this entry with the generalized ones)."""
    return result.figure()


#: result family (:data:`hormonestats.results.FAMILIES`) -> the standard figures of one of its
#: results, ``{name: draw(result)}``; the results folder draws these for every model it fits
#: (a draw that returns None draws nothing for that result).
#: A family without an entry gets no figure (add one here with its test).
FAMILY_FIGURES = {
    "moderation": {"interaction": interaction, "johnson_neyman": johnson_neyman},
    "mediation": {"paths": mediation_paths},
    "mixed": {"fixed_effects": _own_figure},  # generalized mixed models: response scale
}

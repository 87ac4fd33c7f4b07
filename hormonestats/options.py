"""Options that travel: processing options and execution options, validated once.

Options that pass through several layers are objects, not keyword dictionaries
(docs/architecture.md, rule 3). Each allowed value is listed here once, with one default; every entry point
that processes a study or runs tasks accepts these objects (or the same names as keywords, turned
into the object at the door), and the manifest records them with :meth:`as_dict`.

>>> ProcessingOptions(lod_policy="lod/2").as_dict()["lod_policy"]
'lod/2'
>>> ProcessingOptions(lod_policy="half")
Traceback (most recent call last):
...
hormonestats.errors.HormoneStatsError: processing option lod_policy 'half' is unknown; allowed: \
'flag', 'lod/2', 'lod/sqrt2', 'censored'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from .errors import HormoneStatsError

__all__ = [
    "DEFAULT_SEED",
    "LOD_POLICIES",
    "LOD_POLICY_LABELS",
    "OUTLIER_RULES",
    "TRANSFORMS",
    "ExecutionOptions",
    "ProcessingOptions",
]

#: the one default seed of every random procedure (bootstrap, simulation, multiverse nulls)
DEFAULT_SEED = 20261122

#: below-LOD handling (:func:`hormonestats.apply_lod`): no value and flagged, LOD/2, LOD/sqrt(2)
#: (Hornung & Reed 1990), or kept as censored for a censored-likelihood model
LOD_POLICIES = ("flag", "lod/2", "lod/sqrt2", "censored")
#: each LOD policy as a reader sees it (the multiverse's choices of its ``lod`` decision):
#: under ``"flag"`` below-LOD readings have no value, so they are excluded from the analysis
LOD_POLICY_LABELS = {"lod/2": "lod/2", "lod/sqrt2": "lod/sqrt2", "flag": "excluded",
                     "censored": "censored"}
assert set(LOD_POLICY_LABELS) == set(LOD_POLICIES)
#: outlier handling of analyte values on the log scale
OUTLIER_RULES = ("none", "winsorize")
#: transformation of analyte values
TRANSFORMS = ("log", "none")


def _allowed(name: str, value, allowed) -> None:
    if value not in allowed:
        listed = ", ".join(repr(a) for a in allowed)
        raise HormoneStatsError(
            f"processing option {name} {value!r} is unknown; allowed: {listed}")


@dataclass(frozen=True)
class ProcessingOptions:
    """How raw readings become analysable values (see :func:`hormonestats.process_study`).

    Parameters
    ----------
    lod_policy : {"flag", "lod/2", "lod/sqrt2", "censored"}
        Below-LOD handling; default LOD/sqrt(2) (Hornung & Reed 1990).
    max_cv : float
        Replicate CV (%) above which a sample is flagged.
    exclude_imprecise : bool
        Also exclude flagged samples (logged) instead of only flagging them.
    transform : {"log", "none"}
        Natural log of every analyte into ``log_<analyte>``.
    outliers : {"none", "winsorize"}
        Winsorise analytes at mean +- ``winsorize_k`` SD on the log scale (new columns).
    winsorize_k : float
        The k of ``outliers="winsorize"``.
    log_offset : float, optional
        Offset added before logging when zeros occur (logged).
    """

    lod_policy: str = "lod/sqrt2"
    max_cv: float = 15.0
    exclude_imprecise: bool = False
    transform: str = "log"
    outliers: str = "none"
    winsorize_k: float = 3.0
    log_offset: float | None = None

    def __post_init__(self) -> None:
        _allowed("lod_policy", self.lod_policy, LOD_POLICIES)
        _allowed("transform", self.transform, TRANSFORMS)
        _allowed("outliers", self.outliers, OUTLIER_RULES)
        if not (isinstance(self.max_cv, int | float) and self.max_cv > 0):
            raise HormoneStatsError(
                f"processing option max_cv: {self.max_cv!r} is not a positive number (a CV in %)")
        if not (isinstance(self.winsorize_k, int | float) and self.winsorize_k > 0):
            raise HormoneStatsError(
                f"processing option winsorize_k: {self.winsorize_k!r} is not a positive number")

    @classmethod
    def coerce(cls, options=None, **overrides) -> ProcessingOptions:
        """``options`` (an object, a mapping or None) with ``overrides`` applied, validated.

        Mappings and overrides may use :func:`hormonestats.process_samples`' spellings too
        (``transform=None``; ``winsorize_k=k`` meaning ``outliers="winsorize"``, ``None``
        meaning no winsorising).

        >>> ProcessingOptions.coerce({"winsorize_k": 2.5}).outliers
        'winsorize'
        >>> ProcessingOptions.coerce(None, transform=None).transform
        'none'
        """
        if isinstance(options, dict):
            options = cls(**_from_sample_keywords(options, "processing"))
        base = _coerce(cls, options, "processing")
        if not overrides:
            return base
        return replace(base, **_from_sample_keywords(overrides, "processing"))

    def sample_options(self) -> dict[str, Any]:
        """The keyword arguments of :func:`hormonestats.process_samples` these options mean."""
        return {
            "lod_policy": self.lod_policy,
            "max_cv": self.max_cv,
            "exclude_imprecise": self.exclude_imprecise,
            "transform": None if self.transform == "none" else self.transform,
            "winsorize_k": self.winsorize_k if self.outliers == "winsorize" else None,
            "log_offset": self.log_offset,
        }

    def as_dict(self) -> dict[str, Any]:
        """Plain values for the manifest."""
        return asdict(self)


@dataclass(frozen=True)
class ExecutionOptions:
    """How tasks run: seed, workers, scheduler, progress (docs/architecture.md, rule 12).

    Parameters
    ----------
    seed : int or None
        One seed for everything random (None: fresh entropy, not reproducible); per-task seeds are drawn from one ``SeedSequence``, so
        one worker, many workers and a cluster give identical tables.
    n_jobs : int
        Local worker processes (1: in this process).
    scheduler : str or distributed.Client, optional
        A Dask scheduler address or client; overrides ``n_jobs``.
    progress : bool
        Show a progress bar.
    """

    seed: int = DEFAULT_SEED
    n_jobs: int = 1
    scheduler: Any = None
    progress: bool = False

    def __post_init__(self) -> None:
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(
                self.seed, int) or self.seed < 0):
            raise HormoneStatsError(
                f"execution option seed: {self.seed!r} is not a non-negative whole number")
        if isinstance(self.n_jobs, bool) or not isinstance(self.n_jobs, int) or self.n_jobs == 0:
            raise HormoneStatsError(
                f"execution option n_jobs: {self.n_jobs!r} is not a whole number other than 0 "
                "(-1: every core)")

    @classmethod
    def coerce(cls, options=None, **overrides) -> ExecutionOptions:
        """``options`` (an object, a mapping or None) with ``overrides`` applied, validated.

        An override that is None is not given (entry points keep their keywords, default None,
        beside ``execution=``).

        >>> ExecutionOptions.coerce({"n_jobs": 2}, seed=7, scheduler=None)
        ExecutionOptions(seed=7, n_jobs=2, scheduler=None, progress=False)
        """
        base = _coerce(cls, options, "execution")
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(base, **given) if given else base

    def as_dict(self) -> dict[str, Any]:
        """Plain values for the manifest (a scheduler is recorded by its address)."""
        out = asdict(self)
        if out["scheduler"] is not None and not isinstance(out["scheduler"], str):
            out["scheduler"] = str(getattr(self.scheduler, "scheduler_info", lambda: {})()
                                   .get("address", type(self.scheduler).__name__))
        return out


def _from_sample_keywords(options, kind: str) -> dict:
    """Process_samples' spellings turned into :class:`ProcessingOptions` fields."""
    out = dict(options)
    if "transform" in out and out["transform"] is None:
        out["transform"] = "none"
    if "winsorize_k" in out:
        if out["winsorize_k"] is None:
            del out["winsorize_k"]
            out.setdefault("outliers", "none")
        else:
            out.setdefault("outliers", "winsorize")
    _known_names(ProcessingOptions, out, kind)
    return out


def _known_names(cls, given, kind: str) -> None:
    """Refuse names that are not fields of ``cls``, listing the known ones."""
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(given) - known)
    if unknown:
        raise HormoneStatsError(
            f"{kind} options: unknown {', '.join(map(repr, unknown))}; known: "
            f"{', '.join(sorted(known))}")


def _coerce(cls, options, kind: str):
    if options is None:
        return cls()
    if isinstance(options, cls):
        return options
    if isinstance(options, dict):
        _known_names(cls, options, kind)
        return cls(**options)
    raise HormoneStatsError(
        f"{kind} options: expected a {cls.__name__}, a dict or None, got {type(options).__name__}")

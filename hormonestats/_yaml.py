"""Safe YAML reading shared by contracts and instrument definitions."""

from __future__ import annotations

from pathlib import Path

import yaml

from .errors import ContractError

__all__ = ["read_yaml"]


def read_yaml(path, *, what: str):
    """Parse a YAML file with ``yaml.safe_load`` (no object tags), or raise ContractError.

    ``what`` names the file in messages, e.g. ``"contract"`` or ``"instrument file"``.
    """
    path = Path(path)
    if not path.exists():
        raise ContractError(f"{what} {path.name!r} not found ({path})")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ContractError(f"{what} {path.name!r} is not valid YAML: {err}") from None

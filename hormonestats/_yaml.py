"""Safe YAML reading shared by contracts and instrument definitions.

The file is read within bounds (a regular file of at most 2 MB, UTF-8), and the YAML itself is
bounded: at most 64 levels of nesting and 100 aliases; a key written twice in one mapping is an
error (YAML would silently keep the second and drop the first).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ._files import MAX_TEXT_BYTES, checked_file
from .errors import ContractError

__all__ = ["MAX_ALIASES", "MAX_DEPTH", "parse_yaml", "read_yaml"]

MAX_DEPTH = 64
MAX_ALIASES = 100


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses deep nesting, many aliases and repeated keys."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise ContractError(f"more than {MAX_ALIASES} aliases (line {mark.line + 1})")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise ContractError(f"nested more than {MAX_DEPTH} levels deep (line "
                                    f"{mark.line + 1})")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node.start_mark.line + 1)
            except TypeError:
                continue
            if first != key_node.start_mark.line + 1:
                raise ContractError(f"key {key!r} is written twice in one mapping (lines "
                                    f"{first} and {key_node.start_mark.line + 1}); YAML would "
                                    "keep only the second")
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str, *, what: str = "YAML"):
    """Parse YAML text within the bounds above, or raise ContractError naming ``what``."""
    try:
        return yaml.load(text, Loader=_BoundedLoader)
    except ContractError as err:
        raise ContractError(f"{what}: {err}") from None
    except RecursionError:
        raise ContractError(f"{what}: nested too deeply to read") from None
    except yaml.YAMLError as err:
        raise ContractError(f"{what} is not valid YAML: {err}") from None


def read_yaml(path, *, what: str):
    """Parse a YAML file safely (no object tags, bounded), or raise ContractError.

    ``what`` names the file in messages, e.g. ``"contract"`` or ``"instrument file"``.
    """
    path = checked_file(Path(path), what=what, limit=MAX_TEXT_BYTES, error=ContractError,
                        quote=True)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise ContractError(
            f"{what} {path.name!r} is not UTF-8 text (byte 0x{data[err.start]:02x} on line "
            f"{line}; saved as Latin-1 or Windows-1252?); save it as UTF-8") from None
    return parse_yaml(text, what=f"{what} {path.name!r}")

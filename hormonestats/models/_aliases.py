"""Old argument names kept as deprecated aliases of the house vocabulary.

House rule 1: ``y``, ``x``, ``m`` (moderator), ``mediator``, ``covariates``, ``robust`` (the
heteroskedasticity-consistent covariance, None or ``"HC0"``..``"HC3"``) mean the same in every
family. A family that once spelt one differently (``gxe(gene=, env=)``,
``moderated_mediation(w=)``, ``mediation(cov_type=)``) still takes the old name, with a
:class:`DeprecationWarning` naming the new one.
"""

from __future__ import annotations

import warnings

from ..errors import ModelError

__all__ = ["renamed"]


def renamed(where: str, new: str, new_value, old: str, old_value, *, stacklevel: int = 3):
    """``new_value``, or ``old_value`` (with a DeprecationWarning) when only the old name is given.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     renamed("hs.gxe", "m", None, "gene", "rs53576")
    'rs53576'
    >>> str(caught[0].message)
    'hs.gxe: gene= is deprecated; use m= (the same meaning)'
    """
    if old_value is None:
        return new_value
    warnings.warn(f"{where}: {old}= is deprecated; use {new}= (the same meaning)",
                  DeprecationWarning, stacklevel=stacklevel)
    if new_value is not None and new_value != old_value:
        raise ModelError(f"{where}: give {new}= only ({old}= is its old name), not both")
    return old_value

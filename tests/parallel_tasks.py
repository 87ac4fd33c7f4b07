"""Task functions for tests/test_parallel.py, in a module of their own so that worker
processes import only numpy to run them (not the test module's heavier imports)."""

from __future__ import annotations

import numpy as np


def draw(task, seed):
    """A task whose result depends on its seed and its spec."""
    rng = np.random.default_rng(seed)
    return (task, float(rng.normal(loc=task, size=50).mean()), int(rng.integers(1 << 30)))

"""Helpers for the code paths that scale with the number of units (issue 6)."""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def no_gc():
    """The cyclic garbage collector paused. Loading a 10,000-unit plan, building its
    consolidation and writing its workbook create hundreds of thousands of container
    objects and no garbage cycles worth collecting, yet the collector would walk the
    growing heap again and again meanwhile (up to a third of the time). Nests; the
    collector runs again afterwards as before."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

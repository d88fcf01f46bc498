"""The one place that reads the wall clock. Library functions that depend on the day take
``today``/``now`` as a parameter; the CLI and the web page call :func:`today` / :func:`now`
here, which honour ``BDG_TODAY=YYYY-MM-DD`` (CONTRACT section 1: rehearsals and tests)."""

from __future__ import annotations

import os
from datetime import date, datetime
from typing import Mapping

from .errors import UsageError

ENV = "BDG_TODAY"


def _pinned(environ: Mapping[str, str] | None = None) -> date | None:
    raw = (os.environ if environ is None else environ).get(ENV, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise UsageError(f"Biến môi trường {ENV}={raw!r} không hợp lệ: "
                         f"cần dạng NĂM-THÁNG-NGÀY, ví dụ {ENV}=2026-11-20.") from None


def today(environ: Mapping[str, str] | None = None) -> date:
    """The day the command runs as: ``BDG_TODAY`` when set, otherwise the clock's."""
    return _pinned(environ) or date.today()


def now(environ: Mapping[str, str] | None = None) -> datetime:
    """The moment the command runs as: with ``BDG_TODAY`` set, that day at the clock's
    time of day (so several runs on a pinned day keep their order)."""
    real = datetime.now()
    day = _pinned(environ)
    return datetime.combine(day, real.time()) if day else real


__all__ = ["ENV", "today", "now"]

"""The Vietnamese wording of a deadline on a given day, shared by the e-mails (send,
remind), the feedback messages and the command output, so that no text ever asks for a
return "trước ngày 30/11" once 30/11 has passed. Pure functions of (deadline, today)."""

from __future__ import annotations

from datetime import date

from ..core import vn


def days_to(due: date, today: date) -> int:
    """Days from ``today`` to ``due``: positive ahead, 0 on the day, negative past."""
    return (due - today).days


def deadline_state(due: date, today: date) -> str:
    """"30/11/2026, còn 10 ngày" / "30/11/2026 là hôm nay" / "30/11/2026, đã qua 3 ngày"."""
    n = days_to(due, today)
    if n > 0:
        return f"{vn.format_date(due)}, còn {n} ngày"
    if n == 0:
        return f"{vn.format_date(due)} là hôm nay"
    return f"{vn.format_date(due)}, đã qua {-n} ngày"


def return_by(due: date | None, today: date, new_due: date | None = None) -> str:
    """When to send the return, to follow "gửi lại …": "trước ngày 30/11/2026" ahead of
    the deadline, "trong hôm nay (30/11/2026)" on its day, "ngay" once it has passed;
    ``new_due`` (a date the officer gives after the deadline, ``--due``) replaces it."""
    if new_due is not None:
        due = new_due
    if due is None:
        return "theo thời hạn đã thông báo"
    n = days_to(due, today)
    if n > 0:
        return f"trước ngày {vn.format_date(due)}"
    if n == 0:
        return f"trong hôm nay ({vn.format_date(due)})"
    return "ngay"


def overdue_sentence(due: date | None, today: date) -> str:
    """" Hạn nộp là ngày 30/11/2026, đã quá hạn 3 ngày." after the deadline, else ""
    (with a leading space, to follow another sentence)."""
    if due is None or days_to(due, today) >= 0:
        return ""
    return f" Hạn nộp là ngày {vn.format_date(due)}, đã quá hạn {-days_to(due, today)} ngày."


__all__ = ["days_to", "deadline_state", "return_by", "overdue_sentence"]

"""E-mail: send each unit its form, remind the late ones, fetch the returns.

Composition builds standard MIME messages (:class:`email.message.EmailMessage`, policy
SMTP: UTF-8, RFC 2047 subject, RFC 2231 attachment names, Message-ID, Date) that open in
Outlook and Thunderbird, also when written as ``.eml`` drafts (``--dry-run``). Sending
goes through :mod:`smtplib`, fetching through :mod:`imaplib`. Passwords come only from the
environment (``BDG_SMTP_PASSWORD``, ``BDG_IMAP_PASSWORD``), never from a file.

Nothing here prints or exits. A server that cannot be reached or refuses the login raises
:class:`~bdg_excel.core.errors.MailError`; a problem with one unit (a refused address, a
message too large) is a result, and the others are still sent. A sending is recorded in
the ledger only once the server has accepted it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

#: where each name of the package lives. They are imported on first use (PEP 562), so
#: a command that only needs an address check (``init``, ``status``) does not load
#: smtplib, imaplib, ssl and the form generator that sending uses.
_EXPORTS = {
    "imap": ("FetchedMessage", "FetchResult", "fetch"),
    "messages": ("MailOutcome", "MailResult", "compose", "form_message_text", "reminder_text"),
    "settings": ("DRAFTED", "FAILED", "IMAP_PASSWORD_ENV", "NO_ADDRESS", "OUTCOME_LABELS",
                 "SECURITY", "SENT", "SMTP_PASSWORD_ENV", "TIMEOUT", "Office", "ServerSettings",
                 "imap_settings", "is_address", "office_of", "sender_address", "smtp_settings",
                 "unit_addresses"),
    "smtp": ("Postman", "ensure_form", "select_units", "send_forms", "send_reminders"),
}
_HOME = {name: module for module, names in _EXPORTS.items() for name in names}

if TYPE_CHECKING:
    from .imap import FetchedMessage, FetchResult, fetch
    from .messages import MailOutcome, MailResult, compose, form_message_text, reminder_text
    from .settings import (DRAFTED, FAILED, IMAP_PASSWORD_ENV, NO_ADDRESS, OUTCOME_LABELS,
                           SECURITY, SENT, SMTP_PASSWORD_ENV, TIMEOUT, Office, ServerSettings,
                           imap_settings, is_address, office_of, sender_address, smtp_settings,
                           unit_addresses)
    from .smtp import Postman, ensure_form, select_units, send_forms, send_reminders


def __getattr__(name: str):
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [name for names in _EXPORTS.values() for name in names]

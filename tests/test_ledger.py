"""The ledger: versioned schema, migration of a v1 ledger file, current/superseded."""

from __future__ import annotations

import sqlite3

import pytest

from bdg_excel.intake import ledger as lg
from bdg_excel.core.errors import WorkspaceError
from bdg_excel.intake.ledger import Ledger


def _file(**over):
    rec = {"sha256": "a" * 64, "original_name": "a.xlsx", "size": 10,
           "received_at": "2026-11-20T09:00:00", "collected_at": "2026-11-21T09:00:00",
           "archive_path": "archive/2026-11-21/a.xlsx", "plan_identity": "p", "period": "2026",
           "unit_key": "u", "unit_name": "U", "status": lg.ACCEPTED}
    rec.update(over)
    return rec


def test_new_ledger_is_at_the_current_version(tmp_path):
    with Ledger(tmp_path / "l.sqlite3") as led:
        assert led.version == lg.SCHEMA_VERSION >= 3
        cols = {r[1] for r in led.db.execute("PRAGMA table_info(files)")}
        assert {"kind", "feedback"} <= cols


def test_v1_ledger_file_is_upgraded_in_place(tmp_path):
    path = tmp_path / "v1.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(lg.MIGRATIONS[0])           # exactly the v1 DDL
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO files (sha256, original_name, size, received_at, collected_at, "
               "archive_path, plan_identity, period, unit_key, status) VALUES "
               "('s', 'cu.xlsx', 5, '2026-01-01T00:00:00', '2026-01-02T00:00:00', "
               "'archive/x/cu.xlsx', 'p', '2026', 'u', 'needs_fixes')")
    db.execute("INSERT INTO findings VALUES (1, 'error', 'not_a_number', 'Ô F12 …', "
               "'Biểu mẫu', 'F12', '6.3')")
    db.commit()
    db.close()
    with Ledger(path) as led:
        assert led.version == lg.SCHEMA_VERSION
        (rec,) = led.files()
        assert (rec.original_name, rec.status, rec.kind) == ("cu.xlsx", "needs_fixes", None)
        assert rec.feedback == ""                 # v1 wrote its feedback then: not redone
        assert led.needing_feedback() == []
        assert [f.cell for f in led.findings(rec.id)] == ["F12"]
        with led.transaction():
            new_id = led.add_file(_file(kind="xlsx", feedback=None))
        assert [r.id for r in led.needing_feedback()] == [new_id]
    with Ledger(path) as led:                     # re-opening migrates nothing again
        assert led.version == lg.SCHEMA_VERSION and len(led.files()) == 2


def test_a_newer_ledger_is_refused(tmp_path):
    path = tmp_path / "new.sqlite3"
    with Ledger(path):
        pass
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {lg.SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(WorkspaceError, match="phiên bản bdg-excel mới hơn"):
        Ledger(path)


def test_not_a_database(tmp_path):
    path = tmp_path / "junk.sqlite3"
    path.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(WorkspaceError, match="bị hỏng"):
        Ledger(path)


def test_resolve_newest_received_wins(tmp_path):
    with Ledger(tmp_path / "l.sqlite3") as led:
        with led.transaction():
            a = led.add_file(_file(sha256="1", received_at="2026-11-25T09:00:00"))
            b = led.add_file(_file(sha256="2", received_at="2026-11-20T09:00:00"))
            c = led.add_file(_file(sha256="3", unit_key="v"))
            led.resolve_all("p")
        status = {r.id: r.status for r in led.files()}
        assert status == {a: lg.ACCEPTED, b: lg.SUPERSEDED, c: lg.ACCEPTED}

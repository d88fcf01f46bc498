"""The command line: help texts, exit codes and the messages people see."""

from __future__ import annotations

import json

import click
import pytest

from bdg_excel.cli import cli, main
from cycle_helpers import run_cli


def _commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*prefix, name))


def test_every_command_has_vietnamese_help(capsys):
    cmds = list(_commands(cli))
    names = {" ".join(p) for p, _ in cmds}
    assert {"init", "demo", "plan import", "plan check", "plan show", "generate", "collect",
            "consolidate", "status", "export"} <= names
    for path, cmd in cmds:
        assert cmd.help and cmd.help.strip(), f"{' '.join(path)} has no help"
        assert main([*path, "--help"]) == 0
        out = capsys.readouterr().out
        assert "Cách dùng:" in out and "Usage:" not in out


run = run_cli      # (exit code, stdout, stderr) of bdg-excel ARGS, in process


def test_init_generate_collect_consolidate_status_export(tmp_path, capsys):
    ws = tmp_path / "xa"
    code, out, _ = run(capsys, "init", str(ws), "--example", "binh-lu")
    assert code == 0 and "Đã tạo thư mục làm việc" in out
    assert (ws / "templates" / "binh-lu.xlsx").is_file()
    code, out, _ = run(capsys, "generate", "-w", str(ws), "--period", "2026", "-q")
    assert code == 0 and "Đã tạo 8 biểu mẫu" in out
    assert len(list((ws / "outbox" / "forms").glob("*.xlsx"))) == 8   # CONTRACT: outbox/forms/
    code, out, _ = run(capsys, "generate", "-w", str(ws), "--unit", "trạm y tế XÃ", "-q")
    assert code == 0 and "Trạm Y tế xã" in out and "Đã tạo 1 biểu mẫu" in out
    code, out, _ = run(capsys, "collect", "-w", str(ws), "-q")
    assert code == 0 and "Không có tệp mới" in out
    code, out, _ = run(capsys, "consolidate", "-w", str(ws), "-q")
    assert code == 0 and "Bảng tổng hợp:" in out and "Đã nhận 0/8" in out
    code, out, _ = run(capsys, "status", "-w", str(ws))
    assert code == 0 and len(out.strip().splitlines()) == 8
    code, out, _ = run(capsys, "export", "-w", str(ws), "--format", "json")
    assert code == 0 and all(r["status"] == "missing" for r in json.loads(out))
    code, out, _ = run(capsys, "export", "-w", str(ws), "--format", "csv", "-o",
                       str(tmp_path / "x.csv"))
    assert code == 0 and (tmp_path / "x.csv").read_text(encoding="utf-8").startswith("plan,period")


def test_plan_show_json_follows_contract(tmp_path, capsys):
    ws = tmp_path / "xa"
    main(["init", str(ws), "--example", "binh-lu"])
    capsys.readouterr()
    code, out, _ = run(capsys, "plan", "show", "-w", str(ws), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert list(data) == ["title", "number", "issuer", "place", "date", "period", "goals",
                          "indicators", "units", "reports", "upward"]
    assert data["number"] == "645/KH-UBND" and data["date"] == "2026-04-10"
    ind = next(i for i in data["indicators"] if i["code"] == "3.2")
    assert [t["code"] for t in ind["targets"]] == ["3.2a", "3.2b"]
    assert ind["targets"][0] == {"code": "3.2a", "national": "QG-3.2a", "op": ">=",
                                 "value": 90, "max": None,
                                 "unit": "%", "year": 2030, "text": ind["targets"][0]["text"]}
    tram = next(u for u in data["units"] if u["name"] == "Trạm Y tế xã")
    assert tram["indicators"] == ["4.1", "4.2", "4.3", "3.3", "3.4"]
    assert data["reports"] == [{"kind": "annual", "due": "11-30",
                                "to": "Ủy ban nhân dân xã (qua Phòng Văn hóa – Xã hội)"}]


def test_plan_check_warns_unassigned(tmp_path, capsys):
    ws = tmp_path / "xa"
    main(["init", str(ws), "--example", "binh-lu"])
    capsys.readouterr()
    code, out, _ = run(capsys, "plan", "check", "-w", str(ws))
    assert code == 0 and "3.1" in out


def test_exit_codes_and_messages(tmp_path, capsys):
    # not a workspace -> 1, Vietnamese message naming the folder
    code, _, err = run(capsys, "generate", "-w", str(tmp_path / "none"))
    assert code == 1 and "bdg-excel init" in err and "Traceback" not in err
    ws = tmp_path / "xa"
    main(["init", str(ws), "--example", "binh-lu"])
    capsys.readouterr()
    code, _, err = run(capsys, "generate", "-w", str(ws), "--period", "20x6")
    assert code == 2 and "Kỳ báo cáo" in err
    code, _, err = run(capsys, "generate", "-w", str(ws), "--period", "2040")
    assert code == 2 and "2026–2030" in err
    code, _, err = run(capsys, "generate", "-w", str(ws), "--unit", "Không tồn tại")
    assert code == 2 and "Trạm Y tế xã" in err
    code, _, err = run(capsys, "export", "-w", str(ws))
    assert code == 2
    code, _, err = run(capsys, "frobnicate")
    assert code == 2
    # two plans: --plan needed
    main(["init", str(ws), "--example", "tam-duong"])
    capsys.readouterr()
    code, _, err = run(capsys, "status", "-w", str(ws))
    assert code == 1 and "--plan" in err
    code, _, err = run(capsys, "status", "-w", str(ws), "--plan", "tam-duong", "--period", "2025")
    assert code == 0
    # an unreadable plan workbook -> 1 naming the file
    (ws / "templates" / "hong.xlsx").write_text("không phải excel", encoding="utf-8")
    code, _, err = run(capsys, "plan", "show", str(ws / "templates" / "hong.xlsx"))
    assert code == 1 and "hong.xlsx" in err


def test_demo_runs_whole_cycle(tmp_path, capsys):
    code, out, _ = run(capsys, "demo", str(tmp_path / "demo"))
    assert code == 0
    assert "Bảng tổng hợp:" in out
    path = out.strip().splitlines()[-1].split(": ", 1)[1]
    assert path.endswith(".xlsx") and (tmp_path / "demo" / "outbox").is_dir()
    import os
    assert os.path.isfile(path)
    # a second demo into the same folder refuses rather than mixing data
    code, _, err = run(capsys, "demo", str(tmp_path / "demo"))
    assert code == 2 and "đã có dữ liệu" in err


@pytest.mark.parametrize("example", ["tam-duong", "lai-chau-vp"])
def test_demo_other_examples(tmp_path, capsys, example):
    code, out, _ = run(capsys, "demo", str(tmp_path / example), "--example", example)
    assert code == 0 and "Bảng tổng hợp:" in out


def test_unexpected_error_is_a_message_not_a_traceback(tmp_path, capsys, monkeypatch):
    from bdg_excel import workflow

    ws = tmp_path / "xa"
    main(["init", str(ws), "--example", "binh-lu"])
    capsys.readouterr()

    def boom(*a, **k):
        raise RuntimeError("hỏng")

    monkeypatch.setattr(workflow, "status", boom)
    monkeypatch.delenv("BDG_DEBUG", raising=False)
    code, out, err = run(capsys, "status", "-w", str(ws))
    assert code == 1 and "Lỗi không mong đợi" in err and "Traceback" not in err

"""No click English reaches the officer: every command and subcommand (enumerated from the
click group, so commands added later are covered) in Vietnamese for --help, usage errors,
unknown options and unknown commands; and the catalogue covers every message the installed
click can write."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click
import pytest

from bdg_excel import click_vi
from bdg_excel.cli import cli, main


def _click_messages() -> list[tuple[str, ...]]:
    """(msgid,) and (singular, plural) of every _()/ngettext() call in click's source."""
    out = []
    for f in sorted(Path(click.__file__).parent.glob("*.py")):
        if f.name == "testing.py":
            continue
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                    node.func.id in ("_", "ngettext"):
                args = tuple(a.value for a in node.args
                             if isinstance(a, ast.Constant) and isinstance(a.value, str))
                if args:
                    out.append(args[:2] if node.func.id == "ngettext" else args[:1])
    return out


MESSAGES = _click_messages()


def _english_fragments() -> set[str]:
    """Literal parts of click's messages long enough to be English words, plus the
    metavars click makes up."""
    frags = {"[OPTIONS]", "COMMAND [ARGS]", "[ARGS]", "TEXT", "INTEGER", "DIRECTORY",
             "FILENAME", "PATH", "DATETIME", "FLOAT", "BOOLEAN", "Usage", "Options",
             "Commands", "Error", "required", "default:", "Try '", "Show this"}
    for msg in MESSAGES:
        for text in msg:
            for part in re.split(r"\{[^}]*\}|%\([a-z]+\)s", text):
                part = part.strip(" .:()!?'\n\t")
                if len(part) >= 6 and " " in part:
                    frags.add(part)
    return frags


ENGLISH = _english_fragments()


def _commands(group: click.Group = cli, path: tuple[str, ...] = ()):
    for name, cmd in sorted(group.commands.items()):
        yield (*path, name), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*path, name))


COMMANDS = list(_commands())


def _run(args, capsys) -> tuple[int, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


def _assert_vietnamese(text: str, what: str) -> None:
    found = sorted(f for f in ENGLISH if f in text)
    assert not found, f"click English in {what}: {found}\n{text}"


def test_every_click_message_is_in_the_catalogue():
    missing = [m for m in MESSAGES
               if (m[0] not in click_vi.CATALOGUE if len(m) == 1 else m not in click_vi.PLURALS)]
    assert not missing, f"add to bdg_excel/click_vi.py: {missing}"


def test_the_command_list_is_enumerated_from_the_group():
    names = {" ".join(p) for p, _ in COMMANDS}
    assert {"init", "send", "plan", "plan check", "export"} <= names
    assert len(COMMANDS) >= 14


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS] + [()], ids=lambda p: " ".join(p) or "bdg-excel")
def test_help_is_vietnamese(path, capsys):
    code, text = _run([*path, "--help"], capsys)
    assert code == 0
    assert "Cách dùng: bdg-excel" in text and "Tùy chọn:" in text
    assert "Xem hướng dẫn này rồi thoát." in text
    _assert_vietnamese(text, f"{' '.join(path)} --help")
    code, short = _run([*path, "-h"], capsys)
    assert code == 0 and short == text


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=" ".join)
def test_usage_errors_are_vietnamese_and_say_what_to_type(path, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)     # nothing a command might do touches the project
    cmd = dict(COMMANDS)[path]
    code, text = _run([*path, "--khong-co-tuy-chon-nay"], capsys)
    assert code == 2
    assert "Không có tùy chọn" in text and f"bdg-excel {' '.join(path)} --help" in text
    _assert_vietnamese(text, f"{' '.join(path)} with an unknown option")
    # a bad value for every option that checks its value
    for p in cmd.params:
        if isinstance(p, click.Option) and not p.is_flag and not isinstance(
                p.type, type(click.STRING)) and p.type.name not in ("directory", "file", "path",
                                                                   "thư mục", "tệp", "đường dẫn"):
            code, text = _run([*path, p.opts[-1], "@@không hợp lệ@@"], capsys)
            assert code == 2, (path, p.name)
            assert "Giá trị không hợp lệ" in text, text
            _assert_vietnamese(text, f"{' '.join(path)} {p.opts[-1]} with a bad value")
        if isinstance(p, click.Option) and not p.is_flag and not p.count:
            code, text = _run([*path, p.opts[-1]], capsys)      # the value left out
            assert code == 2, (path, p.name)
            _assert_vietnamese(text, f"{' '.join(path)} {p.opts[-1]} without its value")
    required = [p for p in cmd.params if p.required]
    if required and not isinstance(cmd, click.Group):
        code, text = _run(list(path), capsys)
        assert code == 2
        assert "Thiếu" in text
        _assert_vietnamese(text, f"{' '.join(path)} with a missing parameter")


@pytest.mark.parametrize("path", [()] + [p for p, c in COMMANDS if isinstance(c, click.Group)],
                         ids=lambda p: " ".join(p) or "bdg-excel")
def test_unknown_and_missing_commands_are_vietnamese(path, capsys):
    code, text = _run([*path, "khong-co-lenh-nay"], capsys)
    assert code == 2
    assert "Không có lệnh “khong-co-lenh-nay”" in text
    group = cli if not path else dict(COMMANDS)[path]
    assert "Các lệnh: " + ", ".join(sorted(group.commands)) in text     # what to type
    _assert_vietnamese(text, "an unknown command")
    code, text = _run([*path, "sned"] if not path else [*path, "chekc"], capsys)
    assert code == 2 and "Có phải ý là" in text, text
    _assert_vietnamese(text, "a misspelt command")


def test_version_is_vietnamese(capsys):
    code, text = _run(["--version"], capsys)
    assert code == 0 and "phiên bản" in text
    _assert_vietnamese(text, "--version")


def test_the_translation_does_not_depend_on_the_locale(monkeypatch, capsys):
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.setenv(var, "en_US.UTF-8")
    code, text = _run(["export", "--help"], capsys)
    assert code == 0 and "Cách dùng" in text


def test_the_detector_sees_click_english():
    """The check above is not vacuous: untranslated click output would be caught."""
    english = "Usage: bdg-excel export [OPTIONS]\nTry 'bdg-excel export --help' for help.\n\n" \
              "Error: Missing option '--format'. Choose from:\n\tcsv,\n\tjson"
    with pytest.raises(AssertionError):
        _assert_vietnamese(english, "sample")
    assert any("Missing option" in f for f in ENGLISH)


def test_through_click_runner_too():
    """The translation is click's own, so a program driving the group with click's
    CliRunner (standalone mode) sees Vietnamese as well."""
    from click.testing import CliRunner

    runner = CliRunner()
    for args in (["export"], ["khong-co"], ["init", "--help"], ["send", "--smtp-port", "x"]):
        res = runner.invoke(cli, args, prog_name="bdg-excel")
        assert res.exit_code in (0, 2), res.output
        assert "Cách dùng: bdg-excel" in res.output
        _assert_vietnamese(res.output, " ".join(args))


def test_a_command_added_with_plain_click_is_vietnamese_too(capsys):
    """Another engineer's command made with @click.command and cli.add_command."""
    @click.group("thu-nghiem")
    def group():
        """Nhóm thử."""

    @group.command("con")
    @click.argument("ten")
    @click.option("--so", type=int)
    def sub(ten, so):
        """Lệnh con thử."""

    cli.add_command(group)
    try:
        code, text = _run(["thu-nghiem", "con", "--help"], capsys)
        assert code == 0 and "[TÙY_CHỌN] TÊN" in text and "--so SỐ" in text
        _assert_vietnamese(text, "a plain click command")
        code, text = _run(["thu-nghiem", "--help"], capsys)
        assert code == 0 and "LỆNH [THAM_SỐ]..." in text
        _assert_vietnamese(text, "a plain click group")
        code, text = _run(["thu-nghiem", "con"], capsys)
        assert code == 2 and "Thiếu tham số 'TÊN'" in text
    finally:
        cli.commands.pop("thu-nghiem")

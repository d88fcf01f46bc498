"""The README's commands: the set-up lines come first, and every bdg-excel command the
README shows exists and parses its options."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from bdg_excel.cli import main

README = Path(__file__).parent.parent / "README.md"


def _code_lines() -> list[str]:
    text = README.read_text(encoding="utf-8")
    # ```sh blocks too: the province's cycle (not run by test_readme_workflow)
    blocks = re.findall(r"```(?:bash|sh)\n(.*?)```", text, flags=re.S)
    return [ln.split("#")[0].strip() for b in blocks for ln in b.splitlines() if ln.strip()]


def test_readme_starts_with_the_two_setup_commands():
    lines = _code_lines()
    assert "bdg-excel demo" in lines[0] and "pip install -e ." in lines[0]
    assert "pytest" in lines[1] and ".[test]" in lines[1]
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert lines[1] in ci, "CI must run the README's test command"


def test_every_readme_command_exists(capsys):
    seen = 0
    for line in _code_lines():
        for part in line.split("&&"):
            words = shlex.split(part.strip())
            if not words or not words[0].endswith("bdg-excel"):
                continue
            args = words[1:]
            # keep the command path (words before the first option/argument value)
            path = []
            for w in args:
                if w.startswith("-") or "/" in w or "." in w:
                    break
                path.append(w)
            if path and path[0] in ("init", "demo"):
                path = path[:1]
            assert main([*path, "--help"]) == 0, line
            seen += 1
    capsys.readouterr()
    assert seen >= 8

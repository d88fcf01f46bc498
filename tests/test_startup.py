"""A command loads what it needs when it needs it: `bdg-excel --version`, `--help`, `status`
and the other commands that do little start without importing the form generator, the
report writer, xlsxwriter, openpyxl, pandas, the process pool, the web page or the mail
libraries (start-up is measured in bench/bench.py --scenario startup; this is not a timing
test: it checks which modules each command imports).

Each command runs in a fresh interpreter with an import probe at the head of
``sys.meta_path``; the probe records, for the first import of each library on the list,
the bdg_excel source lines on the stack, so a failure names the module that pulled it in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bdg_excel.workflow import init_workspace, load

PACKAGE = Path(__file__).resolve().parent.parent / "bdg_excel"

#: libraries (and standard modules) a command that does little has no use for
HEAVY = ("pandas", "numpy", "openpyxl", "xlsxwriter", "python_calamine", "flask", "werkzeug",
         "jinja2", "docx", "lxml", "pypdf", "pdfminer", "rich", "multiprocessing",
         "concurrent.futures", "smtplib", "imaplib", "ssl", "filelock", "email.parser",
         "email.policy")

PROBE = r"""
import json, sys, traceback

heavy, package, argv = json.loads(sys.argv[1])
found = {}


class Probe:
    def find_spec(self, name, path=None, target=None):
        lib = next((h for h in heavy if name == h or name.startswith(h + ".")), None)
        if lib and lib not in found:
            found[lib] = [(f.filename, f.lineno) for f in traceback.extract_stack()
                          if f.filename.startswith(package)]
        return None


sys.meta_path.insert(0, Probe())
try:
    if argv[0] == "import":                  # ["import", MODULE]
        __import__(argv[1])
    else:
        sys.argv = ["bdg-excel", *argv]
        from bdg_excel.cli import entry
        try:
            entry()
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise
finally:
    print("\nPROBE " + json.dumps(found), file=sys.__stderr__)
"""


def _module(filename: str) -> str:
    rel = Path(filename).resolve().relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def loaded(argv: list[str], cwd: Path) -> dict[str, list[tuple[str, int]]]:
    """Library -> the bdg_excel (module, line) frames on the stack when it was imported."""
    env = {**os.environ, "BDG_TODAY": "2026-11-20"}
    proc = subprocess.run([sys.executable, "-c", PROBE,
                           json.dumps([HEAVY, str(PACKAGE), argv])],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    marker = proc.stderr.rpartition("PROBE ")[2]
    assert proc.returncode == 0 and marker, proc.stderr[-2000:]
    return {lib: [(_module(f), line) for f, line in frames]
            for lib, frames in json.loads(marker).items()}


def explain(found: dict[str, list[tuple[str, int]]]) -> str:
    """One line per library: the module that imported it, and how the command got there."""
    lines = []
    for lib, frames in sorted(found.items()):
        if not frames:
            lines.append(f"{lib}: imported outside bdg_excel (before the command ran)")
            continue
        mod, line = frames[-1]
        path = " > ".join(f"{m}:{n}" for m, n in frames)
        lines.append(f"{lib}: imported by {mod} (line {line}); via {path}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def ws_root(tmp_path_factory):
    """A workspace with a plan, its parsed plan already cached, nothing returned yet."""
    ws = init_workspace(tmp_path_factory.mktemp("startup") / "ws", "binh-lu")
    load(ws)
    return ws.root


@pytest.mark.parametrize("argv", [
    ["import", "bdg_excel.cli"], ["--version"], ["--help"], ["consolidate", "--help"], ["plan", "--help"],
    ["status"], ["export", "--format", "csv"],
], ids=" ".join)
def test_light_commands_load_no_heavy_library(argv, ws_root):
    found = loaded(argv, ws_root)
    what = " ".join(argv) if argv[0] == "import" else f"bdg-excel {' '.join(argv)}"
    assert not found, (f"`{what}` imports libraries it does not use; import them inside "
                       f"the function that needs them:\n{explain(found)}")


@pytest.mark.parametrize("argv, needs", [
    # consolidating an empty inbox/ writes the (empty) consolidated workbook: xlsxwriter only
    (["consolidate"], {"xlsxwriter"}),
    # checking the plan reads its workbook (python-calamine) and names the cells of its
    # findings in xlsxwriter's column letters
    (["plan", "check"], {"python_calamine", "xlsxwriter"}),
])
def test_commands_load_only_what_their_work_needs(argv, needs, ws_root):
    found = loaded(argv, ws_root)
    assert needs <= set(found), f"the probe missed {needs - set(found)}: {sorted(found)}"
    extra = {lib: frames for lib, frames in found.items() if lib not in needs}
    assert not extra, (f"`bdg-excel {' '.join(argv)}` imports libraries its work does not "
                       f"need:\n{explain(extra)}")


def test_the_probe_names_the_module_that_pulled_a_library(tmp_path):
    """The failure message points at the import line: the consolidated-workbook writer
    imports xlsxwriter through core.xlsx, and the probe shows that chain."""
    found = loaded(["import", "bdg_excel.report.workbook"], tmp_path)
    text = explain({"xlsxwriter": found["xlsxwriter"]})
    assert text.startswith("xlsxwriter: imported by bdg_excel.core.xlsx (line "), text
    assert text.split("; via ")[1].startswith("bdg_excel.report.workbook:"), text
    assert "openpyxl" not in found and "pandas" not in found


# -- the workspace lock without filelock's import ------------------------------------------
def _second_run_is_refused(ws) -> None:
    from bdg_excel.core.errors import WorkspaceBusy

    with ws.lock():
        with pytest.raises(WorkspaceBusy, match="đang được một lệnh bdg-excel khác sử dụng"):
            with ws.lock():
                pass
    with ws.lock():          # released: the next run gets it
        pass


@pytest.mark.skipif(os.name != "posix", reason="fcntl.flock is POSIX")
def test_workspace_lock_is_flock_and_refuses_a_second_run(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    _second_run_is_refused(ws)
    # another process sees it held, as filelock's lock would be
    script = ("import sys, fcntl, os\nfd = os.open(sys.argv[1], os.O_RDWR)\n"
              "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n    print('free')\n"
              "except BlockingIOError:\n    print('held')\n")
    with ws.lock():
        out = subprocess.run([sys.executable, "-c", script, str(ws.state_dir / "lock")],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert out == "held"


@pytest.mark.skipif(os.name != "posix", reason="fcntl.flock is POSIX")
def test_workspace_lock_falls_back_to_filelock_without_flock(tmp_path, monkeypatch):
    """A file system without flock (some network shares): filelock takes over."""
    import errno
    import fcntl

    calls = []

    def no_flock(fd, op):
        calls.append(op)
        raise OSError(errno.ENOSYS, "flock not supported")

    monkeypatch.setattr(fcntl, "flock", no_flock)
    ws = init_workspace(tmp_path / "ws")
    _second_run_is_refused(ws)
    assert calls                                    # flock was tried first
    assert "filelock" in sys.modules

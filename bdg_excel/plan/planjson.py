"""Reading a plan given as the plan JSON of CONTRACT section 3 (what a province's own
system or a script produces): ``bdg-excel plan import PLAN.json -o PLAN.xlsx``.

The JSON is checked field by field before it becomes a :class:`Plan`; every problem is
named by its field ("indicators[2].targets[0].op") in a Vietnamese sentence, and all of
them are reported at once (:class:`~bdg_excel.core.errors.PlanError`). A target row that
omits ``national`` is linked to the national catalog from its text
(:func:`bdg_excel.plan.catalog.plan_from_json`); ``"national": null`` is a local indicator
and stays one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..core.errors import PlanError
from . import catalog
from .model import OPS, REPORT_KINDS, Plan

_NATIONAL = re.compile(r"^QG-\d+\.\d+[a-z]?$")
_DUE = re.compile(r"^(\d{4}-)?\d{2}-\d{2}$")
MAX_SHOWN = 15


class _Check:
    def __init__(self):
        self.problems: list[str] = []

    def add(self, field: str, what: str) -> None:
        self.problems.append(f"trường {field}: {what}")

    def typed(self, obj: dict, key: str, where: str, kinds: tuple, what: str, *,
              required: bool = True, nullable: bool = False):
        if key not in obj:
            if required:
                self.add(f"{where}{key}", f"thiếu (cần {what})")
            return None
        value = obj[key]
        if value is None and nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, kinds):
            self.add(f"{where}{key}", f"phải là {what}{' hoặc null' if nullable else ''}, "
                     f"không phải {_shown(value)}")
            return None
        return value

    def items(self, obj: dict, key: str, where: str, *, required: bool = True) -> list:
        value = self.typed(obj, key, where, (list,), "một danh sách […]", required=required)
        return value or []


def _shown(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"


_TEXT, _INT, _NUM = (str,), (int,), (int, float)


def check(data) -> list[str]:
    """Every problem of ``data`` as plan JSON, each naming its field."""
    c = _Check()
    if not isinstance(data, dict):
        return [f"nội dung phải là một đối tượng JSON {{…}} của kế hoạch, không phải {_shown(data)}"]
    for key in ("title", "number", "issuer", "place", "date"):
        c.typed(data, key, "", _TEXT, "chữ", required=key == "title", nullable=key != "title")
    period = c.typed(data, "period", "", (dict,), "{\"start\": năm, \"end\": năm}")
    if period is not None:
        start = c.typed(period, "start", "period.", _INT, "một năm (số nguyên)", nullable=True)
        end = c.typed(period, "end", "period.", _INT, "một năm (số nguyên)", nullable=True)
        if start and end and start > end:
            c.add("period", f"năm bắt đầu {start} sau năm kết thúc {end}")
    goals = set()
    for i, g in enumerate(c.items(data, "goals", "")):
        where = f"goals[{i}]."
        if not isinstance(g, dict):
            c.add(where[:-1], "phải là {\"number\": …, \"title\": …}")
            continue
        goals.add(c.typed(g, "number", where, _INT, "số thứ tự mục tiêu (số nguyên)"))
        c.typed(g, "title", where, _TEXT, "chữ", required=False)
    codes: set[str] = set()
    for i, ind in enumerate(c.items(data, "indicators", "")):
        where = f"indicators[{i}]."
        if not isinstance(ind, dict):
            c.add(where[:-1], "phải là một đối tượng {…} của chỉ tiêu")
            continue
        code = c.typed(ind, "code", where, _TEXT, "mã chỉ tiêu (ví dụ \"4.1\")")
        if code in codes:
            c.add(f"{where}code", f"mã {code} trùng với một chỉ tiêu khác")
        codes.add(code)
        goal = c.typed(ind, "goal", where, _INT, "số mục tiêu (số nguyên)")
        if goal is not None and goals and goal not in goals:
            c.add(f"{where}goal", f"mục tiêu {goal} không có trong goals")
        c.typed(ind, "number", where, _INT, "số thứ tự chỉ tiêu (số nguyên)")
        c.typed(ind, "text", where, _TEXT, "chữ", required=False)
        targets = c.items(ind, "targets", where)
        if "targets" in ind and not targets:
            c.add(f"{where}targets", "cần ít nhất một dòng chỉ tiêu")
        for j, t in enumerate(targets):
            _check_target(c, t, f"{where}targets[{j}].")
    for i, u in enumerate(c.items(data, "units", "", required=False)):
        where = f"units[{i}]."
        if not isinstance(u, dict):
            c.add(where[:-1], "phải là một đối tượng {…} của đơn vị")
            continue
        c.typed(u, "name", where, _TEXT, "tên đơn vị")
        for k, code in enumerate(c.items(u, "indicators", where, required=False)):
            if not isinstance(code, str) or code not in codes:
                c.add(f"{where}indicators[{k}]", f"{_shown(code)} không phải mã chỉ tiêu nào "
                      "của kế hoạch")
        for k, task in enumerate(c.items(u, "tasks", where, required=False)):
            if not isinstance(task, str):
                c.add(f"{where}tasks[{k}]", "phải là chữ (nội dung nhiệm vụ)")
        c.typed(u, "email", where, _TEXT, "địa chỉ thư", required=False, nullable=True)
    for i, r in enumerate(c.items(data, "reports", "", required=False)):
        where = f"reports[{i}]."
        if not isinstance(r, dict):
            c.add(where[:-1], "phải là {\"kind\": …, \"due\": …, \"to\": …}")
            continue
        kind = c.typed(r, "kind", where, _TEXT, "loại báo cáo")
        if kind is not None and kind not in REPORT_KINDS:
            c.add(f"{where}kind", f"phải là một trong {', '.join(REPORT_KINDS)}, "
                  f"không phải {_shown(kind)}")
        _check_due(c, r, where)
        c.typed(r, "to", where, _TEXT, "chữ", required=False, nullable=True)
    up = c.typed(data, "upward", "", (dict,), "{\"to\": …, \"due\": …}", required=False,
                 nullable=True)
    if up is not None:
        c.typed(up, "to", "upward.", _TEXT, "chữ", required=False, nullable=True)
        _check_due(c, up, "upward.")
    return c.problems


def _check_target(c: _Check, t, where: str) -> None:
    if not isinstance(t, dict):
        c.add(where[:-1], "phải là một đối tượng {…} của dòng chỉ tiêu")
        return
    c.typed(t, "code", where, _TEXT, "mã dòng chỉ tiêu (ví dụ \"3.2a\")")
    op = c.typed(t, "op", where, _TEXT, "phép so sánh")
    if op is not None and op not in OPS:
        c.add(f"{where}op", f"phải là một trong {', '.join(OPS)}, không phải {_shown(op)}")
    value = c.typed(t, "value", where, _NUM, "một số", required=False, nullable=True)
    top = c.typed(t, "max", where, _NUM, "một số", required=False, nullable=True)
    if op in (">=", ">", "<=", "<", "=", "between") and value is None and "value" in t:
        c.add(f"{where}value", f"cần một số cho phép so sánh {op}")
    if op == "between" and top is None:
        c.add(f"{where}max", "cần cận trên khi op là between")
    c.typed(t, "unit", where, _TEXT, "đơn vị tính", required=False, nullable=True)
    c.typed(t, "year", where, _INT, "năm (số nguyên)", required=False, nullable=True)
    c.typed(t, "text", where, _TEXT, "chữ", required=False)
    national = c.typed(t, "national", where, _TEXT, "mã quốc gia (ví dụ \"QG-4.1\")",
                       required=False, nullable=True)
    if national is not None and not _NATIONAL.match(national):
        c.add(f"{where}national", f"{_shown(national)} không phải mã quốc gia (dạng QG-4.1, "
              "QG-3.2a; xem bdg-excel catalog)")


def _check_due(c: _Check, obj: dict, where: str) -> None:
    due = c.typed(obj, "due", where, _TEXT, "hạn dạng \"MM-DD\" hoặc \"YYYY-MM-DD\"",
                  required=False, nullable=True)
    if due is not None and not _DUE.match(due):
        c.add(f"{where}due", f"{_shown(due)} không đúng dạng \"MM-DD\" (hằng năm) hoặc "
              "\"YYYY-MM-DD\"")


def read_plan_json(path: str | Path, *, name: str | None = None) -> Plan:
    """The plan in a plan-JSON file; raises :class:`PlanError` naming every bad field."""
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PlanError(f"Không đọc được tệp {p.name}: tệp JSON phải lưu bằng mã UTF-8.") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanError(f"Tệp {p.name} không phải JSON hợp lệ (dòng {exc.lineno}, cột "
                        f"{exc.colno}): kiểm tra dấu ngoặc, dấu phẩy và dấu nháy kép quanh "
                        "chữ.") from None
    problems = check(data)
    if problems:
        shown = problems[:MAX_SHOWN]
        more = len(problems) - len(shown)
        raise PlanError(f"Tệp {p.name} không đúng dạng kế hoạch JSON ({len(problems)} lỗi):\n"
                        + "\n".join(f"  - {x}" for x in shown)
                        + (f"\n  … và {more} lỗi khác" if more > 0 else ""))
    return catalog.plan_from_json(data, name=name if name is not None else p.stem)

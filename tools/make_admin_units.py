"""Write bdg_excel/plan/data/admin-units.json, the official list of provinces and
commune-level units (after the reorganisation of 1 July 2025: 34 provinces, 3,321 xã,
phường and đặc khu), from the ``vietnam-provinces`` package (data of the General
Statistics Office's list of administrative units, danhmuchanhchinh.gso.gov.vn).

The package is GPL-licensed, so bdg-excel does not depend on it at run time: this tool
runs at build time (``pip install vietnam-provinces`` then
``python tools/make_admin_units.py``) and the file it writes holds only the official names,
codes and kinds of the units, which are the state's own list. tests/test_province.py checks
the shipped file against the package when the package is installed.

    python tools/make_admin_units.py [--check]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "bdg_excel" / "plan" / "data" / "admin-units.json"


def build() -> dict:
    import vietnam_provinces as vp
    from importlib.metadata import version

    nested = json.loads(vp.NESTED_DIVISIONS_JSON_PATH.read_text(encoding="utf-8"))
    provinces = []
    for p in sorted(nested, key=lambda p: p["code"]):
        provinces.append({
            "code": p["code"], "name": p["name"], "kind": p["division_type"],
            "units": [{"code": w["code"], "name": w["name"], "kind": w["division_type"]}
                      for w in sorted(p["wards"], key=lambda w: w["code"])]})
    return {
        "source": "Danh mục đơn vị hành chính (Tổng cục Thống kê), theo gói vietnam-provinces "
                  f"{version('vietnam-provinces')}",
        "data_version": getattr(vp, "__data_version__", None),
        "provinces": provinces,
    }


def render(data: dict) -> str:
    """One line per unit: a new list of units reads as a diff of names."""
    def dump(x):
        return json.dumps(x, ensure_ascii=False)

    lines = ["{", f'"source": {dump(data["source"])},',
             f'"data_version": {dump(data["data_version"])},', '"provinces": [']
    for i, p in enumerate(data["provinces"]):
        head = {k: v for k, v in p.items() if k != "units"}
        lines.append(dump(head)[:-1] + ', "units": [')
        lines += [dump(u) + ("," if j < len(p["units"]) - 1 else "")
                  for j, u in enumerate(p["units"])]
        lines.append("]}" + ("," if i < len(data["provinces"]) - 1 else ""))
    lines += ["]", "}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = render(build())
    if "--check" in argv:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{OUT} differs from the package's list")
        return 0 if same else 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    data = json.loads(text)
    print(f"{OUT}: {len(data['provinces'])} provinces, "
          f"{sum(len(p['units']) for p in data['provinces'])} commune-level units")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The national indicator catalog: the indicators and targets of the National Strategy on
Gender Equality 2021–2030 (Nghị quyết 28/NQ-CP), each with its national code (CONTRACT
section 2: ``QG-4.1``, ``QG-3.2a``), and the linking of a plan's target rows to them.

The catalog is package data (``bdg_excel/plan/data/national-catalog.json``); ``load()``
reads it once. ``link()`` finds the national target a plan's row implements from its text
and unit of measure, never from its local number. ``link_plan()`` fills ``Target.national``
where a plan has none (plans read without links: older workbooks, JSON).

API (stable; other modules build on it):

- ``load() -> Catalog``; ``Catalog.get(code) -> NationalTarget | None``;
  ``Catalog.targets`` in catalog order; ``Catalog.source``, ``Catalog.version``.
- ``link(text, unit=None, *, goal=None) -> Link`` (``Link.code`` None when no national
  target fits; ``Link.confidence`` 0 … 1; ``Link.sure`` True at or above ``SURE``).
- ``link_plan(plan, *, overwrite=False) -> dict[str, Link]`` by target-row code.
- ``same_measure(unit_a, unit_b) -> bool``: two units of measure mean the same scale.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from ..core import vn
from .model import Plan, ReviewItem, infer_measure

#: Confidence at or above which a link is taken without asking the officer.
SURE = 0.8
#: Below SURE, a link at or above KEEP is still made (and listed for the officer to check);
#: below KEEP the row stays local (code None) and the best match is only suggested.
KEEP = 0.6
#: Below SUGGEST a match is not even worth suggesting.
SUGGEST = 0.35


@dataclass(frozen=True)
class NationalTarget:
    code: str                       # "QG-3.2a"
    indicator: str                  # "QG-3.2"
    goal: int
    text: str
    unit: str | None                # as the resolution writes it: "%", "/100.000", …; None: yes/no
    measure: str                    # plan.model.MEASURES
    factor: float | None
    direction: str                  # "increase" | "decrease" | "keep"
    target_2025: dict | None        # {"op": ">=", "value": 80, "max": None} or None
    target_2030: dict | None
    phrases: tuple[str, ...] = ()
    #: False where the 2025/2030 figures were not checked against the resolution's text
    figures_checked: bool = True
    #: where each figure comes from, by year ("2025", "2030"); None for a year with none
    figures_source: dict = field(default_factory=dict)

    def latest_target(self, year: int = 2030) -> tuple[dict | None, int]:
        """(the resolution's target for ``year``, its year); for a row the resolution gives
        no 2030 figure, its 2025 one with the year 2025 (the rule of province and ministry
        plans: the latest national figure, never one made up), or (None, 2030)."""
        if year < 2030:
            return self.target_2025, 2025
        if self.target_2030:
            return self.target_2030, 2030
        if self.target_2025:
            return self.target_2025, 2025
        return None, 2030


@dataclass(frozen=True)
class Catalog:
    source: str
    version: str
    targets: tuple[NationalTarget, ...] = field(default_factory=tuple)
    goals: tuple[tuple[int, str], ...] = ()    # (number, title) of the strategy's six goals
    note: str = ""

    def get(self, code: str | None) -> NationalTarget | None:
        return next((t for t in self.targets if t.code == code), None)

    def to_json(self) -> dict:
        """The catalog as ``bdg-excel catalog --format json`` prints it."""
        return {"source": self.source, "version": self.version, "note": self.note,
                "goals": [{"number": n, "title": t} for n, t in self.goals],
                "targets": [{
                    "code": t.code, "indicator": t.indicator, "goal": t.goal, "text": t.text,
                    "unit": t.unit, "measure": t.measure, "factor": t.factor,
                    "direction": t.direction, "target_2025": t.target_2025,
                    "target_2030": t.target_2030, "figures_checked": t.figures_checked,
                    "figures_source": dict(t.figures_source),
                    "phrases": list(t.phrases)} for t in self.targets]}


@dataclass(frozen=True)
class Link:
    code: str | None
    confidence: float
    reason: str = ""
    #: the best national target when it was too weak to link (code None): a suggestion
    candidate: str | None = None

    @property
    def sure(self) -> bool:
        return self.code is not None and self.confidence >= SURE


DATA = "data/national-catalog.json"


@lru_cache(maxsize=1)
def load() -> Catalog:
    """The catalog shipped with the package (read once)."""
    raw = json.loads(resources.files(__package__).joinpath(DATA).read_text(encoding="utf-8"))
    return Catalog(
        source=raw["source"], version=raw["version"], note=raw.get("note", ""),
        goals=tuple((g["number"], g["title"]) for g in raw.get("goals", ())),
        targets=tuple(NationalTarget(
            code=t["code"], indicator=t["indicator"], goal=t["goal"], text=t["text"],
            unit=t["unit"], measure=t["measure"], factor=t["factor"], direction=t["direction"],
            target_2025=t["target_2025"], target_2030=t["target_2030"],
            phrases=tuple(t.get("phrases", ())), figures_checked=t.get("figures_checked", True),
            figures_source=dict(t.get("figures_source") or {}))
            for t in raw["targets"]))


# -- matching text -----------------------------------------------------------------------
#: Abbreviations plans use, on accent-less lower-case tokens (not "TT", "TH": "Đài TT-TH"
#: is truyền thanh – truyền hình, not thông tin, tiểu học).
_ABBREV = {
    "bdg": "binh dang gioi", "blgd": "bao luc gia dinh", "bltcsg": "bao luc tren co so gioi",
    "blg": "bao luc tren co so gioi", "dtts": "dan toc thieu so", "thcs": "trung hoc co so",
    "htx": "hop tac xa", "dn": "doanh nghiep", "vtn": "vi thanh nien",
    "tsgtks": "ty so gioi tinh khi sinh", "tsgtkhs": "ty so gioi tinh khi sinh",
    "srb": "ty so gioi tinh khi sinh", "qlnn": "quan ly nha nuoc", "gdnn": "giao duc nghe nghiep",
    "ubnd": "uy ban nhan dan", "hdnd": "hoi dong nhan dan", "ld": "lao dong",
    "ttdt": "thong tin dien tu", "tttt": "thong tin truyen thong",
    "ti": "ty", "cctvtv": "co so tu van",
}
#: Words that carry no meaning of their own in a target's sentence.
_STOP = set("""va cac cua duoc dat nam vao den tu tro len xuong con it nhat tren duoi khong qua
muc o trong co la nay voi ve cho mot nhung moi phan dau tang giam ty le khoang duy tri tiep
tuc theo quy dinh tai hoac so dong thoi bao dam dam bao toi thieu toi da hang nhu
chiem luon cu the phan tram""".split())
_TOKEN = re.compile(r"[a-z]+")


def _tokens(text: str) -> list[str]:
    """Accent-less lower-case words with abbreviations spelled out; numbers dropped (a
    figure or a local number never decides which indicator a row is)."""
    s = vn.strip_accents(vn.clean(text)).lower()
    out: list[str] = []
    for w in _TOKEN.findall(s):
        out.extend(_ABBREV.get(w, w).split())
    return out


def _features(tokens: list[str]) -> dict[str, float]:
    """Content words and word pairs (pairs keep "người bị" apart from "người gây")."""
    f: dict[str, float] = {}
    for w in tokens:
        if w not in _STOP and len(w) > 1:
            f[w] = f.get(w, 0) + 1
    for a, b in zip(tokens, tokens[1:]):
        if not (a in _STOP and b in _STOP):
            f[a + " " + b] = f.get(a + " " + b, 0) + 1
    return f


@dataclass(frozen=True)
class _Index:
    idf: dict[str, float]
    #: per national target: its weighted features, their norm, its phrases (tokens, as written)
    docs: tuple[tuple[NationalTarget, dict[str, float], float,
                      tuple[tuple[tuple[str, ...], str], ...]], ...]
    unknown_idf: float


@lru_cache(maxsize=1)
def _index() -> _Index:
    cat = load()
    raw = []
    for t in cat.targets:
        f: dict[str, float] = {}
        for part in (t.text, *t.phrases):
            for k, v in _features(_tokens(part)).items():
                f[k] = f.get(k, 0) + v
        phrases = tuple((tuple(_tokens(p)), p) for p in t.phrases if len(_tokens(p)) >= 2)
        raw.append((t, f, phrases))
    n = len(raw)
    df: dict[str, int] = {}
    for _, f, _ in raw:
        for k in f:
            df[k] = df.get(k, 0) + 1
    idf = {k: math.log((n + 1) / (d + 0.5)) for k, d in df.items()}
    docs = []
    for t, f, phrases in raw:
        w = {k: (1 + math.log(v)) * idf[k] for k, v in f.items()}
        docs.append((t, w, math.sqrt(sum(x * x for x in w.values())), phrases))
    return _Index(idf, tuple(docs), math.log((n + 1) / 0.5))


def _phrase_weight(ix: _Index, phrase: tuple[str, ...]) -> float:
    return sum(ix.idf.get(" ".join(phrase[i:i + 2]), 0) for i in range(len(phrase) - 1))


def _contains(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    k = len(phrase)
    return any(tuple(tokens[i:i + k]) == phrase for i in range(len(tokens) - k + 1))


def _measure_of(unit: str | None, text: str = "") -> tuple[str, float | None] | None:
    """(measure, factor) of a row's unit of measure; None when the row has none."""
    if not (unit or "").strip():
        return ("ratio", 1.0) if "so voi" in " ".join(_tokens(text)) else None
    return infer_measure(unit, ">=", text)


def _unit_evidence(local: tuple[str, float | None] | None, unit: str | None,
                   nat: NationalTarget) -> tuple[float, str]:
    """``local`` is the row's (measure, factor), :func:`_measure_of` its unit and text."""
    if local is None or nat.measure == "yesno":
        return 0.0, ""
    if local == (nat.measure, nat.factor):
        return 0.08, f"cùng đơn vị tính ({nat.unit})"
    if local[0] == "count":
        return -0.05, f"đơn vị tính «{unit}» khác chỉ tiêu quốc gia ({nat.unit})"
    return -0.2, f"đơn vị tính «{unit}» trái với chỉ tiêu quốc gia ({nat.unit})"


def _scores(text: str, unit: str | None, goal: int | None):
    ix = _index()
    tokens = _tokens(text)
    q = _features(tokens)
    qw = {k: (1 + math.log(v)) * ix.idf.get(k, ix.unknown_idf) for k, v in q.items()}
    qn = math.sqrt(sum(x * x for x in qw.values())) or 1.0
    local = _measure_of(unit, text)     # the row's own: the same against every target
    out = []
    for nat, dw, dn, phrases in ix.docs:
        dot = sum(w * dw[k] for k, w in qw.items() if k in dw)
        cos = dot / (qn * dn) if dn else 0.0
        weights = [(_phrase_weight(ix, p), written) for p, written in phrases
                   if _contains(tokens, p)]
        weight, best = max(weights, default=(0.0, None))
        bonus = min(0.45, 0.12 * weight)
        ev, why_unit = _unit_evidence(local, unit, nat)
        score = cos + bonus + ev + (0.03 if goal == nat.goal else 0.0)
        out.append((score, nat, best, why_unit, cos))
    out.sort(key=lambda x: -x[0])
    return out


def link(text: str, unit: str | None = None, *, goal: int | None = None) -> Link:
    """The national target a row implements, from its text and unit of measure.

    ``goal`` is the strategy's goal (1 … 6) the row sits under when the plan's section says
    so (see :func:`goal_of`); it only breaks near ties. The row's own number is never used.
    """
    if not _tokens(text):
        return Link(None, 0.0, "không có lời văn để đối chiếu")
    ranked = _scores(text, unit, goal)
    score, nat, phrase, why_unit, _ = ranked[0]
    rival = next((r for r in ranked[1:] if r[1].code != nat.code), None)
    margin = score - rival[0] if rival else score
    confidence = max(0.0, min(1.0, score)) * min(1.0, 0.55 + margin * 2.5)
    confidence = round(confidence, 2)
    reasons = [f"khớp cụm từ «{phrase}»" if phrase else "giống lời văn"]
    if why_unit:
        reasons.append(why_unit)
    if rival and margin < 0.1:
        reasons.append(f"gần với {rival[1].code}")
    reason = f"{nat.code}: " + "; ".join(reasons)
    if confidence >= KEEP:
        return Link(nat.code, confidence, reason)
    return Link(None, confidence, reason, candidate=nat.code if confidence >= SUGGEST else None)


#: Words of a plan's goal title that say which goal of the strategy it is.
_GOAL_WORDS = ((1, ("chinh tri",)), (2, ("kinh te", "lao dong", "viec lam")),
               (3, ("gia dinh", "bao luc")), (4, ("y te", "suc khoe")),
               (5, ("giao duc", "dao tao")), (6, ("thong tin", "truyen thong")))


def goals_named(title: str | None) -> set[int]:
    """Every goal of the strategy a plan's goal title names ("Lĩnh vực kinh tế, lao động
    và y tế" → {2, 4})."""
    s = " ".join(_tokens(title or ""))
    return {n for n, words in _GOAL_WORDS if any(w in s for w in words)}


def goal_of(title: str | None) -> int | None:
    """The strategy's goal a plan's goal title names ("Trong lĩnh vực y tế" → 4), or None
    when it names none or several."""
    found = goals_named(title)
    return found.pop() if len(found) == 1 else None


def link_plan(plan, *, overwrite: bool = False, only: set[str] | None = None) -> dict[str, Link]:
    """Link every target row of ``plan`` that has no national code yet (all of them with
    ``overwrite``; only the rows coded in ``only`` when given); returns the link computed
    for each row it looked at, by row code."""
    titles = {g.number: g.title for g in plan.goals}
    out: dict[str, Link] = {}
    for ind in plan.indicators:
        goal = goal_of(titles.get(ind.goal))
        for t in ind.targets:
            if (t.national and not overwrite) or (only is not None and t.code not in only):
                continue
            text = t.text if len(ind.targets) > 1 or not ind.text else ind.text
            lk = link(text or t.text, t.unit if t.op != "qualitative" else None, goal=goal)
            out[t.code] = lk
            t.national = lk.code
    return out


def plan_from_json(data: dict, *, name: str = ""):
    """A plan from its JSON (CONTRACT section 3); target rows written without ``national``
    (JSON from before the national codes) are linked from their text and the unsure links
    listed in ``plan.review``. A row with ``"national": null`` is a local indicator."""
    plan = Plan.from_json(data, name=name)
    unlinked = {t["code"] for i in data.get("indicators", []) for t in i.get("targets", [])
                if "national" not in t}
    if unlinked:
        plan.review.extend(review_links(plan, link_plan(plan, only=unlinked)))
    return plan


def summary(plan) -> str:
    """One Vietnamese line on the plan's national links (after plan import)."""
    rows = plan.targets()
    linked = [t for t in rows if t.national]
    unsure = sum(1 for t in linked if t.code in unsure_rows(plan))
    text = f"Mã quốc gia: {len(linked)}/{len(rows)} dòng chỉ tiêu đã gắn"
    if unsure:
        text += f", {unsure} dòng chưa chắc chắn (dấu ? ở cột Mã quốc gia, trang Chỉ tiêu)"
    return text + f"; {len(rows) - len(linked)} dòng là chỉ tiêu riêng của kế hoạch."


def review_links(plan, links: dict[str, Link]) -> list[ReviewItem]:
    """One review item (kind "national") per link the officer should check: a link below
    SURE, and a row left local whose best match was worth suggesting."""
    out = []
    for t in plan.targets():
        lk = links.get(t.code)
        if lk is None or lk.sure or (lk.code is None and lk.candidate is None):
            continue
        if lk.code:
            value = f"{lk.code} (chưa chắc chắn)"
            note = f"Chưa chắc dòng này thực hiện chỉ tiêu quốc gia {lk.code} ({lk.reason})."
        else:
            value = "chỉ tiêu riêng của địa phương"
            note = (f"Chưa gắn mã quốc gia; gần nhất là {lk.candidate} ({lk.reason}). Nếu đúng, "
                    "ghi mã đó vào cột Mã quốc gia.")
        out.append(ReviewItem("national", t.code, value, sentence=t.text,
                              confidence=lk.confidence, note=note))
    return out


# -- the plan workbook's column "Mã quốc gia" -------------------------------------------
#: Written after a code the officer should check ("QG-4.2?"); removing it confirms the link.
UNSURE_MARK = "?"
_CELL = re.compile(r"(?i)\s*(?:QG)?\s*[-‐–.:]?\s*(\d+)\s*\.\s*(\d+)\s*([a-z]?)\s*(\??)\s*")


def unsure_rows(plan) -> dict[str, ReviewItem]:
    """The plan's review items about national links, by target-row code."""
    return {r.ref: r for r in plan.review if r.kind == "national"}


def cell_text(plan, target) -> str | None:
    """What the plan workbook shows for a row's national code: "QG-4.2", "QG-4.2?" when the
    link is not sure, nothing for a local indicator."""
    if not target.national:
        return None
    return target.national + (UNSURE_MARK if target.code in unsure_rows(plan) else "")


def read_cell(value) -> tuple[str | None, bool]:
    """(national code, unsure) from what the officer left in the column: "QG-4.2",
    "qg 4.2", "QG-3.2A?" … Text that is no code is kept as written (plan check names it)."""
    text = vn.clean(value if isinstance(value, str) else "" if value is None else str(value))
    if not text:
        return None, False
    m = _CELL.fullmatch(text)
    if not m:
        return text, False
    return f"QG-{int(m[1])}.{int(m[2])}{m[3].lower()}", bool(m[4])


def mark_unsure(plan, code: str) -> None:
    """The row ``code`` was read as "QG-…?": list it for review like an unsure import."""
    t = plan.target(code)
    if t is None or code in unsure_rows(plan):
        return
    lk = link(t.text, t.unit if t.op != "qualitative" else None)
    plan.review.append(ReviewItem(
        "national", code, f"{t.national} (chưa chắc chắn)", sentence=t.text,
        confidence=lk.confidence if lk.code == t.national else min(lk.confidence, KEEP),
        note=f"Chưa chắc dòng này thực hiện chỉ tiêu quốc gia {t.national}."))


# -- plan check ---------------------------------------------------------------------------
def link_findings(plan) -> list[tuple[str, str, str, str]]:
    """(row code, finding code, severity, Vietnamese message) for plan check: links not
    sure, codes not in the catalog, one national code on rows with different units of
    measure, a row whose unit of measure contradicts the national one."""
    cat = load()
    out: list[tuple[str, str, str, str]] = []
    review = unsure_rows(plan)
    first: dict[str, object] = {}
    for t in plan.targets():
        item = review.get(t.code)
        if item is not None and t.national:
            out.append((t.code, "national_unsure", "warning",
                        f"Dòng {t.code}: chưa chắc là chỉ tiêu quốc gia {t.national} "
                        f"(độ tin cậy {item.confidence:.0%}). Kiểm tra cột Mã quốc gia: đúng thì "
                        f"xóa dấu “?”, sai thì sửa mã, hoặc để trống nếu là chỉ tiêu riêng."))
        elif item is not None:
            out.append((t.code, "national_suggested", "info",
                        f"Dòng {t.code} chưa gắn mã quốc gia. {item.note}"))
        if not t.national:
            continue
        nat = cat.get(t.national)
        if nat is None:
            out.append((t.code, "national_unknown", "warning",
                        f"Dòng {t.code}: mã quốc gia “{t.national}” không có trong danh mục "
                        f"chỉ tiêu quốc gia (xem: bdg-excel catalog). Sửa mã hoặc để trống."))
            continue
        if earlier_national_figure(plan, t):
            out.append((t.code, "national_earlier_figure", "info",
                        f"Dòng {t.code}: Chiến lược chưa có mục tiêu năm 2030 cho chỉ tiêu "
                        f"{nat.code}; dòng này dùng mục tiêu năm {t.year} của Chiến lược "
                        f"({_figure(nat.target_2025, nat.unit)}). Nếu có mục tiêu riêng, ghi "
                        f"vào cột Giá trị và Năm đạt."))
        if t.op == "qualitative" or t.measure == "yesno":
            continue            # a yes/no row: counted as a share of units above, no unit
        other = first.setdefault(t.national, t)
        if other is not t and not _same_target_measure(other, t):
            out.append((t.code, "national_units_differ", "warning",
                        f"Dòng {t.code} và dòng {other.code} cùng mã quốc gia {t.national} "
                        f"nhưng khác đơn vị tính (“{t.unit or ''}” và “{other.unit or ''}”): "
                        f"số liệu khác đơn vị không cộng được với nhau. Sửa đơn vị tính hoặc "
                        f"mã quốc gia của một dòng."))
        if nat.measure != "yesno" and (t.measure, t.factor) != (nat.measure, nat.factor):
            out.append((t.code, "national_unit_mismatch", "warning",
                        f"Dòng {t.code}: đơn vị tính “{t.unit or 'không ghi'}” khác đơn vị của "
                        f"chỉ tiêu quốc gia {nat.code} ({nat.unit}): khi tổng hợp lên cấp trên, "
                        f"số liệu dòng này không được cộng vào chỉ tiêu quốc gia. Nếu dòng "
                        f"này không phải chỉ tiêu {nat.code}, sửa hoặc xóa mã quốc gia."))
    return out


def earlier_national_figure(plan, t) -> bool:
    """The row carries the resolution's latest figure of a national target that has none
    for 2030 (a province or ministry plan's rule), with that figure's year, before the
    plan's period: plan check explains it instead of calling the year wrong."""
    nat = load().get(t.national)
    if nat is None or nat.target_2030 or not nat.target_2025 or t.year is None:
        return False
    before = plan.period_start is not None and t.year < plan.period_start
    return before and (t.op, t.value) == (nat.target_2025["op"], nat.target_2025["value"])


def _same_target_measure(a, b) -> bool:
    if (a.measure, a.factor) != (b.measure, b.factor):
        return False
    return a.measure != "count" or same_measure(a.unit, b.unit)


# -- units of measure --------------------------------------------------------------------
def _measure_key(unit: str | None):
    u = vn.clean(unit or "")
    if not u:
        return None
    measure, factor = infer_measure(u, ">=")
    if measure == "count":
        return measure, " ".join(_tokens(u))
    return measure, factor


def same_measure(unit_a: str | None, unit_b: str | None) -> bool:
    """Two units of measure mean the same scale: "/100.000" and "/100.000 trẻ đẻ sống" do,
    "%" and "phần trăm" do, "%" and "/100.000" do not, nor "tin, bài/quý" and "tin, bài/tháng"."""
    return _measure_key(unit_a) == _measure_key(unit_b)


# -- the catalog as text (bdg-excel catalog) ----------------------------------------------
_OPS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "=": "="}
_DIRECTIONS = {"increase": "tăng", "decrease": "giảm", "keep": "giữ vững"}


def _figure(target: dict | None, unit: str | None) -> str:
    if not target:
        return "chưa ghi"
    if target["op"] == "qualitative":
        return "định tính (có/không)"
    value = vn.format_number(target["value"])
    if target["op"] == "between":
        value += f" – {vn.format_number(target['max'])}"
    u = unit or ""
    sep = "" if u.startswith(("%", "/")) else " "
    return f"{_OPS.get(target['op'], target['op'])} {value}{sep}{u}".strip()


def describe(cat: Catalog) -> list[str]:
    """Vietnamese lines for ``bdg-excel catalog``: every national target under its goal."""
    out = ["DANH MỤC CHỈ TIÊU QUỐC GIA VỀ BÌNH ĐẲNG GIỚI",
           f"Nguồn: {cat.source}", f"Phiên bản danh mục: {cat.version}"]
    if cat.note:
        out.append(f"Ghi chú: {cat.note}")
    for number, title in cat.goals:
        out += ["", f"Mục tiêu {number}: {title}"]
        for t in (t for t in cat.targets if t.goal == number):
            unit = t.unit or "có/không"
            checked = "" if t.figures_checked else " (số liệu chưa đối chiếu văn bản gốc)"
            out += [f"  {t.code}  {t.text}",
                    f"      Đơn vị tính: {unit}; chiều mong muốn: "
                    f"{_DIRECTIONS.get(t.direction, t.direction)}; năm 2025: "
                    f"{_figure(t.target_2025, t.unit)}; năm 2030: "
                    f"{_figure(t.target_2030, t.unit)}{checked}",
                    *(f"      Nguồn số liệu năm {y}: {src}"
                      for y, src in sorted(t.figures_source.items()) if src),
                    f"      Kế hoạch thường ghi: {'; '.join(t.phrases)}"]
    return out


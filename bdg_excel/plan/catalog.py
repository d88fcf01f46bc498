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
from .model import infer_measure

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


@dataclass(frozen=True)
class Catalog:
    source: str
    version: str
    targets: tuple[NationalTarget, ...] = field(default_factory=tuple)
    goals: tuple[tuple[int, str], ...] = ()    # (number, title) of the strategy's six goals
    note: str = ""

    def get(self, code: str | None) -> NationalTarget | None:
        return next((t for t in self.targets if t.code == code), None)


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
            phrases=tuple(t.get("phrases", ())), figures_checked=t.get("figures_checked", True))
            for t in raw["targets"]))


# -- matching text -----------------------------------------------------------------------
#: Abbreviations plans use, on accent-less lower-case tokens.
_ABBREV = {
    "bdg": "binh dang gioi", "blgd": "bao luc gia dinh", "bltcsg": "bao luc tren co so gioi",
    "blg": "bao luc tren co so gioi", "dtts": "dan toc thieu so", "thcs": "trung hoc co so",
    "th": "tieu hoc", "htx": "hop tac xa", "dn": "doanh nghiep", "vtn": "vi thanh nien",
    "tsgtks": "ty so gioi tinh khi sinh", "tsgtkhs": "ty so gioi tinh khi sinh",
    "srb": "ty so gioi tinh khi sinh", "qlnn": "quan ly nha nuoc", "gdnn": "giao duc nghe nghiep",
    "ubnd": "uy ban nhan dan", "hdnd": "hoi dong nhan dan", "ld": "lao dong",
    "tt": "thong tin", "ttdt": "thong tin dien tu", "tttt": "thong tin truyen thong",
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
    docs: tuple[tuple[NationalTarget, dict[str, float], float, tuple[tuple[str, ...], ...]], ...]
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
        phrases = tuple(tuple(_tokens(p)) for p in t.phrases if len(_tokens(p)) >= 2)
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


def _contains(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    k = len(phrase)
    return any(tuple(tokens[i:i + k]) == phrase for i in range(len(tokens) - k + 1))


def _measure_of(unit: str | None, text: str = "") -> tuple[str, float | None] | None:
    """(measure, factor) of a row's unit of measure; None when the row has none."""
    if not (unit or "").strip():
        return ("ratio", 1.0) if "so voi" in " ".join(_tokens(text)) else None
    return infer_measure(unit, ">=", text)


def _unit_evidence(unit: str | None, text: str, nat: NationalTarget) -> tuple[float, str]:
    local = _measure_of(unit, text)
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
    out = []
    for nat, dw, dn, phrases in ix.docs:
        dot = sum(w * dw[k] for k, w in qw.items() if k in dw)
        cos = dot / (qn * dn) if dn else 0.0
        hits = [p for p in phrases if _contains(tokens, p)]
        best = max(hits, key=lambda p: sum(ix.idf.get(" ".join(p[i:i + 2]), 0)
                                          for i in range(len(p) - 1)), default=None)
        bonus = 0.0
        if best:
            weight = sum(ix.idf.get(" ".join(best[i:i + 2]), 0) for i in range(len(best) - 1))
            bonus = min(0.45, 0.12 * weight)
        ev, why_unit = _unit_evidence(unit, text, nat)
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
    reasons = [f"khớp cụm từ «{' '.join(phrase)}»" if phrase else "giống lời văn"]
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


def goal_of(title: str | None) -> int | None:
    """The strategy's goal a plan's goal title names ("Trong lĩnh vực y tế" → 4), or None
    when it names none or several."""
    s = " ".join(_tokens(title or ""))
    found = {n for n, words in _GOAL_WORDS if any(w in s for w in words)}
    return found.pop() if len(found) == 1 else None


def link_plan(plan, *, overwrite: bool = False) -> dict[str, Link]:
    """Link every target row of ``plan`` that has no national code yet (all of them with
    ``overwrite``); returns the link computed for each row it looked at, by row code."""
    titles = {g.number: g.title for g in plan.goals}
    out: dict[str, Link] = {}
    for ind in plan.indicators:
        goal = goal_of(titles.get(ind.goal))
        for t in ind.targets:
            if t.national and not overwrite:
                continue
            text = t.text if len(ind.targets) > 1 or not ind.text else ind.text
            lk = link(text or t.text, t.unit if t.op != "qualitative" else None, goal=goal)
            out[t.code] = lk
            t.national = lk.code
    return out


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

"""Which goal a field heading is, when the plan's own numbering does not say.

A heading that states its goal ("Mục tiêu 2: Trong lĩnh vực y tế", "Lĩnh vực y tế (Mục
tiêu 4)") keeps the plan's number, whatever the strategy's numbering (CONTRACT section 2:
codes are as numbered in the plan). A heading that states none ("3. Lĩnh vực y tế" in a
plan that skips fields, "Lĩnh vực thông tin, truyền thông" with no number, "c) Về y tế")
is numbered by the national catalog:

1. the strategy's goal its title names (:func:`catalog.goal_of`: "y tế" is goal 4);
2. when an earlier heading already took that goal (a goal split over two headings), or
   when the title names several goals (two goals merged under one heading): the goal most
   of its indicators are linked to in the catalog, if free;
3. else (and for a title naming no goal of the strategy: "Trong công tác cán bộ") the
   heading's own number when free, else the next number no heading claims.

Every number decided this way that differs from the heading's own number (its label, or
its place when it has none) is listed for review (kind "target", confidence below 0.8)
with the heading's sentence. :func:`decide` also returns the plan's own numbers (its
label, else its place) that were replaced ({3: 4}), so that "chỉ tiêu 1 mục tiêu 3" in an
assignment still means the heading the plan numbered 3.
"""

from __future__ import annotations

import re
from collections import Counter

from .. import catalog
from .text import Line

#: confidence of a goal number decided from the heading's title, from its indicators'
#: national links, from neither
BY_TITLE, BY_LINKS, BY_POSITION = 0.6, 0.5, 0.4

_LINK_TEXT = re.compile(r"^(?:Các\s+)?Chỉ\s+tiêu(?:\s+(?:số|thứ))?\s*(?:\d+(?:\.\d+)?)?\s*"
                        r"[:.)\-–—]?\s*", re.I)


def _own_number(heading: Line | None) -> int | None:
    """The heading's own number: "3." -> 3, "2.3." -> 3 (a letter "c)" is only a place)."""
    if heading is None or not heading.label:
        return None
    label = heading.label.strip(".)")
    if re.fullmatch(r"\d+(?:\.\d+)*", label):
        return int(label.split(".")[-1])
    return None


def _linked_goal(items: list[Line]) -> int | None:
    """The strategy goal most of the items' indicators are linked to (first on a tie)."""
    cat = catalog.load()
    goals: list[int] = []
    for line in items:
        text = _LINK_TEXT.sub("", line.text)
        lk = catalog.link(text, None)
        nat = cat.get(lk.code) if lk.code else None
        if nat is not None:
            goals.append(nat.goal)
    if not goals:
        return None
    counts = Counter(goals)
    best = max(counts.values())
    return next(g for g in goals if counts[g] == best)


def decide(blocks: list, ctx) -> tuple[list[int], dict[int, int]]:
    """The goal number of every block ``(heading, number, title, items)`` (number: the one
    the heading states, or None), and {the plan's own number: the goal decided} where they
    differ. Review items go into ``ctx``."""
    stated = {n for _, n, _, _ in blocks if n is not None}
    if len(stated) == len(blocks):
        return [n for _, n, _, _ in blocks], {}
    # what each unnumbered heading's title names, when one goal only and not stated elsewhere
    claims = {}
    for i, (_, n, title, _) in enumerate(blocks):
        named = catalog.goals_named(title)
        if n is None and len(named) == 1 and not named & stated:
            claims.setdefault(named.pop(), i)
    used: set[int] = set()
    out: list[int] = []
    aliases: dict[int, int] = {}
    for i, (heading, n, title, items) in enumerate(blocks):
        if n is not None:
            number = n if n not in used else max(used) + 1
            out.append(number)
            used.add(number)
            continue
        own = _own_number(heading)
        named = catalog.goals_named(title)
        reason = None
        number = next((g for g, j in claims.items() if j == i), None)
        conf = BY_TITLE
        if number is None and named:   # a title naming no goal of the strategy is the plan's own
            linked = _linked_goal(items)
            if linked is not None and linked not in used | stated and \
                    claims.get(linked, i) == i:
                number, conf = linked, BY_LINKS
        if number is None:
            free = lambda g: g not in used | stated and claims.get(g, i) == i  # noqa: E731
            number = own if own and free(own) else max(used | stated | set(claims) | {0}) + 1
            while not free(number):
                number += 1
            conf = BY_POSITION
        if len(named) > 1:
            reason = (f"Tiêu đề gộp nhiều mục tiêu của Chiến lược quốc gia ("
                      + ", ".join(f"mục tiêu {g}" for g in sorted(named)) + ")")
        elif len(named) == 1 and next(iter(named)) != number:
            reason = (f"Tiêu đề thuộc mục tiêu {next(iter(named))} của Chiến lược quốc gia, "
                      "nhưng kế hoạch chia mục tiêu này thành nhiều phần")
        used.add(number)
        out.append(number)
        position = own if own is not None else i + 1
        if position != number:
            aliases.setdefault(position, number)
        if number != position or reason:
            _note(ctx, heading, title, number, position, own, conf, reason)
    return out, aliases


def _note(ctx, heading, title, number, position, own, conf, reason) -> None:
    how = {BY_TITLE: f"tên lĩnh vực là mục tiêu {number} của Chiến lược quốc gia",
           BY_LINKS: f"các chỉ tiêu của phần này gắn với chỉ tiêu quốc gia thuộc mục tiêu {number}",
           BY_POSITION: "theo thứ tự trong kế hoạch"}[conf]
    said = (f"Tiêu đề đánh số {own} nhưng không ghi số mục tiêu" if own is not None
            else f"Tiêu đề không ghi số mục tiêu (phần thứ {position})")
    note = f"{said}; đã lấy mục tiêu {number} vì {how}."
    if reason:
        note = f"{reason}. {note}"
    note += " Nếu sai, sửa số mục tiêu và mã chỉ tiêu trong sổ kế hoạch."
    ctx.note("target", f"Mục tiêu {number}", title, heading, conf, note)

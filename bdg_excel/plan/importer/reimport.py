"""Importing a plan document over an existing plan workbook without losing the officer's
edits.

The officer completes the imported workbook by hand: unit e-mail addresses and contacts,
assignments the document did not state, and national codes (the column "Mã quốc gia":
a link corrected, confirmed by removing its "?", or emptied for a local indicator). :func:`reimport` keeps a dated backup of the
existing workbook (never overwritten), carries those additions over to the units of the
same name in the new plan (names compared in canonical form: "Văn hoá"/"Văn hóa", dashes,
case) and the national codes to the target rows of the same sentence (figures aside: a
revised document may renumber rows or change a figure), and says what it could not carry (a unit or an indicator the new plan no longer
has; both stay in the backup).
"""

from __future__ import annotations

import copy
import re
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ...core import vn
from ...core.errors import OutputLocked, PlanError
from .. import catalog
from ..model import Plan


@dataclass
class CarryOver:
    backup: Path
    #: units whose e-mail or contact came from the old workbook
    contacts: list[str] = field(default_factory=list)
    #: (unit, indicator code) assignments from the old workbook the document does not state
    assignments: list[tuple[str, str]] = field(default_factory=list)
    #: units of the old workbook with no unit of the same name in the new plan
    lost_units: list[str] = field(default_factory=list)
    #: (unit, code) assignments of indicators the new plan does not have
    lost_assignments: list[tuple[str, str]] = field(default_factory=list)
    #: (new row code, national code or None) the officer set in the old workbook and the
    #: new plan now carries instead of its own link
    national: list[tuple[str, str | None]] = field(default_factory=list)
    #: (old row code, national code or None) the officer set on a row whose sentence the
    #: new plan no longer has: not carried (it is in the backup)
    lost_national: list[tuple[str, str | None]] = field(default_factory=list)
    #: the old workbook could not be read: nothing carried (it is in the backup)
    unreadable: str | None = None


def backup_path(path: Path, today: date) -> Path:
    """``ke-hoach.xlsx`` -> ``ke-hoach.truoc-nhap-2026-04-10.xlsx`` (then ``…-2``, ``…-3``:
    a backup is never overwritten)."""
    base = f"{path.stem}.truoc-nhap-{today.isoformat()}"
    candidate = path.with_name(base + path.suffix)
    n = 2
    while candidate.exists():
        candidate = path.with_name(f"{base}-{n}{path.suffix}")
        n += 1
    return candidate


def carry_over(old: Plan, new: Plan, result: CarryOver) -> None:
    """Copy the officer's additions from ``old`` into ``new`` (in place)."""
    codes = {i.code for i in new.indicators}
    for ou in old.units:
        nu = new.unit(ou.name)
        if nu is None:
            if ou.email or ou.contact or ou.indicators:
                result.lost_units.append(ou.name)
            continue
        if (ou.email and not nu.email) or (ou.contact and not nu.contact):
            nu.email = nu.email or ou.email
            nu.contact = nu.contact or ou.contact
            result.contacts.append(nu.name)
        for code in ou.indicators:
            if code in nu.indicators:
                continue
            if code in codes:
                nu.indicators.append(code)
                result.assignments.append((nu.name, code))
            else:
                result.lost_assignments.append((ou.name, code))
    carry_national(old, new, result)


def _sentence_key(plan: Plan, target) -> str:
    """A target row's sentence in canonical form without its figures and local numbers."""
    ind = plan.indicator(target.indicator_code)
    text = target.text or (ind.text if ind is not None else "") or ""
    return " ".join(re.sub(r"[\d.,;:%/()-]+", " ", vn.canonical(text)).split())


def carry_national(old: Plan, new: Plan, result: CarryOver) -> None:
    """The officer's national codes from ``old`` onto the rows of ``new`` with the same
    sentence. Only codes set by hand (typed, corrected, confirmed by removing the "?", or
    an emptied cell) are carried: a code still unsure ("QG-4.2?") or the link the catalog
    gives the sentence anyway was the import's, and the new import's link stands. A code
    set by hand replaces the new link when it differs from it or the new one is unsure; a
    sentence found on several old rows with different codes is left to the new link."""
    by_hand = _set_by_hand(old)
    decided: dict[str, set] = {}
    for t in old.targets():
        if t.code in by_hand:
            decided.setdefault(_sentence_key(old, t), set()).add(t.national)
    new_keys = {_sentence_key(new, t) for t in new.targets()}
    result.lost_national += [(t.code, t.national) for t in old.targets()
                             if t.code in by_hand and _sentence_key(old, t) not in new_keys]
    new_unsure = catalog.unsure_rows(new)
    for t in new.targets():
        codes = decided.get(_sentence_key(new, t))
        if not codes or len(codes) > 1:
            continue
        code = next(iter(codes))
        if code == t.national and t.code not in new_unsure:
            continue
        t.national = code
        new.review = [r for r in new.review if not (r.kind == "national" and r.ref == t.code)]
        result.national.append((t.code, code))


def _set_by_hand(old: Plan) -> set[str]:
    """Codes of the old rows whose national code the officer set: not the link the
    catalog gives the row's text, or that link confirmed (no "?") where it was unsure."""
    fresh = copy.deepcopy(old)
    links = catalog.link_plan(fresh, overwrite=True)
    unsure = catalog.unsure_rows(old)
    return {t.code for t in old.targets() if t.code not in unsure and t.code in links and
            (links[t.code].code != t.national or (t.national and not links[t.code].sure))}


def reimport(new: Plan, path: str | Path, *, today: date) -> CarryOver:
    """Replace the plan workbook at ``path`` by ``new``, keeping a dated backup of it and
    the officer's additions. Raises OutputLocked when the workbook cannot be replaced."""
    from ..planbook import load_plan, save_plan

    path = Path(path)
    backup = backup_path(path, today)
    try:
        shutil.copy2(path, backup)
    except OSError as exc:
        raise OutputLocked(f"Không sao lưu được tệp {path.name} thành {backup.name}: {exc}. "
                           "Tệp cũ chưa bị thay đổi.") from exc
    result = CarryOver(backup=backup)
    try:
        old = load_plan(path)
    except PlanError as exc:
        result.unreadable = str(exc)
    else:
        carry_over(old, new, result)
    save_plan(new, path)
    return result


__all__ = ["CarryOver", "backup_path", "carry_over", "reimport"]

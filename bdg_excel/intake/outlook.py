"""An Outlook message saved as ``.msg`` (an OLE compound file, [MS-OXMSG]): its sender,
the time it was sent, and its attachments, read with olefile (BSD licence; the usual
.msg libraries are GPL).

The properties used: the sender's SMTP address (PidTagSenderSmtpAddress 0x5D01, else
PidTagSenderEmailAddress 0x0C1F), the subject (0x0037), the time sent
(PidTagClientSubmitTime 0x0039, else PidTagMessageDeliveryTime 0x0E06) from the
``__properties_version1.0`` stream, and for each ``__attach_version1.0_#XXXXXXXX``
storage its long file name (0x3707, else 0x3704) and its bytes (0x3701).
"""

from __future__ import annotations

import struct
from datetime import datetime, timedelta, timezone
from pathlib import Path

from . import untrusted

_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=timezone.utc)
MAX_STREAM = untrusted.MAX_BYTES


def read_msg(path: Path, name: str, res) -> list[tuple[str, bytes]]:
    """Fill ``res`` (a :class:`containers.Unpacked`) with the message's sender, time and
    subject; return its attachments as (file name, bytes)."""
    import olefile

    with olefile.OleFileIO(str(path)) as ole:
        res.sender = (_text(ole, "__substg1.0_5D01") or _text(ole, "__substg1.0_0C1F") or
                      "").strip().lower() or None
        if res.sender and "@" not in res.sender:
            res.sender = None   # an Exchange address (/O=…), not an e-mail address
        res.subject = _text(ole, "__substg1.0_0037") or None
        res.sent_at = _time(ole, (0x0039, 0x0E06))
        files = []
        storages = {e[0] for e in ole.listdir(streams=True, storages=True)
                    if e and e[0].lower().startswith("__attach_version1.0_#")}
        for storage in sorted(storages):
            filename = _text(ole, f"{storage}/__substg1.0_3707") or \
                _text(ole, f"{storage}/__substg1.0_3704") or ""
            stream = f"{storage}/__substg1.0_37010102"
            if not filename or not ole.exists(stream):
                continue
            if ole.get_size(stream) > MAX_STREAM:
                files.append((filename, b"\0" * (MAX_STREAM + 1)))   # named as too large
                continue
            files.append((filename, ole.openstream(stream).read()))
        return files


def _text(ole, base: str) -> str | None:
    """A string property: Unicode (type 001F) or 8-bit (001E)."""
    for suffix, enc in (("001F", "utf-16-le"), ("001E", "cp1258")):
        stream = base + suffix
        if ole.exists(stream):
            data = ole.openstream(stream).read(64 * 1024)
            return data.decode(enc, "replace").rstrip("\0")
    return None


def _time(ole, tags: tuple[int, ...]) -> datetime | None:
    """A time property from the top-level property stream (32-byte header, then 16-byte
    entries: type, tag, flags, value)."""
    stream = "__properties_version1.0"
    if not ole.exists(stream):
        return None
    data = ole.openstream(stream).read(1024 * 1024)
    found = {}
    for at in range(32, len(data) - 15, 16):
        ptype, tag, _, value = struct.unpack_from("<HHIQ", data, at)
        if ptype == 0x0040:
            found[tag] = value
    for tag in tags:
        if found.get(tag):
            try:
                return _FILETIME_EPOCH + timedelta(microseconds=found[tag] // 10)
            except OverflowError:
                return None
    return None


__all__ = ["read_msg"]

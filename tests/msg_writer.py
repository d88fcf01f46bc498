"""A minimal writer of OLE compound files (MS-CFB, version 3) for tests: enough to build
an Outlook .msg ([MS-OXMSG]) in the test instead of committing a binary. There is no mini
stream: a stream shorter than the 4096-byte cutoff is padded with NULs to it (string
properties end in NULs anyway, property streams in empty entries)."""

from __future__ import annotations

import struct

SECTOR = 512
END, FATSECT, FREE, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF, 0xFFFFFFFF


def compound_file(streams: dict[str, bytes]) -> bytes:
    """``streams``: "storage/stream" paths (one level of storages) -> bytes."""
    storages = sorted({p.split("/")[0] for p in streams if "/" in p})
    entries = [{"name": "Root Entry", "type": 5, "children": []}]
    index = {"": 0}
    for s in storages:
        index[s] = len(entries)
        entries.append({"name": s, "type": 1, "children": []})
        entries[0]["children"].append(index[s])
    for path, data in streams.items():
        data = data.ljust(4096, b"\0")
        parent = path.split("/")[0] if "/" in path else ""
        entries.append({"name": path.split("/")[-1], "type": 2, "data": data, "children": []})
        entries[index[parent]]["children"].append(len(entries) - 1)
    # stream data in sectors
    body, fat = bytearray(), []
    for e in entries:
        data = e.get("data", b"")
        if not data:
            e["start"] = END
            continue
        n = -(-len(data) // SECTOR)
        e["start"] = len(fat)
        fat.extend(range(len(fat) + 1, len(fat) + n))
        fat.append(END)
        body += data.ljust(n * SECTOR, b"\0")
    # directory sectors (4 entries each)
    dir_start = len(fat)
    n_dir = -(-len(entries) // 4)
    fat.extend(range(dir_start + 1, dir_start + n_dir))
    fat.append(END)
    n_fat = 1
    while (len(fat) + n_fat) > n_fat * (SECTOR // 4):
        n_fat += 1
    fat_start = len(fat)
    fat.extend([FATSECT] * n_fat)
    fat.extend([FREE] * (n_fat * (SECTOR // 4) - len(fat)))
    directory = bytearray()
    for i, e in enumerate(entries):
        kids = e["children"]
        for a, b in zip(kids, kids[1:]):
            entries[a]["right"] = b
        name = e["name"].encode("utf-16-le") + b"\0\0"
        directory += struct.pack(
            "<64sHBBIII16sIQQIQ", name.ljust(64, b"\0"), len(name), e["type"], 1,
            NOSTREAM, e.get("right", NOSTREAM), kids[0] if kids else NOSTREAM, b"\0" * 16, 0,
            0, 0, e["start"] if e["type"] != 5 else END, len(e.get("data", b"")))
    directory = directory.ljust(n_dir * SECTOR, b"\0")
    difat = list(range(fat_start, fat_start + n_fat)) + [FREE] * (109 - n_fat)
    header = struct.pack("<8s16sHHHHH6sIIIIIIIII", bytes.fromhex("D0CF11E0A1B11AE1"),
                         b"\0" * 16, 0x3E, 3, 0xFFFE, 9, 6, b"\0" * 6, 0, n_fat, dir_start,
                         0, 0, END, 0, END, 0)
    header += struct.pack("<109I", *difat)
    return bytes(header + body + directory + struct.pack(f"<{len(fat)}I", *fat))


def outlook_message(*, sender: str, subject: str, sent_filetime: int,
                    attachments: dict[str, bytes]) -> bytes:
    """An Outlook .msg: sender, subject, time sent (FILETIME), attachments."""
    def text(value: str) -> bytes:
        return value.encode("utf-16-le")

    props = b"\0" * 8 + struct.pack("<IIII", 0, len(attachments), 0, len(attachments)) + \
        b"\0" * 8 + struct.pack("<HHIQ", 0x0040, 0x0039, 0, sent_filetime)
    streams = {"__substg1.0_5D01001F": text(sender), "__substg1.0_0037001F": text(subject),
               "__properties_version1.0": props}
    for i, (name, data) in enumerate(attachments.items()):
        base = f"__attach_version1.0_#{i:08X}"
        streams[f"{base}/__substg1.0_3707001F"] = text(name)
        streams[f"{base}/__substg1.0_37010102"] = data
        streams[f"{base}/__properties_version1.0"] = b"\0" * 8
    return compound_file(streams)

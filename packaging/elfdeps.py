"""ELF facts for the bundle, read with ``objdump -p`` (binutils): DT_NEEDED, DT_SONAME and the GLIBC_
symbol versions each file requires.  Used by workbench.spec (pruning) and check_bundle.py (checks)."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

ELF_MAGIC = b"\x7fELF"
_HEADER = re.compile(r"^(\S.*):\s+file format (\S+)\s*$", re.M)


@dataclass
class ElfInfo:
    needed: list[str] = field(default_factory=list)
    soname: str | None = None
    glibc: set[str] = field(default_factory=set)  # e.g. {"2.14", "2.34"}


def is_elf(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == ELF_MAGIC
    except OSError:
        return False


def _parse(block: str) -> ElfInfo:
    info = ElfInfo()
    for line in block.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "NEEDED":
            info.needed.append(parts[1])
        elif len(parts) == 2 and parts[0] == "SONAME":
            info.soname = parts[1]
        elif parts and parts[-1].startswith("GLIBC_2."):
            info.glibc.add(parts[-1][len("GLIBC_") :])
    return info


def scan(paths: list[Path], chunk: int = 200) -> dict[Path, ElfInfo]:
    """ELF facts for each path (non-ELF files are skipped)."""
    paths = [Path(p) for p in paths if is_elf(Path(p))]
    out: dict[Path, ElfInfo] = {}
    for i in range(0, len(paths), chunk):
        batch = paths[i : i + chunk]
        text = subprocess.run(
            ["objdump", "-p", *map(str, batch)],
            check=True,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        ).stdout
        heads = list(_HEADER.finditer(text))
        for n, m in enumerate(heads):
            end = heads[n + 1].start() if n + 1 < len(heads) else len(text)
            out[Path(m.group(1))] = _parse(text[m.end() : end])
    return out


def version_key(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", v))


def loadable_segments(path: Path, page: int = 4096) -> bool:
    """True when every PT_LOAD segment is one the dynamic loader accepts: page-aligned p_align and
    p_vaddr congruent to p_offset modulo the page size.  ``strip`` can break that on libraries that
    patchelf (auditwheel) rewrote -- glibc then refuses them with "ELF load command address/offset
    not page-aligned" -- so every stripped file is checked before it replaces the original."""
    import struct

    with open(path, "rb") as fh:
        head = fh.read(64)
        if head[:4] != ELF_MAGIC or head[4] != 2 or head[5] != 1:  # ELF64, little-endian only
            return False
        (phoff,) = struct.unpack_from("<Q", head, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", head, 0x36)
        fh.seek(phoff)
        table = fh.read(phentsize * phnum)
    for i in range(phnum):
        p_type, _flags, p_offset, p_vaddr, _paddr, _filesz, _memsz, p_align = struct.unpack_from(
            "<IIQQQQQQ", table, i * phentsize
        )
        if p_type == 1 and ((p_align % page) or (p_vaddr - p_offset) % page):  # PT_LOAD
            return False
    return True

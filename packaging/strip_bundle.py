#!/usr/bin/env python3
"""Strip the symbol tables (``strip --strip-unneeded``) of a bundle's shared libraries, in place.

    python packaging/strip_bundle.py dist/kayak-workbench

Each library is stripped into a temporary file that replaces the original only if the dynamic loader
will still accept it (elfdeps.loadable_segments): stripping a library that patchelf rewrote (the
auditwheel-repaired ``numpy.libs``/``scipy.libs`` ones) can leave misaligned load segments.  Those
are kept as they are.  libtorch_cpu.so alone shrinks by ≈85 MB."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from elfdeps import is_elf, loadable_segments  # noqa: E402


def main() -> int:
    bundle = Path(sys.argv[1])
    before = after = 0
    kept = []
    libs = [
        p
        for p in sorted(bundle.rglob("*.so*"))
        if p.is_file() and not p.is_symlink() and is_elf(p) and loadable_segments(p)
    ]
    for lib in libs:
        tmp = lib.with_name(lib.name + ".stripping")
        res = subprocess.run(
            ["strip", "--strip-unneeded", "-o", str(tmp), str(lib)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        size = lib.stat().st_size
        before += size
        if res.returncode != 0 or not loadable_segments(tmp):
            tmp.unlink(missing_ok=True)
            kept.append(lib)
            after += size
            continue
        shutil.copymode(lib, tmp)
        os.replace(tmp, lib)
        after += lib.stat().st_size
    print(
        f"strip_bundle: {len(libs)} libraries, {before / 2**20:.0f} -> {after / 2**20:.0f} MiB; "
        f"left unstripped (stripping would break their load segments): "
        + (" ".join(str(p.relative_to(bundle)) for p in kept) or "none")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

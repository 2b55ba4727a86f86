#!/usr/bin/env python3
"""Check a built bundle before it is packaged; exits 1 with one line per problem.

    python packaging/check_bundle.py dist/kayak-workbench --depends "libc6 (>= 2.36), libgl1, ..."

* no dangling symlinks anywhere in the bundle;
* every library some bundled ELF file needs (DT_NEEDED) is either in the bundle or installed on this
  machine by a Debian package named in --depends (looked up with ``dpkg -S``) -- so the .deb's
  Depends are complete;
* the highest GLIBC_ symbol version any file requires is at most the libc6 version in --depends.
Prints the minimum glibc and which file needs it.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from elfdeps import scan, version_key  # noqa: E402


def dpkg_owners(sonames: list[str]) -> dict[str, set[str]]:
    """soname -> Debian packages (this machine's) that ship a file of that name in a lib folder."""
    if not sonames:
        return {}
    res = subprocess.run(
        ["dpkg", "-S", *[f"*/{s}" for s in sonames]], text=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    owners: dict[str, set[str]] = defaultdict(set)
    for line in res.stdout.splitlines():
        pkgs, _, path = line.partition(": ")
        name = Path(path.strip()).name
        if "/lib" not in path or name not in sonames:
            continue
        for pkg in pkgs.split(", "):
            owners[name].add(pkg.split(":")[0].strip())
    return owners


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bundle", type=Path)
    ap.add_argument("--depends", required=True, help="the .deb's Depends field")
    args = ap.parse_args()
    problems: list[str] = []

    files = [p for p in args.bundle.rglob("*") if not p.is_dir() or p.is_symlink()]
    for p in files:
        if p.is_symlink() and not p.exists():
            problems.append(f"dangling symlink: {p.relative_to(args.bundle)} -> {p.readlink()}")

    elf = scan([p for p in files if p.is_file() and not p.is_symlink()])
    bundled = {p.name for p in files}
    wanted: dict[str, list[Path]] = defaultdict(list)
    for path, info in elf.items():
        for lib in info.needed:
            if lib not in bundled:
                wanted[lib].append(path)

    depends = {}
    for item in args.depends.split(","):
        m = re.match(r"\s*([a-z0-9][a-z0-9+.-]*)\s*(?:\(\s*>=\s*([\d.]+)\s*\))?", item)
        if m:
            depends[m.group(1)] = m.group(2)
    owners = dpkg_owners(sorted(wanted))
    print("system libraries the bundle needs (soname: package):")
    for lib in sorted(wanted):
        pkgs = owners.get(lib, set())
        user = wanted[lib][0].relative_to(args.bundle)
        print(f"  {lib}: {', '.join(sorted(pkgs)) or '?'}")
        if not pkgs:
            problems.append(f"{lib} (needed by {user}) is neither bundled nor installed here")
        elif not pkgs & depends.keys():
            problems.append(
                f"{lib} (needed by {user}) comes from {', '.join(sorted(pkgs))}, which Depends does not name"
            )

    newest, who = "0", None
    for path, info in elf.items():
        for v in info.glibc:
            if version_key(v) > version_key(newest):
                newest, who = v, path
    if who is not None:
        print(f"minimum glibc: {newest} (first required by {who.relative_to(args.bundle)})")
    declared = depends.get("libc6")
    if declared is None or version_key(declared) < version_key(newest):
        problems.append(f"Depends must say libc6 (>= {newest}); it says {declared or 'nothing'}")

    for p in problems:
        print(f"check_bundle: {p}", file=sys.stderr)
    print(
        f"check_bundle: {len(elf)} ELF files, {len(files)} files: "
        + ("OK" if not problems else f"{len(problems)} problem(s)")
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

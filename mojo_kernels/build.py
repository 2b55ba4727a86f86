#!/usr/bin/env python3
"""Build workbench/core/backends/_native/libkayak_maxsim.so from mojo_kernels/maxsim.mojo.

    .venv/bin/python mojo_kernels/build.py [--portable-only] [--if-stale] [--ship] [--output PATH]

Compiles the kernel twice with `mojo build --emit object` -- once for this
machine's CPU (symbols *_native) and once with --target-cpu x86-64-v3 (symbols
*_v3) -- and links both objects with `gcc -shared` into one library whose only
dependency is libc.  Stdlib only; exits non-zero with a clear message on failure.

--ship builds the *_native slot for x86-64-v4 (the AVX-512 baseline the loader
checks for) instead of this machine's CPU, so the library runs on any AVX-512
CPU; installers use it, with --output so the dev tree's library is kept.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "mojo_kernels" / "maxsim.mojo"
OUTPUT = ROOT / "workbench" / "core" / "backends" / "_native" / "libkayak_maxsim.so"
EXPORTS = (
    "kayak_maxsim_f32",
    "kayak_maxsim_f16",
    "kayak_maxsim_rq",
    "kayak_nearest_f32",
    "kayak_probe",
    "kayak_maxsim_info",
)


def die(msg: str) -> None:
    print(f"mojo_kernels/build.py: error: {msg}", file=sys.stderr)
    sys.exit(1)


def find_mojo() -> str:
    env = os.environ.get("MOJO")
    if env:
        return env
    here = Path(sys.executable).parent / "mojo"
    if here.is_file() and os.access(here, os.X_OK):
        return str(here)
    found = shutil.which("mojo")
    if not found:
        die(f"the `mojo` compiler was not found next to {sys.executable} nor on PATH (install it: pip install mojo)")
    return found


def run(*cmds: list[str]) -> None:
    """Run the commands in parallel; die with the first failure's output."""
    try:
        procs = [(c, subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)) for c in cmds]
    except OSError as exc:
        die(f"cannot run {exc.filename}: {exc.strerror}")
    for cmd, proc in procs:
        out = proc.communicate()[0]
        # Drop the harmless crash-reporter notice mojo prints on every run.
        out = "\n".join(line for line in out.splitlines() if "Crashpad" not in line)
        if proc.returncode != 0:
            die(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{out}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--portable-only", action="store_true", help="build only the x86-64-v3 (AVX2) variant")
    ap.add_argument(
        "--if-stale",
        action="store_true",
        help="do nothing when the library is newer than its sources (set-up uses this)",
    )
    ap.add_argument(
        "--ship", action="store_true", help="portable release build: the native slot targets x86-64-v4, not this CPU"
    )
    ap.add_argument(
        "--output", type=Path, default=OUTPUT, help=f"where to write the library (default: {OUTPUT.relative_to(ROOT)})"
    )
    args = ap.parse_args()
    output = args.output.resolve()
    if (
        args.if_stale
        and output.exists()
        and all(output.stat().st_mtime > p.stat().st_mtime for p in (SOURCE, Path(__file__)))
    ):
        return

    mojo = find_mojo()
    gcc = shutil.which(os.environ.get("CC") or "gcc")
    if not gcc:
        die(f"`{os.environ.get('CC') or 'gcc'}` was not found (needed to link the shared library)")
    src = SOURCE.read_text()
    if src.count('_native")') != len(EXPORTS):
        die(f"{SOURCE} must export exactly {len(EXPORTS)} symbols ending in _native")

    variants = [("v3", ["--target-cpu", "x86-64-v3"])]
    if not args.portable_only:
        variants.insert(0, ("native", ["--target-cpu", "x86-64-v4"] if args.ship else []))

    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kayak_build_") as tmp:
        objs, cmds = [], []
        for name, flags in variants:
            # @export needs a string literal in Mojo 1.2 (no -D substitution),
            # so each variant gets a copy of the source with its own suffix.
            vsrc = Path(tmp) / f"maxsim_{name}.mojo"
            vsrc.write_text(src.replace('_native")', f'_{name}")'))
            obj = Path(tmp) / f"maxsim_{name}.o"
            cmds.append([mojo, "build", "--emit", "object", *flags, str(vsrc), "-o", str(obj)])
            objs.append(str(obj))
        run(*cmds)
        tmp_so = output.with_name(f".{output.name}.{os.getpid()}.tmp")
        try:
            run([gcc, "-shared", "-fPIC", "-O2", "-Wl,-z,noexecstack", "-o", str(tmp_so), *objs])
            os.replace(tmp_so, output)
        finally:
            tmp_so.unlink(missing_ok=True)

    names = ", ".join(n for n, _ in variants)
    if args.ship and not args.portable_only:
        names += " (native slot: x86-64-v4)"
    shown = output.relative_to(ROOT) if output.is_relative_to(ROOT) else output
    print(
        f"built {shown} ({output.stat().st_size // 1024} KiB; "
        f"variants: {names}; exports: " + ", ".join(f"{e}_{n}" for n, _ in variants for e in EXPORTS) + ")"
    )


if __name__ == "__main__":
    main()

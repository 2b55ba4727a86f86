#!/usr/bin/env bash
# Build the desktop installers of Kayak Workbench, from the repository root after ./dev.sh setup:
#
#     packaging/build.sh
#
# Makes dist/kayak-workbench/ (PyInstaller onedir bundle), dist/kayak-workbench_<version>_amd64.deb
# and dist/kayak-workbench-<version>-linux-x86_64.tar.gz; work files go to build/.
#   KAYAK_DEB_COMPRESSION=xz   release build: xz -6 .deb (≈6 min more); default zstd -3 (seconds)
# Then: packaging/smoke.sh tests the .deb.  See packaging/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=.venv/bin/python
APP=kayak-workbench
BUNDLE=dist/$APP
COMPRESSION=${KAYAK_DEB_COMPRESSION:-zstd}
# The Qt libraries' packages are listed once, in packaging/qt-packages.txt (./dev.sh setup reads it too).
# packaging/check_bundle.py fails the build when a library the bundle needs is neither bundled nor
# provided by one of these.
DEPENDS="libc6 (>= 2.36), $(grep -v '^#' packaging/qt-packages.txt | paste -sd, | sed 's/,/, /g')"
BUILD_TOOLS="binutils dpkg gzip tar"
# OCR (optional): PyMuPDF bundles Tesseract itself and needs only its language data, so the .deb
# Recommends the data packages (tesseract-ocr-<lang>) of packaging/ocr-packages.txt -- the one list,
# which ./dev.sh setup installs in full -- and not the tesseract-ocr program with its ~20 libraries.
RECOMMENDS=$(tr -s ' \t' '\n' < packaging/ocr-packages.txt | grep '^tesseract-ocr-' | paste -sd, | sed 's/,/, /g')

T0=$(date +%s)
step() { printf '\n==> [%4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
die() { echo "packaging/build.sh: error: $*" >&2; exit 1; }

[ -x "$PY" ] || die "no $PY: run ./dev.sh setup first"
[ "$(uname -m)" = x86_64 ] || die "the bundle (CPU torch wheel, x86-64 kernel) is built on x86-64 only"
case "$COMPRESSION" in zstd) ZOPT=(-Zzstd -z3) ;; xz) ZOPT=(-Zxz -z6) ;;
  *) die "KAYAK_DEB_COMPRESSION must be zstd or xz, not '$COMPRESSION'" ;; esac
VERSION=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' workbench/__init__.py)
[ -n "$VERSION" ] || die "cannot read __version__ from workbench/__init__.py"
DEB=dist/${APP}_${VERSION}_amd64.deb
TARBALL=dist/$APP-$VERSION-linux-x86_64.tar.gz

step "system packages (build tools; the .deb's Depends, so that they can be checked here)"
# shellcheck disable=SC2086
pkgs=$(echo "$BUILD_TOOLS $DEPENDS" | sed 's/([^)]*)//g; s/,/ /g')
missing=()
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

step "PyInstaller (pinned, packaging/requirements.txt)"
"$PY" -m pip install --quiet --disable-pip-version-check --no-deps -r packaging/requirements.txt
"$PY" -m PyInstaller --version

step "portable kernel library (mojo_kernels/build.py --ship: native slot = x86-64-v4, plus x86-64-v3)"
mkdir -p build/kernel
"$PY" mojo_kernels/build.py --ship --output build/kernel/libkayak_maxsim.so

step "the default encoder's ONNX export, for the installer (built and checked as on a user's machine)"
rm -rf build/encoders
KAYAK_ENCODER_CACHE=$ROOT/build/encoders "$PY" -c \
  'from workbench.encode import Encoder; e = Encoder(runtime="onnx"); print("  ", e.checksum, e.runtime_detail)'

step "PyInstaller onedir bundle (≈4 min on 2 cores)"
rm -rf "$BUNDLE" "$DEB" "$TARBALL" build/deb
if ! KAYAK_SHIP_LIB=$ROOT/build/kernel/libkayak_maxsim.so "$PY" -m PyInstaller --noconfirm --clean \
    --log-level WARN --workpath build/pyinstaller --distpath dist packaging/workbench.spec \
    > build/pyinstaller.log 2>&1; then
  tail -40 build/pyinstaller.log >&2
  die "PyInstaller failed (full log: build/pyinstaller.log)"
fi
grep -e "^kayak " -e "WARNING: Library not found" build/pyinstaller.log | cut -c1-240 || true
[ -x "$BUNDLE/workbench" ] || die "PyInstaller did not produce $BUNDLE/workbench"

step "strip symbol tables from the shared libraries (libtorch_cpu.so alone: -85 MB)"
"$PY" packaging/strip_bundle.py "$BUNDLE"
chmod -R u+w,go+rX,go-w "$BUNDLE"

step "desktop entry and icons"
mkdir -p "$BUNDLE/share/applications" "$BUNDLE/share/icons/hicolor/scalable/apps"
install -m 644 assets/kayak-workbench.desktop "$BUNDLE/share/applications/"
install -m 644 assets/kayak-workbench.svg "$BUNDLE/share/icons/hicolor/scalable/apps/"
QT_QPA_PLATFORM=offscreen "$PY" packaging/render_icon.py "$BUNDLE/share/icons/hicolor" 256 128 64 48 32

step "check the bundle (needed libraries vs Depends, minimum glibc, symlinks)"
"$PY" packaging/check_bundle.py "$BUNDLE" --depends "$DEPENDS" | tee build/check_bundle.txt

step "tarball and .deb (dpkg-deb $COMPRESSION)"
root=build/deb
mkdir -p "$root/DEBIAN" "$root/opt" "$root/usr/bin" "$root/usr/share"
cp -al "$BUNDLE" "$root/opt/$APP"                  # hard links: no second GB on disk
mv "$root/opt/$APP/share/applications" "$root/opt/$APP/share/icons" "$root/usr/share/"
rmdir "$root/opt/$APP/share"
# the tarball in the background (after the hard links, or tar sees files change under it):
# gzip is single-threaded, dpkg-deb's xz is not
tar -C dist --owner=0 --group=0 --numeric-owner -czf "$TARBALL" "$APP" &
TAR_PID=$!
ln -s "/opt/$APP/workbench" "$root/usr/bin/workbench"
cat > "$root/DEBIAN/control" <<EOF
Package: $APP
Version: $VERSION
Architecture: amd64
Maintainer: Kayak Workbench developers <noreply@kayak-workbench.invalid>
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $DEPENDS
Recommends: $RECOMMENDS
Section: utils
Priority: optional
Description: late-interaction search over your own PDFs, with the why of every hit
 Kayak Workbench indexes PDFs, text and Markdown with a ColBERT-style encoder
 and shows, for every hit, which stage scored it with how many vectors on which
 backend and which passage token each query token matched.  Desktop window and
 command line (workbench).  Self-contained: Python, CPU torch, the default
 encoder and the Mojo MaxSim kernel are bundled under /opt/$APP; nothing is
 downloaded at run time.
EOF
dpkg-deb --root-owner-group "${ZOPT[@]}" --build "$root" "$DEB"
wait "$TAR_PID" || die "tar failed"
rm -rf "$root"

step "done in $(( $(date +%s) - T0 )) s"
printf '  %-52s %6s MiB  %5s files\n' "$BUNDLE/" "$(du -sm "$BUNDLE" | cut -f1)" "$(find "$BUNDLE" -type f | wc -l)"
for f in "$DEB" "$TARBALL"; do
  printf '  %-52s %6s MiB\n' "$f" "$(( $(stat -c %s "$f") / 1048576 ))"
done
grep '^minimum glibc' build/check_bundle.txt | sed 's/^/  /'
echo "  next: packaging/smoke.sh    (install: sudo apt install ./$DEB)"

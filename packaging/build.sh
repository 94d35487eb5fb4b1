#!/usr/bin/env bash
# Build the one-folder app with build.spec, prove the frozen binary works, then pack it.
#
#   packaging/build.sh            uses .venv/bin/python (needs: pip install -e '.[build]')
#   PYTHON=python3 packaging/build.sh
#
# Proof, each step failing the script: the frozen `self-test` (profile, records, bundles,
# form engine, a real sync server on loopback), `--version` equal to pyproject.toml's,
# `server run` answering on loopback, and `gui --screenshots` under the offscreen platform
# writing every screen. Only then dist/Fieldbook-<version>-linux-<arch>.tar.gz is made.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
start=$(date +%s)

name=$("$PYTHON" -c 'from resources import app_info_from_pyproject as a; print(a()["name"])')
display=$("$PYTHON" -c 'from resources import app_info_from_pyproject as a; print(a()["display_name"])')
version=$("$PYTHON" -c 'from resources import app_info_from_pyproject as a; print(a()["version"])')
app="dist/$display"
exe="$app/$name"
work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "build.sh: FAILED: $*" >&2; exit 1; }

echo "== building $display $version with build.spec"
rm -rf build "$app"
"$PYTHON" -m PyInstaller --noconfirm --log-level WARN build.spec
[ -x "$exe" ] || fail "$exe was not built"
size=$(du -sh "$app" | cut -f1)
echo "== built $app: $size unpacked"

# Run from an empty folder with a bare environment: the package must not lean on the
# source tree, the virtual environment or a developer's settings.
root=$(pwd)
run() {
  local envs=(HOME="$work/home" PATH=/usr/bin:/bin LANG=C.UTF-8)
  if [ -n "${QT_QPA_PLATFORM:-}" ]; then envs+=(QT_QPA_PLATFORM="$QT_QPA_PLATFORM"); fi
  if [ -n "${FIELDBOOK_PASSPHRASE:-}" ]; then envs+=(FIELDBOOK_PASSPHRASE="$FIELDBOOK_PASSPHRASE"); fi
  (cd "$work" && env -i "${envs[@]}" "$root/$exe" "$@")
}
mkdir -p "$work/home"

echo "== frozen self-test"
run self-test || fail "the frozen self-test"

echo "== frozen --version"
reported=$(run --version) || fail "--version"
[ "$reported" = "$display $version" ] || fail "--version says '$reported', pyproject.toml says '$display $version'"
echo "$reported"

echo "== frozen upgrade: a profile from an older schema is migrated when opened"
cp -r tests/fixtures/stores/v3 "$work/old-profile"
rm -f "$work/old-profile/README.txt"
FIELDBOOK_PASSPHRASE="fixture passphrase v3" run profile verify --profile "$work/old-profile" >/dev/null \
  || fail "the frozen app could not open and verify a schema 3 profile"
schema_now=$("$PYTHON" -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA user_version").fetchone()[0])' "$work/old-profile/store.db")
schema_code=$("$PYTHON" -c 'from storage.schema import SCHEMA_VERSION; print(SCHEMA_VERSION)')
[ "$schema_now" = "$schema_code" ] || fail "the old profile is at schema $schema_now after opening, not $schema_code"
echo "schema 3 profile opened, verified and migrated to schema $schema_now"

echo "== frozen server run on loopback"
port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run server init --data "$work/hub" >/dev/null || fail "server init"
run server run --data "$work/hub" --host 127.0.0.1 --port "$port" >"$work/server.log" 2>&1 &
server_pid=$!
answered=""
for _ in $(seq 60); do
  if "$PYTHON" -c "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:$port/openapi.json', timeout=2).status == 200 else 1)" 2>/dev/null; then
    answered=yes; break
  fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.5
done
[ -n "$answered" ] || { cat "$work/server.log" >&2; fail "the frozen server did not answer on 127.0.0.1:$port"; }
# The hub console's templates and style sheet ship as data: its sign-in page renders from them.
"$PYTHON" -c "import sys, urllib.request as u; b = 'http://127.0.0.1:$port/console/'; sys.exit(0 if b'name=\"password\"' in u.urlopen(b + 'login', timeout=5).read() and u.urlopen(b + 'static/console.css', timeout=5).status == 200 else 1)" \
  || { cat "$work/server.log" >&2; fail "the frozen server's console did not render its sign-in page"; }
run server enroll-code --data "$work/hub" --team ci >/dev/null || fail "server enroll-code against the running hub's data"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
echo "served http://127.0.0.1:$port/openapi.json"

echo "== frozen gui --screenshots (offscreen)"
QT_QPA_PLATFORM=offscreen run gui --screenshots "$work/shots" >"$work/shots.txt" || fail "gui --screenshots"
count=0
while IFS= read -r png; do  # it prints each file it wrote
  [ -s "$png" ] || fail "screenshot $png is missing or empty"
  [ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$png is not a PNG"
  count=$((count + 1))
done <"$work/shots.txt"
for screen in en-home uk-home en-form-with-errors uk-form-with-errors; do
  [ -s "$work/shots/$screen.png" ] || fail "the $screen screen was not rendered"
done
echo "$count screens rendered"

echo "== the camera's Qt modules and FFmpeg plugin are in the package"
for part in PySide6/QtMultimedia.abi3.so PySide6/QtMultimediaWidgets.abi3.so PySide6/QtNetwork.abi3.so \
            PySide6/Qt/plugins/multimedia/libffmpegmediaplugin.so; do
  [ -e "$app/_internal/$part" ] || fail "$part is not in the package: the camera button would say it cannot be used"
done

arch=$(uname -m)
tarball="dist/$display-$version-linux-$arch.tar.gz"
echo "== packing $tarball"
tar -C dist -czf "$tarball" "$display"
echo "== done in $(( $(date +%s) - start )) s: $app ($size), $tarball ($(du -h "$tarball" | cut -f1))"

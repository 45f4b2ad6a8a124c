#!/usr/bin/env bash
# Build a Python 2.7 virtualenv holding the official UForge clients
# (uforge-python-sdk and hammr, 3.8.13 from PyPI), used to test uforge-mock
# against the real client code.
#
# Usage: tools/py27-clients.sh
#   Prints the absolute path of the env's bin directory as the last line of
#   stdout; all progress goes to stderr.
#
# Environment:
#   UFORGE_MOCK_PY27_ENV   where the env lives
#                          (default ${XDG_CACHE_HOME:-$HOME/.cache}/uforge-mock/py27-clients)
#   UFORGE_MOCK_PYTHON27   a python2.7 interpreter to use (default: newest pyenv
#                          2.7.x, then python2.7 / python2 on PATH)
#
# Exit codes: 0 built (or already built), 3 no Python 2.7 interpreter found,
# anything else: the build failed (the env is left without its marker and is
# rebuilt from scratch on the next run).
#
# Idempotent: when the marker file for the current pins exists the script
# prints the bin path and exits at once. The marker is written only after the
# whole install succeeded and the clients import.
set -euo pipefail

SDK_VERSION=3.8.13
HAMMR_VERSION=3.8.13
VIRTUALENV_VERSION=16.7.12
# Bump when the recipe below changes, so existing envs get rebuilt.
RECIPE=1

ENV_DIR="${UFORGE_MOCK_PY27_ENV:-${XDG_CACHE_HOME:-$HOME/.cache}/uforge-mock/py27-clients}"
MARKER="$ENV_DIR/.uforge-mock-complete"
BUILDING="$ENV_DIR/.uforge-mock-building"
MARKER_CONTENT="uforge-python-sdk==$SDK_VERSION hammr==$HAMMR_VERSION virtualenv==$VIRTUALENV_VERSION recipe=$RECIPE"

log() { printf 'py27-clients: %s\n' "$*" >&2; }
die() { local code="$1"; shift; log "ERROR: $*"; exit "$code"; }

is_built() {
  [ -f "$MARKER" ] && [ "$(cat "$MARKER" 2>/dev/null)" = "$MARKER_CONTENT" ] \
    && [ -x "$ENV_DIR/bin/python" ] && [ -x "$ENV_DIR/bin/hammr" ]
}

# ---------------------------------------------------------------- fast path
if is_built; then
  (cd "$ENV_DIR/bin" && pwd -P)
  exit 0
fi

# One build at a time (parallel test workers may all call this script).
mkdir -p "$(dirname "$ENV_DIR")"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$ENV_DIR.lock"
  flock 9
  if is_built; then
    (cd "$ENV_DIR/bin" && pwd -P)
    exit 0
  fi
fi

START=$(date +%s)

# ------------------------------------------------------- find python 2.7
is_py27() {
  [ -n "$1" ] && "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (2, 7) else 1)' >/dev/null 2>&1
}

find_py27() {
  local c root=""
  if [ -n "${UFORGE_MOCK_PYTHON27:-}" ]; then
    if is_py27 "$UFORGE_MOCK_PYTHON27"; then
      command -v "$UFORGE_MOCK_PYTHON27"; return 0
    fi
    log "UFORGE_MOCK_PYTHON27=$UFORGE_MOCK_PYTHON27 is not a working Python 2.7; looking elsewhere"
  fi
  if command -v pyenv >/dev/null 2>&1; then
    root="$(pyenv root 2>/dev/null || true)"
  fi
  root="${root:-${PYENV_ROOT:-$HOME/.pyenv}}"
  if [ -d "$root/versions" ]; then
    # newest 2.7.x first
    while IFS= read -r c; do
      if is_py27 "$c"; then printf '%s\n' "$c"; return 0; fi
    done < <(ls -d "$root"/versions/2.7*/bin/python2.7 2>/dev/null | sort -rV)
  fi
  for c in python2.7 python2 python; do
    if command -v "$c" >/dev/null 2>&1 && is_py27 "$(command -v "$c")"; then
      # resolve pyenv shims etc. to the real interpreter
      "$(command -v "$c")" -c 'import sys; print(sys.executable)'
      return 0
    fi
  done
  return 1
}

PY27="$(find_py27)" || die 3 "no Python 2.7 interpreter found (tried UFORGE_MOCK_PYTHON27, pyenv versions 2.7.*, python2.7/python2/python on PATH). Install one, e.g. 'pyenv install 2.7.18'."
log "using Python 2.7: $PY27"

# --------------------------------------------- Debian build dependencies
# lxml 3.3.5 (pinned by the SDK) and pycrypto (via paramiko, pinned by hammr)
# have no Python 2.7 wheels and compile from source.
ensure_apt_packages() {
  command -v dpkg-query >/dev/null 2>&1 || { log "no dpkg: not checking build packages"; return 0; }
  local p missing=()
  for p in gcc libc6-dev libxml2-dev libxslt1-dev zlib1g-dev; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo="sudo -n"
    else
      log "missing build packages (${missing[*]}) and not root: trying the build anyway"
      return 0
    fi
  fi
  log "installing build packages: ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}
ensure_apt_packages

# ------------------------------------------------------ (re)create the env
if [ -e "$ENV_DIR" ]; then
  if [ -f "$BUILDING" ] || [ -f "$MARKER" ] || [ -z "$(ls -A "$ENV_DIR")" ]; then
    log "removing incomplete or outdated env $ENV_DIR"
    rm -rf "$ENV_DIR"
  else
    die 2 "$ENV_DIR exists and was not made by this script; refusing to delete it (set UFORGE_MOCK_PY27_ENV elsewhere)"
  fi
fi
mkdir -p "$ENV_DIR"
: > "$BUILDING"

WORK="$ENV_DIR/.bootstrap"
mkdir -p "$WORK"

# virtualenv 16.x is the last line that runs on and creates Python 2.7 envs;
# it is loaded from a private directory so the interpreter stays untouched.
log "fetching virtualenv==$VIRTUALENV_VERSION"
if "$PY27" -m pip --version >/dev/null 2>&1; then
  "$PY27" -m pip download -q --no-deps --only-binary=:all: -d "$WORK/dl" \
    "virtualenv==$VIRTUALENV_VERSION" >&2
elif command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1; then
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 2.7 \
    -d "$WORK/dl" "virtualenv==$VIRTUALENV_VERSION" >&2
else
  die 1 "neither $PY27 nor python3 has pip: cannot fetch virtualenv"
fi
"$PY27" -m zipfile -e "$WORK"/dl/virtualenv-"$VIRTUALENV_VERSION"-*.whl "$WORK/virtualenv" >&2

log "creating virtualenv $ENV_DIR"
PYTHONPATH="$WORK/virtualenv" "$PY27" -m virtualenv --no-download -p "$PY27" "$ENV_DIR" >&2

# Pins for the dependencies the clients leave open, so every build resolves
# the same set (all of them still support Python 2.7).
cat > "$WORK/constraints.txt" <<'EOF'
lxml==3.3.5
PyXB==1.2.4
requests==2.13.0
httplib2==0.9
texttable==0.8.1
progressbar==2.3
argparse==1.4.0
paramiko==1.12.0
pycrypto==2.6.1
ecdsa==0.13.3
pyparsing==2.0.2
PyYAML==3.12
hurry.filesize==0.9
termcolor==1.1.0
junit-xml==1.3
xmlrunner==1.7.7
ussclicore==1.0.11
cmd2==0.6.7
six==1.16.0
EOF

log "installing uforge-python-sdk==$SDK_VERSION hammr==$HAMMR_VERSION (lxml compiles: a few minutes)"
# The machine-wide pip constraints (if any) are for Python 3 packages: ours replace them.
PIP_CONSTRAINT="$WORK/constraints.txt" "$ENV_DIR/bin/python" -m pip install \
  --no-input --disable-pip-version-check --progress-bar off \
  "uforge-python-sdk==$SDK_VERSION" "hammr==$HAMMR_VERSION" >&2

log "checking the install"
"$ENV_DIR/bin/python" -c 'import uforge.application, uforge.objects.uforge, hammr, lxml.etree, pyxb, requests' >&2
"$ENV_DIR/bin/hammr" --help >/dev/null 2>&1 || die 1 "hammr --help failed in $ENV_DIR"

rm -rf "$WORK"
rm -f "$BUILDING"
printf '%s\n' "$MARKER_CONTENT" > "$MARKER"
log "built in $(( $(date +%s) - START ))s"
(cd "$ENV_DIR/bin" && pwd -P)

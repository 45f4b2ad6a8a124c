#!/usr/bin/env bash
# Build the uforge-mock image and check it for real, on a running Docker engine:
#   1. docker build --network host (works with the classic builder); prints time and size
#   2. the runtime image: no compiler, not root, the package installed as `uforge_mock`
#      (no top-level `app` to shadow a user's own) and its command answering
#   3. a container with its SQLite store in a volume: healthy, then the black-box HTTP tests
#      (tests/blackbox: the UForge API, and what a browser opening the image gets: the
#      dashboard at `/`, /docs and /redoc, every asset they load served by the image itself)
#   4. two containers started together on one PostgreSQL database (the second with two
#      workers): both healthy, the black-box HTTP tests against each
# Containers use the host's network (--network host) and listen on free loopback ports.
#
# Usage: tools/docker-check.sh        (from anywhere; needs .venv with the test extras: make install-test)
#
# Environment:
#   IMAGE=uforge-mock:check              the tag built and tested (removed at the end unless KEEP_IMAGE=1)
#   PYTHON=.venv/bin/python              runs the black-box tests
#   UFORGE_MOCK_TEST_DATABASE_URL        a PostgreSQL database for step 4 (default: a throwaway
#                                        cluster from Debian's server binaries)
#   HEALTH_TIMEOUT=120                   seconds a container may take to become healthy
# Exit status: 0 when every step passed; anything else names the step that failed.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-uforge-mock:check}
PYTHON=${PYTHON:-.venv/bin/python}
HEALTH_TIMEOUT=${HEALTH_TIMEOUT:-120}
KEEP_IMAGE=${KEEP_IMAGE:-0}
# The classic builder: no BuildKit-only feature is used, and CI has no buildx.
export DOCKER_BUILDKIT=0

log() { printf '[docker-check %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

CONTAINERS=()
VOLUME=
PG_PID=
PG_INPUT=
BUILD_LOG=$(mktemp)
cleanup() {
  local status=$?
  set +e
  for cid in "${CONTAINERS[@]}"; do
    if [ "$status" -ne 0 ]; then
      log "logs of ${cid:0:12} (last 30 lines):"; docker logs --tail 30 "$cid" >&2 2>&1
    fi
    docker rm -f --volumes "$cid" >/dev/null 2>&1
  done
  [ -z "$VOLUME" ] || docker volume rm "$VOLUME" >/dev/null 2>&1
  # Closing its input stops the throwaway cluster (python -m tests.postgres).
  if [ -n "$PG_PID" ]; then exec {PG_INPUT}>&-; wait "$PG_PID" 2>/dev/null; fi
  [ "$KEEP_IMAGE" = 1 ] || docker rmi "$IMAGE" >/dev/null 2>&1
  docker image prune --force --filter label=uforge-mock.stage=build >/dev/null 2>&1
  rm -f "$BUILD_LOG"
  exit "$status"
}
trap cleanup EXIT

free_port() { "$PYTHON" -c 'from tests.servers import free_port; print(free_port())'; }

run_container() {  # run_container PORT [docker run options...]: prints the container id
  local port=$1; shift
  docker run -d --network host \
    -e UFORGE_MOCK_HOST=127.0.0.1 -e UFORGE_MOCK_PORT="$port" \
    -e UFORGE_MOCK_EXPORT_DURATION_SECONDS=2 "$@" "$IMAGE"
}

wait_healthy() {  # wait_healthy CONTAINER
  local deadline=$(( $(date +%s) + HEALTH_TIMEOUT )) state
  while :; do
    state=$(docker inspect -f '{{.State.Status}} {{.State.Health.Status}}' "$1")
    case "$state" in
      "running healthy") return 0 ;;
      *unhealthy) fail "container ${1:0:12} is unhealthy" ;;
      running*) ;;
      *) fail "container ${1:0:12} stopped ($state)" ;;
    esac
    [ "$(date +%s)" -lt "$deadline" ] || fail "container ${1:0:12} not healthy within ${HEALTH_TIMEOUT}s ($state)"
    sleep 1
  done
}

blackbox() {  # blackbox PORT: the black-box HTTP tests against the server on that port
  log "black-box tests against http://127.0.0.1:$1"
  UFORGE_MOCK_TEST_BASE_URL="http://127.0.0.1:$1" "$PYTHON" -m pytest -q -p no:cacheprovider tests/blackbox \
    || fail "black-box tests against the container on port $1"
}

# ---------------------------------------------------------------- 1. build
docker info >/dev/null 2>&1 || fail "no Docker engine answers"
[ -x "$PYTHON" ] || fail "no $PYTHON: run make install-test first"
started=$(date +%s)
log "docker build --network host -t $IMAGE ."
if ! docker build --network host --force-rm -t "$IMAGE" . >"$BUILD_LOG" 2>&1; then
  tail -n 40 "$BUILD_LOG" >&2
  fail "docker build"
fi
size=$(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}')
log "built $IMAGE in $(( $(date +%s) - started )) s, $size"

# ---------------------------------------------------------------- 2. what the image holds
docker run --rm --network host --entrypoint sh "$IMAGE" -c \
  'for tool in gcc cc c++ clang make; do if command -v "$tool"; then exit 1; fi; done' \
  || fail "the runtime image holds a compiler"
[ "$(docker run --rm --network host --entrypoint id "$IMAGE" -u)" != 0 ] || fail "the image runs as root"
docker run --rm --network host --entrypoint python3 "$IMAGE" -c \
  'import importlib.util, uforge_mock; assert importlib.util.find_spec("app") is None' \
  || fail "the image does not hold the package uforge_mock alone"
docker run --rm --network host "$IMAGE" uforge-mock --help >/dev/null \
  || fail "uforge-mock --help in the image"

# ---------------------------------------------------------------- 3. SQLite in a volume
port=$(free_port)
started=$(date +%s)
VOLUME=$(docker volume create) || fail "docker volume create"
cid=$(run_container "$port" --volume "$VOLUME:/data") || fail "docker run"
CONTAINERS+=("$cid")
wait_healthy "$cid"
log "SQLite container healthy after $(( $(date +%s) - started )) s"
blackbox "$port"
docker rm -f --volumes "$cid" >/dev/null

# ---------------------------------------------------------------- 4. two containers, one PostgreSQL
if [ -n "${UFORGE_MOCK_TEST_DATABASE_URL:-}" ]; then
  database=$UFORGE_MOCK_TEST_DATABASE_URL
else
  coproc PG { exec "$PYTHON" -m tests.postgres; }
  PG_PID=$!
  PG_INPUT=${PG[1]}
  read -r database <&"${PG[0]}" || fail "the throwaway PostgreSQL cluster did not start"
fi
first=$(free_port); second=$(free_port)
started=$(date +%s)
shared=()
for spec in "$first 1" "$second 2"; do
  read -r port workers <<< "$spec"
  cid=$(run_container "$port" -e UFORGE_MOCK_DATABASE_URL="$database" -e UFORGE_MOCK_WORKERS="$workers") \
    || fail "docker run"
  CONTAINERS+=("$cid"); shared+=("$cid")
done
for cid in "${shared[@]}"; do wait_healthy "$cid"; done
log "two PostgreSQL containers healthy after $(( $(date +%s) - started )) s"
blackbox "$first"
blackbox "$second"
log "PASS"

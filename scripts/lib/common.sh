# shellcheck shell=bash disable=SC2034  # SC2034: the variables are used by the scripts that source this file
# Shared shell helpers for scripts/demo and .ci/run: paths, pins, logging, free ports,
# process bookkeeping with cleanup traps. Source it; it defines functions and variables only.

ROOT="${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
LOCAL_DIR="${ECS_RERUN_LOCAL_DIR:-$ROOT/.local}"
LS_VENV="$LOCAL_DIR/localstack-venv"
TOOLS_VENV="$LOCAL_DIR/tools-venv"
MOTO_VENV="$LOCAL_DIR/moto-venv"

# Pins: the versions the local harness was verified with (newer ones broke it).
LOCALSTACK_PIN="localstack-core[runtime]==2026.3.0"
LOCALSTACK_VERSION="2026.3.0"
LOCALSTACK_EXTRA_PINS=("cbor2<5.8" "cryptography>=45,<46" "pyopenssl==25.1.0" "service_identity")
BOTO3_PIN="boto3"  # whatever localstack-core resolves; the harness only needs the client
# ECS API model: scripts/ecs-model extracts RunTask's input shapes from exactly this botocore (the one
# localstack-core resolved when it was pinned; a different one is installed into .local/botocore-<pin>/).
BOTOCORE_MODEL_PIN="1.42.72"
CARGO_LAMBDA_VERSION="1.9.2"
ZIGLANG_VERSION="0.17.1"
# JSONata without the JVM (scripts/local/README.md): the pure-Python engine the shim gives LocalStack,
# and the reference JavaScript implementation its test cross-checks it with (.local/jsonata-js/).
JSONATA_PYTHON_VERSION="0.7.1"
JSONATA_PYTHON_PIN="jsonata-python==$JSONATA_PYTHON_VERSION"
JSONATA_JS_VERSION="2.0.6"
# moto (PyPI): the DynamoDB emulator for the watchdog's FactsTable (LocalStack's DynamoDB downloads
# Java 21 and DynamoDB Local at start, which this machine cannot reach). Its server extra brings
# moto_server (Flask); dynamodb brings py-partiql-parser.
MOTO_VERSION="5.2.5"
MOTO_PIN="moto[server,dynamodb]==$MOTO_VERSION"

# Disk a scripts/test run writes from a fresh clone into target/ and .local/, in GiB, measured
# (README "Disk"): the full run, and --rust-only.
DISK_FULL_GIB=8
DISK_RUST_ONLY_GIB=3

log()  { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }

# free_port: print a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
  python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

# Process bookkeeping: every background process we start is recorded; cleanup stops exactly those
# (their process groups, since they were started with setsid), never by name.
STARTED_PIDS=()
track_pid() { STARTED_PIDS+=("$1"); }

stop_started() {
  local pid
  for pid in "${STARTED_PIDS[@]:-}"; do
    [ -n "$pid" ] || continue
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  local deadline=$((SECONDS + 10))
  for pid in "${STARTED_PIDS[@]:-}"; do
    [ -n "$pid" ] || continue
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  STARTED_PIDS=()
}

# start_bg NAME LOGFILE CMD...: start CMD in its own session (process group), record its pid.
# The pid is left in $LAST_PID.
start_bg() {
  local name="$1" logfile="$2"; shift 2
  setsid "$@" >"$logfile" 2>&1 < /dev/null &
  LAST_PID=$!
  track_pid "$LAST_PID"
  log "started $name (pid $LAST_PID, log $logfile)"
}

# wait_http URL TIMEOUT_S [PID]: wait until URL answers (any HTTP status) or PID dies / timeout.
wait_http() {
  local url="$1" pid="${3:-}" deadline=$((SECONDS + $2))
  while [ $SECONDS -lt $deadline ]; do
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 2; fi
    if curl -s -o /dev/null --max-time 2 "$url"; then return 0; fi
    sleep 0.3
  done
  return 1
}

# start_localstack LOGFILE [SFN_MOCK_CONFIG]: start LocalStack (pinned venv) on a free 127.0.0.1 port
# and wait until it is ready. Sets LS_PORT, LS_PID and LS_ENDPOINT. Uses start_bg (stopped by
# stop_started). The emulator settings are the verified ones (loopback, no Docker, eager services).
start_localstack() {
  local logfile="$1" mock="${2:-}" deadline
  LS_PORT="$(free_port)"
  LS_ENDPOINT="http://127.0.0.1:$LS_PORT"
  log "starting LocalStack on 127.0.0.1:$LS_PORT"
  # its own temp folder: in host mode LocalStack keeps state (e.g. CloudWatch's metrics.db) under
  # $TMPDIR/localstack and clears it at start and stop, so two instances must not share it
  local ls_tmp="${logfile%.log}.tmp"
  rm -rf "$ls_tmp" && mkdir -p "$ls_tmp"
  start_bg localstack "$logfile" env TMPDIR="$ls_tmp" \
    GATEWAY_LISTEN="127.0.0.1:$LS_PORT" LOCALSTACK_HOST="127.0.0.1:$LS_PORT" \
    SERVICES=stepfunctions,sns,sqs,events,scheduler,cloudformation,iam,sts,s3,logs,cloudwatch,secretsmanager EAGER_SERVICE_LOADING=1 \
    ${mock:+SFN_MOCK_CONFIG="$mock"} DISABLE_EVENTS=1 SKIP_SSL_CERT_DOWNLOAD=1 \
    "$LS_VENV/bin/python" -m localstack.runtime.main
  LS_PID=$LAST_PID
  if ! wait_http "$LS_ENDPOINT/_localstack/health" 120 "$LS_PID"; then
    tail -n 40 "$logfile" >&2 || true
    die "LocalStack did not become ready (log: $logfile)"
  fi
  deadline=$((SECONDS + 60))
  until grep -q "Ready\." "$logfile" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { tail -n 40 "$logfile" >&2; die "LocalStack never printed Ready. (log: $logfile)"; }
    sleep 0.3
  done
}

# start_moto LOGFILE: start moto_server (pinned venv) on a free 127.0.0.1 port and wait until it
# answers. Sets MOTO_PORT, MOTO_PID and MOTO_ENDPOINT. Uses start_bg (stopped by stop_started).
start_moto() {
  local logfile="$1"
  MOTO_PORT="$(free_port)"
  MOTO_ENDPOINT="http://127.0.0.1:$MOTO_PORT"
  log "starting moto_server on 127.0.0.1:$MOTO_PORT"
  start_bg moto "$logfile" "$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT"
  MOTO_PID=$LAST_PID
  if ! wait_http "$MOTO_ENDPOINT/moto-api/" 60 "$MOTO_PID"; then
    tail -n 40 "$logfile" >&2 || true
    die "moto_server did not become ready (log: $logfile)"
  fi
}

# check_disk GIB: fail with one line unless the filesystem of the cargo target directory has room for
# GIB GiB, less what target/ and .local/ already hold (a warm checkout rebuilds little).
check_disk() {
  local need_kib=$(($1 * 1024 * 1024)) target="${CARGO_TARGET_DIR:-$ROOT/target}" have_kib held_kib
  mkdir -p "$target" "$LOCAL_DIR"
  have_kib="$(df -Pk "$target" | awk 'NR == 2 { print $4 }')"
  held_kib="$(du -sk "$target" "$LOCAL_DIR" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')"
  need_kib=$((need_kib - held_kib))
  [ "$need_kib" -gt 0 ] || return 0
  if [ "$have_kib" -lt "$need_kib" ]; then
    printf 'error: %s GiB free on the filesystem of %s, a run needs about %s GiB more (README "Disk"); free some, or point CARGO_TARGET_DIR elsewhere\n' \
      "$(awk -v k="$have_kib" 'BEGIN { printf "%.1f", k / 1048576 }')" "$target" \
      "$(awk -v k="$need_kib" 'BEGIN { printf "%.1f", k / 1048576 }')" >&2
    return 1
  fi
}

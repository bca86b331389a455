#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Install the local toolchain for the demo / scenario tests, pinned and idempotent:
#   .local/localstack-venv  LocalStack core (host mode) + boto3, on pyenv's Python >= 3.12, and the
#                           JSONata shim (scripts/local/jsonata_shim + jsonata-python, loaded by a .pth)
#   .local/tools-venv       cargo-lambda + ziglang (from PyPI wheels; any python3 >= 3.8)
#   .local/jsonata-js       the reference JSONata (npm), for the shim's cross-check only
#   .local/moto-venv        moto_server (DynamoDB for the watchdog's FactsTable; any python3 >= 3.9)
# Usage: scripts/lib/install.sh [localstack|tools|jsonata-js|moto|all]   (default all)
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

find_python_312() {
  local root="" v
  if command -v pyenv >/dev/null 2>&1; then root="$(pyenv root 2>/dev/null || true)"; fi
  [ -n "$root" ] || root="${PYENV_ROOT:-$HOME/.pyenv}"
  for v in 3.13 3.12; do
    if [ -n "$root" ] && [ -d "$root/versions" ]; then
      local d best=""
      for d in "$root/versions/$v".*; do
        [ -x "$d/bin/python3" ] && best="$d"
      done
      if [ -n "$best" ]; then echo "$best/bin/python3"; return 0; fi
    fi
  done
  for v in python3.13 python3.12; do
    if command -v "$v" >/dev/null 2>&1; then command -v "$v"; return 0; fi
  done
  return 1
}

# dist_version VENV DIST: the installed version of DIST in VENV, or nothing.
dist_version() {
  "$1/bin/python" -c 'import importlib.metadata as m, sys; print(m.version(sys.argv[1]))' "$2" 2>/dev/null || true
}

install_localstack() {
  install_localstack_core
  install_jsonata_shim
}

install_localstack_core() {
  if [ -x "$LS_VENV/bin/python" ] \
     && [ "$(dist_version "$LS_VENV" localstack-core)" = "$LOCALSTACK_VERSION" ] \
     && "$LS_VENV/bin/python" -c 'import boto3' 2>/dev/null; then
    log "LocalStack $LOCALSTACK_VERSION already installed in $LS_VENV"
    return 0
  fi
  local py
  py="$(find_python_312)" || die "LocalStack $LOCALSTACK_VERSION needs Python >= 3.12: none found (looked in \$(pyenv root)/versions/3.13.*, 3.12.* and PATH python3.13/python3.12). Install one, e.g. 'pyenv install 3.12'."
  log "installing LocalStack $LOCALSTACK_VERSION into $LS_VENV (python: $py)"
  rm -rf "$LS_VENV"
  "$py" -m venv "$LS_VENV"
  "$LS_VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$LS_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "$LOCALSTACK_PIN" "${LOCALSTACK_EXTRA_PINS[@]}" "$BOTO3_PIN"
  log "LocalStack installed: $(dist_version "$LS_VENV" localstack-core)"
}

# The JSONata shim (scripts/local/README.md, "JSONata without the JVM"): jsonata-python, a copy of
# scripts/local/jsonata_shim in the venv's site-packages and the .pth line that loads it.
SHIM_SRC="$ROOT/scripts/local/jsonata_shim"
SHIM_PTH_NAME="ecs_rerun_jsonata_shim.pth"
SHIM_PTH_LINE="import jsonata_shim; jsonata_shim.install()"

ls_site_packages() {
  "$LS_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))'
}

# shim_digest DIR: names and contents of the shim's modules in DIR (the installed copy or the source).
shim_digest() {
  (cd "$1" 2>/dev/null && ls -1 -- *.py && cat -- *.py) | sha256sum
}

# shim_current SITE: the installed shim is the source's copy, its .pth line as written here.
shim_current() {
  local site="$1"
  [ "$(dist_version "$LS_VENV" jsonata-python)" = "$JSONATA_PYTHON_VERSION" ] \
    && [ -f "$site/$SHIM_PTH_NAME" ] && [ "$(cat "$site/$SHIM_PTH_NAME")" = "$SHIM_PTH_LINE" ] \
    && [ "$(shim_digest "$SHIM_SRC")" = "$(shim_digest "$site/jsonata_shim")" ]
}

install_jsonata_shim() {
  local site
  site="$(ls_site_packages)"
  if shim_current "$site"; then
    log "JSONata shim + $JSONATA_PYTHON_PIN already installed in $LS_VENV"
    return 0
  fi
  log "installing the JSONata shim + $JSONATA_PYTHON_PIN into $LS_VENV"
  if [ "$(dist_version "$LS_VENV" jsonata-python)" != "$JSONATA_PYTHON_VERSION" ]; then
    "$LS_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$JSONATA_PYTHON_PIN"
  fi
  rm -rf "$site/jsonata_shim"
  mkdir -p "$site/jsonata_shim"
  cp "$SHIM_SRC"/*.py "$site/jsonata_shim/"
  printf '%s\n' "$SHIM_PTH_LINE" >"$site/$SHIM_PTH_NAME"
  shim_current "$site" || die "the JSONata shim in $site does not match $SHIM_SRC after installing it"
}

install_jsonata_js() {
  local dir="$LOCAL_DIR/jsonata-js" have
  have="$(node -p 'require(process.argv[1]).version' "$dir/node_modules/jsonata/package.json" 2>/dev/null || true)"
  if [ "$have" = "$JSONATA_JS_VERSION" ]; then
    log "jsonata (npm) $JSONATA_JS_VERSION already installed in $dir"
    return 0
  fi
  command -v npm >/dev/null 2>&1 || die "npm is needed for the reference jsonata $JSONATA_JS_VERSION (node >= 18)"
  log "installing jsonata (npm) $JSONATA_JS_VERSION into $dir"
  mkdir -p "$dir"
  npm install --silent --no-audit --no-fund --save-exact --prefix "$dir" "jsonata@$JSONATA_JS_VERSION"
}

install_tools() {
  if [ -x "$TOOLS_VENV/bin/cargo-lambda" ] \
     && "$TOOLS_VENV/bin/cargo-lambda" lambda --version 2>/dev/null | grep -q "$CARGO_LAMBDA_VERSION" \
     && [ "$("$TOOLS_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("ziglang"))' 2>/dev/null)" = "$ZIGLANG_VERSION" ]; then
    log "cargo-lambda $CARGO_LAMBDA_VERSION + ziglang $ZIGLANG_VERSION already installed in $TOOLS_VENV"
    return 0
  fi
  log "installing cargo-lambda $CARGO_LAMBDA_VERSION + ziglang $ZIGLANG_VERSION into $TOOLS_VENV"
  rm -rf "$TOOLS_VENV"
  python3 -m venv "$TOOLS_VENV"
  "$TOOLS_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "cargo-lambda==$CARGO_LAMBDA_VERSION" "ziglang==$ZIGLANG_VERSION"
  log "cargo-lambda installed: $("$TOOLS_VENV/bin/cargo-lambda" lambda --version)"
}

install_moto() {
  if [ -x "$MOTO_VENV/bin/moto_server" ] \
     && [ "$(dist_version "$MOTO_VENV" moto)" = "$MOTO_VERSION" ] \
     && "$MOTO_VENV/bin/python" -c 'import flask, py_partiql_parser' 2>/dev/null; then
    log "moto $MOTO_VERSION already installed in $MOTO_VENV"
    return 0
  fi
  log "installing $MOTO_PIN into $MOTO_VENV"
  rm -rf "$MOTO_VENV"
  python3 -m venv "$MOTO_VENV"
  "$MOTO_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$MOTO_PIN"
  log "moto installed: $(dist_version "$MOTO_VENV" moto)"
}

mkdir -p "$LOCAL_DIR"
case "${1:-all}" in
  localstack) install_localstack ;;
  tools) install_tools ;;
  jsonata-js) install_jsonata_js ;;
  moto) install_moto ;;
  all) install_localstack; install_tools; install_jsonata_js; install_moto ;;
  *) die "usage: $0 [localstack|tools|jsonata-js|moto|all]" ;;
esac

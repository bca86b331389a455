#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Install the local toolchain for the demo / scenario tests, pinned and idempotent:
#   .local/localstack-venv  LocalStack core (host mode) + boto3, on pyenv's Python >= 3.12
#   .local/tools-venv       cargo-lambda + ziglang (from PyPI wheels; any python3 >= 3.8)
# Usage: scripts/lib/install.sh [localstack|tools|all]   (default all)
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

install_localstack() {
  if [ -x "$LS_VENV/bin/python" ] \
     && [ "$("$LS_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("localstack-core"))' 2>/dev/null)" = "$LOCALSTACK_VERSION" ] \
     && "$LS_VENV/bin/python" -c 'import boto3' 2>/dev/null; then
    log "LocalStack $LOCALSTACK_VERSION already installed in $LS_VENV"
    return 0
  fi
  local py
  py="$(find_python_312)" || die "LocalStack $LOCALSTACK_VERSION needs Python >= 3.12: none found (looked in \$(pyenv root)/versions/3.13.*, 3.12.* and PATH python3.13/python3.12). Install one, e.g. 'pyenv install 3.12'."
  log "installing LocalStack $LOCALSTACK_VERSION into $LS_VENV (python: $py; ~40 s, ~500 MB)"
  rm -rf "$LS_VENV"
  "$py" -m venv "$LS_VENV"
  "$LS_VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$LS_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "$LOCALSTACK_PIN" "${LOCALSTACK_EXTRA_PINS[@]}" "$BOTO3_PIN"
  log "LocalStack installed: $("$LS_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("localstack-core"))')"
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

mkdir -p "$LOCAL_DIR"
case "${1:-all}" in
  localstack) install_localstack ;;
  tools) install_tools ;;
  all) install_localstack; install_tools ;;
  *) die "usage: $0 [localstack|tools|all]" ;;
esac

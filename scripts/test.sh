#!/usr/bin/env bash
# The one command that runs every test: installs what is missing (idempotent, quick when present), then lints,
# builds and tests. Works on a fresh Debian machine as root, non-interactive (CI=true, no stdin).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
export CI="${CI:-true}"
export DEBIAN_FRONTEND=noninteractive
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export LC_NUMERIC=C
exec </dev/null

T_ALL=$(date +%s%N)
# step NAME COMMAND...: run a step and print how long it took
step() {
  local name=$1 t0 rc=0
  shift
  echo "==> $name"
  t0=$(date +%s%N)
  "$@" || rc=$?
  printf '[time] %-44s %7.1fs%s\n' "$name" "$(( ($(date +%s%N) - t0) / 1000000 ))e-3" \
    "$([ "$rc" -eq 0 ] || echo "  FAILED (exit $rc)")"
  return "$rc"
}

# ---------------------------------------------------------------- prerequisites
install_system_packages() {
  local pkgs=()
  [ -x /usr/bin/chromium ] || pkgs+=(chromium chromium-driver fonts-ipafont-gothic)
  command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
  command -v npm >/dev/null 2>&1 || pkgs+=(npm)
  if [ "${#pkgs[@]}" -eq 0 ]; then
    echo "system packages: all present"
    return 0
  fi
  echo "installing: ${pkgs[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
}

install_python_packages() {
  # aiosmtpd: the real SMTP server of the email tests; websockets + jsonschema: the protocol-doc client.
  if python3 -c 'import aiosmtpd, websockets, jsonschema' >/dev/null 2>&1; then
    echo "python packages: present"
    return 0
  fi
  local pip=(python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore)
  "${pip[@]}" aiosmtpd websockets jsonschema \
    || "${pip[@]}" --break-system-packages aiosmtpd websockets jsonschema
}

install_node_modules() {
  local dir=$ROOT/tests/browser
  if [ -d "$dir/node_modules" ] && [ -f "$dir/node_modules/.package-lock.json" ] \
    && [ ! "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "tests/browser/node_modules: up to date"
    return 0
  fi
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
}

step "system packages (chromium, fonts, node)" install_system_packages
step "python packages (aiosmtpd, websockets, jsonschema)" install_python_packages
step "npm ci tests/browser" install_node_modules

# ---------------------------------------------------------------- lint
step "cargo fmt --check" cargo fmt --all -- --check
step "cargo clippy" cargo clippy --all-targets --locked -- -D warnings

# ---------------------------------------------------------------- tests
# The integration tests start the server on port 0 and run `node --test tests/browser/` with SHOPKEEP_URL set.
if command -v cargo-nextest >/dev/null 2>&1; then
  step "cargo nextest run" cargo nextest run --locked --no-fail-fast
else
  step "cargo test" cargo test --locked
fi

# ---------------------------------------------------------------- shopkeep CLI checks
# The binary the test build made (the integration tests start it): `cargo run` would build it again, and every
# dependency whose features the dev-dependencies change with it.
shopkeep() {
  local built="${CARGO_TARGET_DIR:-$ROOT/target}/debug/shopkeep"
  if [ -x "$built" ]; then
    "$built" "$@"
  else
    cargo run --locked --quiet -- "$@"
  fi
}
# The shipped finders must pass validation against the shipped catalog.
step "shopkeep check flows" shopkeep check flows
# Every scripted conversation passes, covers every question, option and edge, and shows the recorded picks.
step "shopkeep test --coverage --golden" shopkeep test --coverage --min-coverage 100 --golden

printf '[time] %-44s %7.1fs\n' "total" "$(( ($(date +%s%N) - T_ALL) / 1000000 ))e-3"

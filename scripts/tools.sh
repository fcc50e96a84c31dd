# Shared by scripts/run and scripts/test: installs whatever the build needs and is missing,
# skipping anything already present at the right version. Source it; do not run it.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_LEPTOS_VERSION="0.3.10"   # 0.3.11 needs rustc 1.96+
export PATH="$HOME/.cargo/bin:$ROOT/end2end/node_modules/.bin:$PATH"

log() { printf '\n==> %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_wasm_target() {
  if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    echo "wasm32-unknown-unknown target: present"
  else
    log "Adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

# `cargo install`, unoptimised: the tools built this way (cargo-leptos, wasm-bindgen-cli) do their
# work here in a second or two even so, since rustc and wasm-opt do the heavy part, and they build
# in a fraction of the time. cargo-leptos took 7.6 min alone, against 12 to 18 optimised without
# LTO and 16 with its own fat-LTO profile; on a fresh machine it builds beside the server
# (scripts/run), which took `./scripts/run` from 32 to 22.5 minutes there.
cargo_install_unoptimised() {
  CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install "$@"
}

ensure_cargo_leptos() {
  if cargo leptos --version 2>/dev/null | grep -qw "$CARGO_LEPTOS_VERSION"; then
    echo "cargo-leptos $CARGO_LEPTOS_VERSION: present"
  else
    log "Installing cargo-leptos $CARGO_LEPTOS_VERSION (several minutes on 2 cores, once)"
    cargo_install_unoptimised --locked --features no_downloads "cargo-leptos@$CARGO_LEPTOS_VERSION"
  fi
}

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
ensure_wasm_bindgen() {
  local want
  want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")
  if [ -z "$want" ]; then
    echo "cannot find the wasm-bindgen version in Cargo.lock" >&2
    return 1
  fi
  if wasm-bindgen --version 2>/dev/null | grep -qw "$want"; then
    echo "wasm-bindgen-cli $want: present"
  else
    log "Installing wasm-bindgen-cli $want (matches Cargo.lock)"
    cargo_install_unoptimised wasm-bindgen-cli --version "$want"
  fi
}

# Playwright and binaryen (wasm-opt for release builds) come from end2end/package-lock.json.
ensure_node_packages() {
  local stamp="$ROOT/end2end/node_modules/.package-lock.json"
  if [ -f "$stamp" ] && [ "$stamp" -nt "$ROOT/end2end/package-lock.json" ]; then
    echo "node packages: present"
  else
    log "Installing node packages (Playwright test runner, binaryen)"
    (cd "$ROOT/end2end" && npm ci --no-audit --no-fund)
  fi
}

# Debian's Chromium; Playwright never downloads its own browser.
ensure_chromium() {
  if [ -x /usr/bin/chromium ]; then
    echo "chromium: present"
  else
    log "Installing Chromium from Debian's packages"
    as_root apt-get install -y chromium || { as_root apt-get update && as_root apt-get install -y chromium; }
  fi
}

# Runs a command in the environment cargo-leptos compiles with: the server and the WASM compile
# LEPTOS_OUTPUT_NAME and LEPTOS_HASH_FILES in, so a cargo build started outside cargo-leptos with
# the same values is one it finds fresh, and the other way round.
with_leptos_env() {
  LEPTOS_OUTPUT_NAME=coachroom LEPTOS_HASH_FILES=true "$@"
}

# The release server exactly as `cargo leptos build --release` builds it (same flags and
# compiled-in environment), so neither rebuilds the other's binary: about 11 minutes from nothing
# on 2 cores (thin LTO). The benchmarks use it when no binary is given.
build_release_server() {
  (
    cd "$ROOT"
    RUSTFLAGS="--cfg erase_components" with_leptos_env \
      cargo build --release --package=coachroom --bin=coachroom --no-default-features
  )
}

# On a fresh machine the cargo-leptos install takes about 11 minutes, and its crates build one
# after another for long stretches, leaving a core idle. The release builds need nothing from it,
# so they start beside it: the same cargo commands and environment that `cargo leptos build
# --release --split` runs (with_leptos_env; erase_components is Cargo.toml's
# always-erase-components; --emit-relocs is what --split adds to the WASM build), so it finds them
# fresh afterwards. Their output goes to target/prebuild.log; a failure there shows again, in
# full, when cargo-leptos builds.
start_release_prebuild() {
  if cargo leptos --version 2>/dev/null | grep -qw "$CARGO_LEPTOS_VERSION"; then
    return  # nothing to overlap with
  fi
  mkdir -p "$ROOT/target"
  log "Starting the release build beside the tool installs (log: target/prebuild.log)"
  # Its own process group (set -m), so that Ctrl-C or a failed install stops it too (the trap)
  # instead of leaving it holding the build directory's lock.
  set -m
  (
    cd "$ROOT"
    build_release_server
    RUSTFLAGS="-Clink-args=--emit-relocs --cfg erase_components" with_leptos_env \
      cargo build --package=frontend --lib --target-dir=target/front \
      --target=wasm32-unknown-unknown --no-default-features --profile=wasm-release
  ) > "$ROOT/target/prebuild.log" 2>&1 &
  PREBUILD_PID=$!
  set +m
  trap 'kill -TERM -- "-$PREBUILD_PID" 2>/dev/null' EXIT
  trap 'exit 130' INT TERM
}

# Waits for start_release_prebuild's builds, whatever their outcome (see there).
wait_release_prebuild() {
  if [ -n "${PREBUILD_PID:-}" ]; then
    log "Waiting for the release build started beside the tool installs"
    wait "$PREBUILD_PID" || echo "the early release build failed; cargo-leptos builds again and shows why"
    trap - EXIT INT TERM
  fi
}

ensure_build_tools() {
  log "Checking tools"
  ensure_wasm_target
  ensure_cargo_leptos
  ensure_wasm_bindgen
  ensure_node_packages
}

# A Python venv at $1 with exactly the pinned packages of requirements file $2, made again only
# when the file changed since (a marker file records the last install).
ensure_python_venv() {
  local venv="$1" requirements="$2"
  if [ -x "$venv/bin/python" ] && [ "$venv/.requirements" -nt "$requirements" ]; then
    echo "$(basename "$venv"): present"
    return
  fi
  log "Installing $(basename "$requirements") into $venv"
  if ! python3 -m venv --clear "$venv" 2>/dev/null; then
    # Debian ships venv (ensurepip) separately.
    as_root apt-get install -y python3-venv \
      || { as_root apt-get update && as_root apt-get install -y python3-venv; }
    python3 -m venv --clear "$venv"
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  touch "$venv/.requirements"
}

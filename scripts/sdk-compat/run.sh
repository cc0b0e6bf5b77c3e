#!/usr/bin/env bash
# Official client compatibility: run the official Genesys Cloud Python SDK
# (PureCloudPlatformClientV2, pinned in requirements.txt) against `dactl sandbox serve`.
#
# Creates a virtualenv in scripts/sdk-compat/.venv (gitignored) on first use, builds dactl,
# starts the emulator on a free loopback port with its own client id and secret, runs
# compat.py (one line per check), and always stops the emulator. Exits non-zero when a check
# fails. Needs python3 (with venv) and cargo; the packages come from PyPI through pip.
#
#   scripts/sdk-compat/run.sh
#
# DACTL_BIN=/path/to/dactl skips the build.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$here/.venv"

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. The SDK, in its own virtualenv; reinstalled when requirements.txt changes.
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    echo "== installing the official Python SDK into $venv" >&2
    rm -rf "$venv"
    if ! python3 -m venv "$venv" 2>"$work/venv.err"; then
        # Debian's python3 needs its venv package; install it when we may.
        if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
            echo "== installing python3-venv" >&2
            apt-get update -qq >/dev/null && apt-get install -y -qq python3-venv >/dev/null
            rm -rf "$venv"
            python3 -m venv "$venv"
        else
            cat "$work/venv.err" >&2
            echo "error: \`python3 -m venv\` failed" >&2
            echo "hint: install python3-venv (Debian, Ubuntu), then run this again" >&2
            exit 1
        fi
    fi
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        --no-input -r "$here/requirements.txt"
    echo "$want" >"$stamp"
fi

# 2. dactl.
if [[ -z "${DACTL_BIN:-}" ]]; then
    echo "== building dactl" >&2
    (cd "$root" && cargo build --quiet --locked -p dactl)
    DACTL_BIN="$root/target/debug/dactl"
fi

# 3. The emulator on a free port (port 0), with credentials of our own.
client_id="sdk-compat"
client_secret="sdk-compat-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
DACTL_HOME="$work/home" "$DACTL_BIN" --quiet sandbox serve --addr 127.0.0.1:0 \
    --client-id "$client_id" --client-secret "$client_secret" \
    >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!

base_url=""
for _ in $(seq 1 300); do
    base_url="$(sed -n 's/^base URL: *//p' "$work/serve.out")"
    [[ -n "$base_url" ]] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "error: dactl sandbox serve exited early:" >&2
        cat "$work/serve.err" >&2
        exit 1
    fi
    sleep 0.1
done
if [[ -z "$base_url" ]]; then
    echo "error: dactl sandbox serve printed no base URL within 30 s" >&2
    exit 1
fi
printed_id="$(sed -n 's/^client id: *//p' "$work/serve.out")"
printed_secret="$(sed -n 's/^client secret: *//p' "$work/serve.out")"
if [[ "$printed_id" != "$client_id" || "$printed_secret" != "$client_secret" ]]; then
    echo "error: dactl sandbox serve did not print the credentials it was given" >&2
    exit 1
fi
echo "== official Python SDK $(sed -n 's/^PureCloudPlatformClientV2==//p' "$here/requirements.txt") against $base_url" >&2

# 4. The checks.
"$venv/bin/python" "$here/compat.py" "$base_url" "$client_id" "$client_secret"

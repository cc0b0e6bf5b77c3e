#!/usr/bin/env bash
# The benchmarks in one command: dactl side by side with the official Python SDK, and the bulk
# change at the rate limit. Builds the release binary, installs the pinned SDK into
# bench/.venv, runs bench/bench.py against emulators on 127.0.0.1, prints the table and writes
# bench/RESULTS.md. Arguments go to bench.py (e.g. `--runs 7`, `--only single,list`).
# Takes about ten minutes; not run in CI. Loopback only; every loop is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/time ]; then
    echo "== installing GNU time (peak RSS of each process)" >&2
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq time >/dev/null
    else
        sudo apt-get update -qq && sudo apt-get install -y -qq time >/dev/null
    fi
fi

echo "== building the release binary" >&2
cargo build --release --locked -p dactl

if [ ! -x bench/.venv/bin/python ]; then
    echo "== creating bench/.venv" >&2
    python3 -m venv bench/.venv
fi
if ! cmp -s bench/requirements.txt bench/.venv/.requirements.txt 2>/dev/null; then
    echo "== installing the official SDK (bench/requirements.txt)" >&2
    bench/.venv/bin/pip install --quiet --disable-pip-version-check -r bench/requirements.txt
    cp bench/requirements.txt bench/.venv/.requirements.txt
fi

exec bench/.venv/bin/python bench/bench.py --dactl target/release/dactl "$@"

#!/usr/bin/env bash
# Emulator scale benchmark (issue 4 "Scale"): prints the two figures.
#
#   1. listing: `dactl sandbox serve --actions N` (default 10,000), then the time to list every
#      action with includeConfig=true, page after page, at pageSize 500, 100 and 25;
#   2. rate: a fixed request rate (default 1,000/s for 15 s, no injected latency) from a second
#      process on loopback, with achieved rate, p50/p90/p99/max latency and errors.
#
# The load generator is `crates/genesys-emulator/examples/bench_client.rs` (open loop: latency
# counts from each request's scheduled send time). Both run as release builds; the emulator
# and the generator share this machine's cores. Loopback only; bounded in time.
#
#   scripts/emulator-bench/run.sh [--actions N] [--rate R] [--seconds S] [--seed S]
#
# Exits 1 when the rate target (R/s with p99 < 20 ms and no errors) is not met.
# DACTL_BIN=/path/to/dactl measures that binary instead of building one.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"

actions=10000 rate=1000 seconds=15 seed=42
while [[ $# -gt 0 ]]; do
    case "$1" in
        --actions) actions="$2"; shift 2 ;;
        --rate) rate="$2"; shift 2 ;;
        --seconds) seconds="$2"; shift 2 ;;
        --seed) seed="$2"; shift 2 ;;
        *) echo "error: unknown argument \`$1\`" >&2
           echo "hint: run.sh [--actions N] [--rate R] [--seconds S] [--seed S]" >&2
           exit 2 ;;
    esac
done

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

echo "== building dactl and the load generator (release)" >&2
if [[ -z "${DACTL_BIN:-}" ]]; then
    (cd "$root" && cargo build --quiet --release --locked -p dactl)
    DACTL_BIN="$root/target/release/dactl"
fi
(cd "$root" && cargo build --quiet --release --locked -p genesys-emulator --example bench_client)
dactl="$DACTL_BIN"
client="$root/target/release/examples/bench_client"

started=$(date +%s%N)
DACTL_HOME="$work/home" "$dactl" --quiet sandbox serve --addr 127.0.0.1:0 \
    --actions "$actions" --seed "$seed" >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
base_url=""
for _ in $(seq 1 600); do
    base_url="$(sed -n 's/^base URL: *//p' "$work/serve.out")"
    [[ -n "$base_url" ]] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "error: dactl sandbox serve exited early:" >&2
        cat "$work/serve.err" >&2
        exit 1
    fi
    sleep 0.05
done
[[ -n "$base_url" ]] || { echo "error: the emulator printed no base URL within 30 s" >&2; exit 1; }
ready_ms=$(( ($(date +%s%N) - started) / 1000000 ))
id="$(sed -n 's/^client id: *//p' "$work/serve.out")"
secret="$(sed -n 's/^client secret: *//p' "$work/serve.out")"

echo "emulator: dactl sandbox serve --actions $actions --seed $seed on $base_url, ready in ${ready_ms} ms"
echo "machine:  $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$client" list "$base_url" "$id" "$secret"
# CPU time of the emulator process (user + system, in clock ticks).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
status=0
before="$(cpu_ticks)"
"$client" rate "$base_url" "$id" "$secret" --rate "$rate" --seconds "$seconds" || status=$?
used_ms=$(( ($(cpu_ticks) - before) * 1000 / $(getconf CLK_TCK) ))
requests=$(( rate * seconds ))
echo "emulator CPU during the rate run: ${used_ms} ms for about ${requests} requests ($(( used_ms * 1000 / requests )) µs/request)"
rss_kb="$(sed -n 's/^VmHWM: *\([0-9]*\) kB/\1/p' "/proc/$server_pid/status" 2>/dev/null || true)"
[[ -n "$rss_kb" ]] && echo "emulator peak memory (VmHWM): $((rss_kb / 1024)) MB"
exit "$status"

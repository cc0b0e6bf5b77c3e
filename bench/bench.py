"""dactl against the official Python SDK, side by side, on the emulator. Run by bench/run.sh.

Cases (each measured as whole processes: wall time and peak RSS, median of --runs runs, the
two tools' runs interleaved so that they share the machine's noise):

1. one action's timeout, dactl vs bench/sdk_set_timeout.py (emulator: 25 ms added latency,
   the platform's 300 requests/min per token, 5,000 generated actions); dactl three ways:
   as from the second command on (token kept, action seen and unchanged since), with the
   action changed by someone else since it saw it, and as a first command (new DACTL_HOME);
2. listing 5,000 actions with their timeouts, dactl vs bench/sdk_list.py (same emulator);
3. a bulk change of 1,000 actions, each with both templates, at 3,000 requests/min
   (emulator: 20 ms added latency and a 3,000/min limit; dactl --rate 3000, default
   concurrency and verification): requests per changed action, achieved rate as a
   percentage of the limit, the busiest 60 s window, 429s, failures, wall time, peak RSS;
   once with the emulator's default realism settings (`bulk`: PATCH answered with the full
   action, 409 conflicts) and once with the pessimistic ones (`bulk-bare`: `--patch-response
   bare --conflict-status 400`, a PATCH answered without config);
4. a bulk change of 1,000 actions with `--tokens 4` at 300 requests/min per token, against an
   emulator whose limit (300/min, 20 ms latency) counts per access token and against one whose
   limit counts per OAuth client (genesys-api.md U19): requests per changed action, achieved
   rate (of 1,200/min and of 300/min), 429s, tokens taken, whether the pool fell back to one
   shared limiter, failures, wall time, peak RSS;
5. startup: `dactl --version` and `dactl runs list` (no network).

With `--only` naming some cases, the sections of bench/RESULTS.md that they produce replace
those of the same title and the others are kept.

Every run is checked, not only timed: after each write the emulator's stored action must
equal the one before in every field but the timeout (templates included) and show the new
timeout; listings must print every action. The emulator's request journal gives the request
counts and the sequential round trips (the longest chain of requests each sent after the
previous one was answered; with a fixed added latency that is unambiguous).

Prints a table and writes bench/RESULTS.md. Uses only the standard library.
"""

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CLIENT_ID = "dactl-sandbox"
CLIENT_SECRET = "sandbox-secret-not-for-production"
SINGLE_ACTION = "Create Case"  # a regular action with both templates (1.8 KB)
OTHER_ACTION = "Create Incident"  # another of the same shape (1.7 KB), for the script
BULK_ACTIONS = 1000
LIST_ACTIONS = 5000
TARGET_BULK = 47  # not among the generated timeouts, so every bulk action changes
# The emulator's pessimistic realism settings (a PATCH answered without config, a stale
# version refused with 400): the bulk case is measured under them too.
BARE_FLAGS = ("--patch-response", "bare", "--conflict-status", "400")


# --- processes ----------------------------------------------------------------------------------

class Measured:
    def __init__(self, wall, rss_kb, code, out, err):
        self.wall, self.rss_kb, self.code, self.out, self.err = wall, rss_kb, code, out, err


GNU_TIME = "/usr/bin/time"


def measure(cmd, env):
    """Run `cmd` to completion: wall time (s) and peak RSS (KiB) of that process alone.

    The peak RSS comes from GNU time, which forks from its own small image: a child forked (or
    vforked) from this Python process would be charged this process's memory as its peak.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as rss:
        start = time.perf_counter()
        p = subprocess.run([GNU_TIME, "-f", "%M", "-o", rss.name, *cmd], env=env, stdout=out,
                           stderr=err, stdin=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        text = rss.read().strip().splitlines()
        rss_kb = int(text[-1]) if text and text[-1].isdigit() else 0
        return Measured(wall, rss_kb, p.returncode,
                        out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))


class Emulator:
    """`dactl sandbox serve` on 127.0.0.1 (an ephemeral port), stopped by its own pid."""

    def __init__(self, dactl, *flags):
        self.proc = subprocess.Popen(
            [dactl, "sandbox", "serve", "--addr", "127.0.0.1:0", *flags],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=base_env(tempfile.mkdtemp()),
        )
        line = self.proc.stdout.readline().decode()
        m = re.search(r"(http://127\.0\.0\.1:\d+)", line)
        if not m:
            self.stop()
            raise SystemExit(f"error: the emulator did not start: {line!r}")
        self.url = m.group(1)

    def admin(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def journal(self):
        return [e for e in self.admin("GET", "/__emulator/requests")]

    def clear_journal(self):
        self.admin("DELETE", "/__emulator/requests")

    def state(self):
        return self.admin("GET", "/__emulator/state")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def base_env(home):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GENESYS", "DACTL_", "PURECLOUD"))}
    env.update({
        "GENESYSCLOUD_OAUTHCLIENT_ID": CLIENT_ID,
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": CLIENT_SECRET,
        "DACTL_HOME": home,
        "NO_COLOR": "1",
    })
    return env


# --- journal analysis ---------------------------------------------------------------------------

def api_requests(journal):
    return [e for e in journal if e["path"].startswith("/api/")]


def round_trips(journal):
    """Longest chain of requests, each received after the previous one was answered."""
    es = sorted(journal, key=lambda e: e["received_us"])
    depth = []
    for i, e in enumerate(es):
        before = [depth[j] for j in range(i) if es[j]["answered_us"] <= e["received_us"]]
        depth.append(1 + max(before, default=0))
    return max(depth, default=0)


def busiest_window(journal, window_us=60_000_000):
    ts = sorted(e["received_us"] for e in journal)
    best, j = 0, 0
    for i, t in enumerate(ts):
        while ts[j] <= t - window_us:
            j += 1
        best = max(best, i - j + 1)
    return best


# --- state checks -------------------------------------------------------------------------------

def find_action(state, action_id):
    for a in state["actions"]:
        if a["id"] == action_id:
            return a
    raise SystemExit(f"error: action {action_id} not in the emulator state")


def sans_timeout(action):
    a = json.loads(json.dumps(action))
    a.pop("version", None)
    (a.get("config") or {}).pop("timeoutSeconds", None)
    return a


def check_write(before, after, seconds):
    """The write changed the timeout (to `seconds`) and nothing else."""
    if (after.get("config") or {}).get("timeoutSeconds") != seconds:
        return f"timeout is {(after.get('config') or {}).get('timeoutSeconds')}, not {seconds}"
    if sans_timeout(before) != sans_timeout(after):
        return "a field other than the timeout changed"
    if after.get("version", 0) <= before.get("version", 0):
        return "the version did not go up"
    return None


# --- cases --------------------------------------------------------------------------------------

def median(xs):
    return statistics.median(xs) if xs else float("nan")


def run_pair(label, runs, emu, make_runs, check):
    """Interleave the tools' runs (one warm-up each, not counted); return per-tool samples."""
    samples = {}
    for i in range(runs + 1):
        for tool, (cmd, env, arg) in make_runs(i).items():
            emu.clear_journal()
            before = emu.state() if check else None
            m = measure(cmd, env)
            journal = emu.journal()
            problem = None
            if m.code != 0:
                problem = f"exit {m.code}: {m.err.strip()[-300:]}"
            elif check:
                problem = check(tool, arg, before, m)
            if problem:
                raise SystemExit(f"error: {label}, {tool}, run {i}: {problem}")
            if i == 0:
                continue  # warm-up: page cache, Python bytecode
            s = samples.setdefault(tool, {"wall": [], "rss": [], "requests": [], "trips": []})
            s["wall"].append(m.wall)
            s["rss"].append(m.rss_kb)
            s["requests"].append(len(api_requests(journal)))
            s["trips"].append(round_trips(journal))
        print(f"  {label}: run {i}/{runs} " + ("(warm-up)" if i == 0 else "")
              + "  ".join(f"{t} {samples[t]['wall'][-1]*1000:.0f} ms" for t in samples if i > 0),
              file=sys.stderr, flush=True)
    return {t: {k: median(v) for k, v in s.items()} for t, s in samples.items()}


def case_single(args, emu, python):
    state = emu.state()
    aid = next(a for a in state["actions"] if a["name"] == SINGLE_ACTION)["id"]
    other = next(a for a in state["actions"] if a["name"] == OTHER_ACTION)["id"]
    # dactl's usual case: the same DACTL_HOME from one command to the next, so the access token
    # is kept and the action was seen by the previous command (nobody else changes it).
    env = base_env(tempfile.mkdtemp(prefix="dactl-bench-"))
    # Token kept, but the action was changed by someone else since dactl last saw it (the
    # script and the first-command runs change it in between).
    changed_env = base_env(tempfile.mkdtemp(prefix="dactl-bench-"))

    def make_runs(i):
        # A first command: a new DACTL_HOME every time, so no kept token and nothing seen.
        first_env = base_env(tempfile.mkdtemp(prefix="dactl-bench-"))
        return {
            "dactl": ([args.dactl, "-q", "--base-url", emu.url, "timeout", "set",
                       f"{10 + i}s", aid], env, (aid, 10 + i)),
            "dactl-changed": ([args.dactl, "-q", "--base-url", emu.url, "timeout", "set",
                               f"{20 + i}s", other], changed_env, (other, 20 + i)),
            "dactl-first": ([args.dactl, "-q", "--base-url", emu.url, "timeout", "set",
                             f"{50 - i}s", other], first_env, (other, 50 - i)),
            "sdk": ([python, os.path.join(HERE, "sdk_set_timeout.py"), emu.url, other,
                     str(30 + i)], env, (other, 30 + i)),
        }

    def check(tool, arg, before, m):
        action_id, seconds = arg
        return check_write(find_action(before, action_id), find_action(emu.state(), action_id),
                           seconds)

    return run_pair("one action", args.runs, emu, make_runs, check)


def case_list(args, emu, python):
    expected = len(emu.state()["actions"])
    env = base_env(tempfile.mkdtemp(prefix="dactl-bench-"))

    def make_runs(i):
        return {
            "dactl": ([args.dactl, "-q", "--base-url", emu.url, "-o", "csv", "list"], env, None),
            "sdk": ([python, os.path.join(HERE, "sdk_list.py"), emu.url], env, None),
        }

    def check(tool, _, __, m):
        rows = len(m.out.strip().splitlines()) - 1
        return None if rows == expected else f"printed {rows} actions of {expected}"

    return run_pair("list", args.runs, emu, make_runs, check)


def prepare_bulk_state(emu):
    """Every generated action gets both templates and a timeout other than the target."""
    state = emu.state()
    ids = []
    for a in state["actions"]:
        if "(S0" not in a["name"]:
            continue
        cfg = a.setdefault("config", {})
        req = cfg.setdefault("request", {})
        resp = cfg.setdefault("response", {})
        req.pop("requestTemplateUri", None)
        resp.pop("successTemplateUri", None)
        req.setdefault("requestTemplate", '{"id": "${input.id}", "note": "bench \u00e9"}')
        resp.setdefault("successTemplate", '{"result": ${result}, "found": ${found}}')
        if cfg.get("timeoutSeconds") == TARGET_BULK:
            cfg["timeoutSeconds"] = 30
        ids.append(a["id"])
    emu.admin("PUT", "/__emulator/state", state)
    return state, ids


def per_10s(api):
    """Requests started in each 10 s of the run."""
    ts = sorted(e["received_us"] for e in api)
    if not ts:
        return []
    buckets = [0] * (int((ts[-1] - ts[0]) // 10_000_000) + 1)
    for t in ts:
        buckets[int((t - ts[0]) // 10_000_000)] += 1
    return buckets


def case_bulk(args, emu, runs, label="bulk", extra=(), rate=3000, limit=3000):
    """`limit` is the rate the achieved rate is a percentage of (the pool's total, or the
    client's limit)."""
    home = tempfile.mkdtemp(prefix="dactl-bench-")
    env = base_env(home)
    rows = []
    for i in range(runs):
        emu.admin("POST", "/__emulator/reset")
        before, ids = prepare_bulk_state(emu)
        emu.clear_journal()
        cmd = [args.dactl, "--base-url", emu.url, "--rate", str(rate), "-v", "-o", "json",
               "timeout", "set", f"{TARGET_BULK}s", "--name", "* (S0*", "--yes", *extra]
        m = measure(cmd, env)
        journal = emu.journal()
        api = api_requests(journal)
        try:
            summary = json.loads(m.out)["summary"]
        except (ValueError, KeyError):
            raise SystemExit(f"error: bulk run {i}: exit {m.code}: {m.err.strip()[-300:]}")
        after = {a["id"]: a for a in emu.state()["actions"]}
        bad = [aid for aid in ids
               if check_write(find_action(before, aid), after[aid], TARGET_BULK)]
        span = (api[-1]["received_us"] - api[0]["received_us"]) / 1e6 if len(api) > 1 else 0
        # The rate the platform took: requests it answered (a 429 was not processed).
        taken = [e for e in api if e["status"] != 429]
        pool = summary.get("token_pool") or {}
        row = {
            "wall": m.wall, "rss": m.rss_kb, "exit": m.code,
            "changed": summary.get("changed", 0), "failed": summary.get("failed", 0),
            "requests": len(api), "per_action": len(api) / max(summary.get("changed", 0), 1),
            "rate_pct": 100 * len(taken) / span * 60 / limit if span else 0,
            "per_10s": per_10s(api),
            "workers": workers(m.err),
            "busiest": busiest_window(taken),
            "r429": sum(1 for e in api if e["status"] == 429),
            "wrong": len(bad),
            "tokens": sum(1 for e in journal if e["path"] == "/oauth/token" and e["status"] == 200),
            "per_client": 1 if pool.get("per_client") else 0,
        }
        rows.append(row)
        print(f"  {label}: run {i + 1}/{runs}: {row['wall']:.1f} s, "
              f"{row['changed']} changed, {row['failed']} failed, {row['per_action']:.3f} req/action, "
              f"{row['rate_pct']:.1f} % of the limit, {row['r429']} × 429, "
              f"{row['rss'] / 1024:.1f} MiB", file=sys.stderr, flush=True)
    return {k: median([r[k] for r in rows]) for k in rows[0] if k != "per_10s"}, rows


def workers(stderr):
    """The workers a run chose (logged at -v when more than the default 4)."""
    m = re.search(r"workers\W*=\W*(\d+)", re.sub(r"\x1b\[[0-9;]*m", "", stderr))
    return int(m.group(1)) if m else 4


def case_startup(args, python):
    env = base_env(tempfile.mkdtemp(prefix="dactl-bench-"))
    out = {}
    for label, cmd in (("dactl --version", [args.dactl, "--version"]),
                       ("dactl runs list", [args.dactl, "runs", "list"]),
                       ("python -c 'import PureCloudPlatformClientV2'",
                        [python, "-c", "import PureCloudPlatformClientV2"])):
        ms = [measure(cmd, env) for _ in range(args.runs + 1)][1:]
        out[label] = (median([m.wall for m in ms]), median([m.rss_kb for m in ms]))
    return out


# --- report -------------------------------------------------------------------------------------

def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return (f"{os.cpu_count()} cores ({cpu}){mem}, {platform.system()} {platform.release()}; "
            f"{rustc}; Python {platform.python_version()}, PureCloudPlatformClientV2 "
            f"{sdk_version()}")


def sdk_version():
    try:
        from importlib.metadata import version
        return version("PureCloudPlatformClientV2")
    except Exception:  # noqa: BLE001
        return "?"


def fmt_s(x):
    return f"{x:.3f} s" if x < 10 else f"{x:.1f} s"


def fmt_mib(kb):
    return f"{kb / 1024:.1f} MiB"


def verdict(ok):
    return "met" if ok else "**not met**"


def report(args, single, listing, bulk, far, startup, bare=None, pool_token=None,
           pool_client=None):
    lines = []
    add = lines.append
    add("# Benchmark results")
    add("")
    add(f"Run {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')} with "
        f"`bench/run.sh` ({args.runs} measured runs per figure, medians; one action: the median "
        f"of {args.single_sets} sets of {args.runs}; bulk: {args.bulk_runs} "
        f"runs, {args.far_runs} at 150 ms; `--tokens 4`: {args.pool_runs} run per case).")
    add(f"Machine: {machine()}. The machine is shared with other work; figures are medians of "
        "interleaved runs.")
    add("")
    if single or listing:
        add("## dactl and the official Python SDK, side by side")
        add("")
        add("Emulator: `dactl sandbox serve --latency 25 --rate-limit 300 --actions 5000` (25 ms "
            "added to every request, the platform's 300 requests/min per token). Wall time and "
            "peak RSS are those of the whole process.")
        add("")
        add("| case | dactl | SDK script | ratio | target | |")
        add("|---|---|---|---|---|---|")
    if single:
        d, ch, c, p = (single[k] for k in ("dactl", "dactl-changed", "dactl-first", "sdk"))
        r = p["wall"] / d["wall"]
        add(f"| one action: wall time | {fmt_s(d['wall'])} | {fmt_s(p['wall'])} | {r:.1f}× faster "
            f"| ≥ 20× | {verdict(r >= 20)} |")
        ratios = [x["sdk"] / x["dactl"] for x in single["sets"]]
        add(f"| one action: wall time, each set of {args.runs} runs | "
            + ", ".join(f"{x['dactl'] * 1000:.0f} ms" for x in single["sets"]) + " | "
            + ", ".join(f"{x['sdk']:.2f} s" for x in single["sets"]) + " | "
            + ", ".join(f"{q:.1f}×" for q in ratios) + " | | |")
        rr = p["rss"] / d["rss"]
        add(f"| one action: peak RSS | {fmt_mib(d['rss'])} | {fmt_mib(p['rss'])} | 1/{rr:.0f} "
            f"| ≤ 1/5 | {verdict(rr >= 5)} |")
        add(f"| one action: requests (token excluded) | {d['requests']:.0f} | {p['requests']:.0f} "
            f"| | | |")
        add(f"| one action: sequential round trips (token and verification included) "
            f"| {d['trips']:.0f} | {p['trips']:.0f} | | ≤ 5 | {verdict(d['trips'] <= 5)} |")
        for label, x in (("changed by someone else since dactl saw it", ch),
                         ("first command (new DACTL_HOME)", c)):
            add(f"| one action, {label}: wall time | {fmt_s(x['wall'])} | {fmt_s(p['wall'])} "
                f"| {p['wall'] / x['wall']:.1f}× faster | | |")
            add(f"| one action, {label}: round trips | {x['trips']:.0f} | {p['trips']:.0f} "
                f"| | ≤ 5 | {verdict(x['trips'] <= 5)} |")
    if listing:
        d, p = listing["dactl"], listing["sdk"]
        r = p["wall"] / d["wall"]
        add(f"| list 5,000: wall time | {fmt_s(d['wall'])} | {fmt_s(p['wall'])} | {r:.1f}× faster "
            f"| ≥ 5× | {verdict(r >= 5)} |")
        add(f"| list 5,000: peak RSS | {fmt_mib(d['rss'])} | {fmt_mib(p['rss'])} "
            f"| 1/{p['rss'] / d['rss']:.0f} | | |")
        add(f"| list 5,000: requests | {d['requests']:.0f} | {p['requests']:.0f} | | | |")
        add(f"| list 5,000: sequential round trips | {d['trips']:.0f} | {p['trips']:.0f} | | | |")
    if single or listing:
        add("")
        add("dactl is given the action's id, like the script. Its requests include the drafts "
            "listing (for the open-draft warning) that the script does not make; it also writes "
            "a run journal, a backup (fsynced) and an audit line.")
        add("")
    if single:
        d, ch, c, p = (single[k] for k in ("dactl", "dactl-changed", "dactl-first", "sdk"))
        add(f"The first rows are dactl as it is used from the second command on: the same "
            f"DACTL_HOME, so it has the access token it kept (encrypted with the client secret, "
            f"`dactl auth forget --help`) and the version of the action the previous command "
            f"left; nobody changed the action in between. It then reads the action and its "
            f"templates at once: {d['trips']:.0f} round trips. The SDK script logs in and reads "
            f"in the safe order every time. Each changes its own action of the same shape "
            f"({SINGLE_ACTION!r} and {OTHER_ACTION!r}, both templates, 1.7–1.8 KB), so that the "
            f"script's writes do not change dactl's. The last rows are dactl when the action "
            f"was changed by someone else since it last saw it (it reads the templates again "
            f"after the version: {ch['trips']:.0f} round trips) and a first command with a new "
            f"DACTL_HOME (the login too: {c['trips']:.0f}).")
        add("")
        add(f"One action is latency-bound: {d['trips']:.0f} sequential round trips at 25 ms "
            f"are {d['trips'] * 25:.0f} ms of dactl's {d['wall'] * 1000:.0f} ms, and the script "
            f"spends most of its {p['wall']:.2f} s importing the SDK (see Startup). Reading the "
            "templates together with the action is safe only with a version seen before the "
            "templates were read: the PATCH carries it and succeeds only if nothing was written "
            "since. Without one, the template text could predate a concurrent edit whose "
            "version the action read already shows, and the PATCH would put the old text back; "
            "so a first command reads the version first (`crates/dactl/src/seen.rs`, tested "
            "with an edit made between the two reads in `tests/roundtrips.rs`).")
        add("")
    for bulk, latency, realism in ((bulk, 20, ""), (bare, 20, BARE_FLAGS), (far, 150, "")):
        if not bulk:
            continue
        b, rows = bulk[0], bulk[1]
        fixed = bulk[2] if len(bulk) > 2 else None
        title = f"## Bulk change of 1,000 actions at 3,000 requests/min, {latency} ms latency"
        if realism:
            title += ", PATCH answered without config, 400 conflicts"
        add(title)
        add("")
        add(f"Emulator: `--latency {latency} --rate-limit 3000 --actions 1000"
            + (f" {' '.join(realism)}" if realism else "")
            + "`, every generated "
            "action given both templates. Command: `dactl --rate 3000 timeout set 47s --name "
            "'* (S0*' --yes` (no `--concurrency`: the run picks its workers; default "
            "`--verify canary`).")
        if realism:
            add("")
            add("The pessimistic realism settings (genesys-api.md §7 U4, U17): the PATCH answer "
                "carries no config, so it is no evidence; the canary is verified by re-reading "
                "it, the other actions by nothing more (`--verify full` re-reads every one).")
        if fixed:
            add("")
            add("The 150 ms case stands for a distant region. An action takes two round trips "
                "(its templates, then the PATCH), so 4 workers cannot keep 3,000/min busy there: "
                f"the same run with `--concurrency 4` reached {fixed['rate_pct']:.1f} % of the "
                f"limit in {fmt_s(fixed['wall'])}. Without `--concurrency` the run measures the "
                "latency while listing and picks its workers (Little's law, "
                "`crates/dactl/src/fastpath.rs`).")
        add("")
        add("| figure | measured (median) | target | |")
        add("|---|---|---|---|")
        add(f"| requests per changed action | {b['per_action']:.3f} ({b['requests']:.0f} requests, "
            f"{b['changed']:.0f} changed) | ≤ 3.1 | {verdict(b['per_action'] <= 3.1)} |")
        add(f"| achieved rate, first to last request | {b['rate_pct']:.1f} % of the limit | ≥ 90 % "
            f"| {verdict(b['rate_pct'] >= 90)} |")
        add(f"| workers | {b['workers']:.0f} | | |")
        add(f"| busiest 60 s window | {b['busiest']:.0f} requests | ≤ 3,000 | "
            f"{verdict(b['busiest'] <= 3000)} |")
        add(f"| 429 responses | {b['r429']:.0f} | | |")
        add(f"| failures | {b['failed']:.0f} (and {b['wrong']:.0f} actions not exactly as intended "
            f"in the emulator's state) | 0 | {verdict(b['failed'] == 0 and b['wrong'] == 0)} |")
        add(f"| wall time | {fmt_s(b['wall'])} | | |")
        add(f"| peak RSS | {fmt_mib(b['rss'])} | ≤ 50 MiB | {verdict(b['rss'] <= 50 * 1024)} |")
        add("")
        add("Requests started per 10 s in the first run (the limit is 500 per 10 s on "
            "average): " + ", ".join(str(n) for n in rows[0]["per_10s"]) + ". The run spends "
            "the limiter's burst (100 requests at this rate) first, then goes evenly spaced; "
            "the sliding 61 s window holds back the last requests of the first minute so that "
            "no 60 s ever sees more than the limit.")
        add("")
        add("Every run: " + "; ".join(
            f"{r['wall']:.1f} s, {r['per_action']:.3f} req/action, {r['rate_pct']:.1f} %, "
            f"{fmt_mib(r['rss'])}, {r['workers']} workers" for r in rows) + ".")
        add("")
    if pool_token or pool_client:
        add("## Bulk change of 1,000 actions with `--tokens 4`, 300 requests/min per token")
        add("")
        add("Emulator: `--latency 20 --rate-limit 300 --actions 1000`, every generated action "
            "given both templates, with `--rate-limit-scope token` (the limit counts per access "
            "token) or `--rate-limit-scope client` (it counts per OAuth client: whether the "
            "platform does either is not published, genesys-api.md U19). Command: `dactl --rate "
            "300 --tokens 4 timeout set 47s --name '* (S0*' --yes` (the run picks its workers "
            "from the pool's total rate; default `--verify canary`). The achieved rate counts "
            "the requests the emulator took (not those it answered with 429), first to last "
            "request.")
        add("")
        add("| figure | limit per token | target | | limit per client | target | |")
        add("|---|---|---|---|---|---|---|")
        t = pool_token[0] if pool_token else None
        c = pool_client[0] if pool_client else None

        def both(label, fmt, t_target, t_ok, c_target, c_ok):
            tv = fmt(t) if t else "not run"
            cv = fmt(c) if c else "not run"
            tv_ok = verdict(t_ok(t)) if t and t_ok else ""
            cv_ok = verdict(c_ok(c)) if c and c_ok else ""
            add(f"| {label} | {tv} | {t_target} | {tv_ok} | {cv} | {c_target} | {cv_ok} |")

        both("requests per changed action",
             lambda b: f"{b['per_action']:.3f} ({b['requests']:.0f} requests, {b['changed']:.0f} changed)",
             "≤ 3.1", lambda b: b["per_action"] <= 3.1, "≤ 3.1", lambda b: b["per_action"] <= 3.1)
        both("achieved rate, first to last request",
             lambda b: f"{b['rate_pct']:.1f} % of {'1,200' if b is t else '300'}/min",
             "≥ 90 % of 1,200/min", lambda b: b["rate_pct"] >= 90,
             "≥ 80 % of 300/min", lambda b: b["rate_pct"] >= 80)
        both("429 responses, whole run", lambda b: f"{b['r429']:.0f}",
             "0", lambda b: b["r429"] == 0, "≤ 30", lambda b: b["r429"] <= 30)
        both("tokens taken", lambda b: f"{b['tokens']:.0f}", "", None, "", None)
        both("fell back to one shared limiter", lambda b: "yes" if b["per_client"] else "no",
             "", None, "", None)
        both("busiest 60 s window (requests taken)", lambda b: f"{b['busiest']:.0f}",
             "≤ 1,200", lambda b: b["busiest"] <= 1200, "≤ 300", lambda b: b["busiest"] <= 300)
        both("workers", lambda b: f"{b['workers']:.0f}", "", None, "", None)
        both("failures", lambda b: f"{b['failed']:.0f} (and {b['wrong']:.0f} actions not exactly "
             "as intended)", "0", lambda b: b["failed"] == 0 and b["wrong"] == 0,
             "0", lambda b: b["failed"] == 0 and b["wrong"] == 0)
        both("wall time", lambda b: fmt_s(b["wall"]), "", None, "", None)
        both("peak RSS", lambda b: fmt_mib(b["rss"]), "≤ 50 MiB", lambda b: b["rss"] <= 50 * 1024,
             "≤ 50 MiB", lambda b: b["rss"] <= 50 * 1024)
        add("")
        for name, res in (("Limit per token", pool_token), ("Limit per client", pool_client)):
            if not res:
                continue
            rows = res[1]
            add(f"{name}, requests started per 10 s in the first run: "
                + ", ".join(str(n) for n in rows[0]["per_10s"]) + ". Every run: " + "; ".join(
                    f"{r['wall']:.1f} s, {r['per_action']:.3f} req/action, {r['rate_pct']:.1f} % "
                    f"of its limit, {r['r429']} × 429, {r['tokens']} tokens, "
                    f"{fmt_mib(r['rss'])}" for r in rows) + ".")
            add("")
        add("Where the limit counts per token the pool sends with four tokens, each paced at "
            "300/min by its own limiter, and takes them as its workers need them. Where it "
            "counts per client the first 429 comes while every token is under its own limit; "
            "the pool then falls back to one limiter at 300/min seeded with every token's last "
            "minute, so the requests in flight at that moment are the only ones refused (each "
            "waited out and re-sent) and the rest of the run goes at the client's limit "
            "(`crates/genesys-client/src/pool.rs`).")
        add("")
    if startup:
        add("## Startup (no network)")
        add("")
        add("| command | wall time | peak RSS |")
        add("|---|---|---|")
        for label, (wall, rss) in startup.items():
            add(f"| `{label}` | {wall * 1000:.1f} ms | {fmt_mib(rss)} |")
        add("")
    return "\n".join(lines)


def merge_sections(old, new, when):
    """`old` with the `## ` sections of `new` put in place of those with the same title (new
    ones before the startup section), and a line saying `when` they were run added to the
    header."""
    def split(text):
        parts = text.split("\n## ")
        head, sections = parts[0], parts[1:]
        return head, [("## " + p).rstrip("\n") for p in sections]

    old_head, old_secs = split(old)
    new_head, new_secs = split(new)
    title = lambda sec: sec.splitlines()[0]
    titles = {title(x): x for x in new_secs}
    out, used = [], set()
    for sec in old_secs:
        if title(sec) in titles:
            out.append(titles[title(sec)])
            used.add(title(sec))
        else:
            out.append(sec)
    fresh = [x for x in new_secs if title(x) not in used]
    at = next((i for i, x in enumerate(out) if title(x).startswith("## Startup")), len(out))
    out[at:at] = fresh
    names = ", ".join(f"“{title(x)[3:]}”" for x in new_secs)
    head = old_head.rstrip("\n")
    if names:
        # The line of an earlier partial run of the same sections is replaced.
        kept = [l for l in head.splitlines() if not l.startswith(f"{names}:")]
        head = "\n".join(kept) + f"\n{names}: {when}"
    return head + "\n\n" + "\n\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dactl", required=True, help="the release binary")
    ap.add_argument("--runs", type=int, default=5, help="measured runs per figure (5)")
    ap.add_argument("--single-sets", type=int, default=3,
                    help="repetitions of the one-action case, each of --runs runs (3)")
    ap.add_argument("--bulk-runs", type=int, default=5, help="bulk runs, about a minute each (5)")
    ap.add_argument("--far-runs", type=int, default=3,
                    help="runs of the bulk case at 150 ms latency (3; 0 skips it)")
    ap.add_argument("--pool-runs", type=int, default=1,
                    help="runs of each --tokens case (1; the per-client one takes ~10 min)")
    ap.add_argument("--only",
                    default="single,list,bulk,bulk-bare,bulk150,pool,poolclient,startup",
                    help="comma-separated cases: single, list, bulk, bulk-bare, bulk150, pool "
                    "(--tokens 4, limit per token), poolclient (--tokens 4, limit per client), "
                    "startup")
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    args = ap.parse_args()
    if args.runs < 1 or args.bulk_runs < 1 or args.single_sets < 1:
        ap.error("--runs, --bulk-runs and --single-sets must be at least 1")
    only = set(args.only.split(","))
    python = sys.executable
    single = listing = bulk = startup = None
    if only & {"single", "list"}:
        print(f"one action and listing: emulator with {LIST_ACTIONS} actions, 25 ms latency",
              file=sys.stderr)
        emu = Emulator(args.dactl, "--latency", "25", "--rate-limit", "300",
                       "--actions", str(LIST_ACTIONS))
        try:
            if "single" in only:
                # The script's time is mostly Python importing the SDK, which moves with the
                # machine's state from one minute to the next: the case is repeated, and the
                # figures are the median of the repetitions' medians, with their spread.
                reps = [case_single(args, emu, python) for _ in range(args.single_sets)]
                single = {tool: {k: median([r[tool][k] for r in reps]) for k in reps[0][tool]}
                          for tool in reps[0]}
                single["sets"] = [{"dactl": r["dactl"]["wall"], "sdk": r["sdk"]["wall"]}
                                  for r in reps]
            if "list" in only:
                listing = case_list(args, emu, python)
        finally:
            emu.stop()
    far = bare = None
    for case, latency, runs, flags in (("bulk", 20, args.bulk_runs, ()),
                                       ("bulk-bare", 20, args.bulk_runs, BARE_FLAGS),
                                       ("bulk150", 150, args.far_runs, ())):
        if case not in only or runs < 1:
            continue
        print(f"{case}: emulator with {BULK_ACTIONS} actions, {latency} ms latency, 3,000/min",
              file=sys.stderr)
        emu = Emulator(args.dactl, "--latency", str(latency), "--rate-limit", "3000",
                       "--actions", str(BULK_ACTIONS), *flags)
        try:
            result = case_bulk(args, emu, runs, case)
            if case == "bulk150":
                # The same run with the old fixed default, for comparison.
                fixed, _ = case_bulk(args, emu, 1, "bulk150 --concurrency 4",
                                     ("--concurrency", "4"))
                result = result + (fixed,)
        finally:
            emu.stop()
        if case == "bulk":
            bulk = result
        elif case == "bulk-bare":
            bare = result
        else:
            far = result
    pool_token = pool_client = None
    for case, scope, limit in (("pool", "token", 1200), ("poolclient", "client", 300)):
        if case not in only or args.pool_runs < 1:
            continue
        print(f"{case}: emulator with {BULK_ACTIONS} actions, 20 ms latency, 300/min per "
              f"{scope}; dactl --tokens 4", file=sys.stderr)
        emu = Emulator(args.dactl, "--latency", "20", "--rate-limit", "300",
                       "--rate-limit-scope", scope, "--actions", str(BULK_ACTIONS))
        try:
            result = case_bulk(args, emu, args.pool_runs, case, ("--tokens", "4"),
                               rate=300, limit=limit)
        finally:
            emu.stop()
        if case == "pool":
            pool_token = result
        else:
            pool_client = result
    if "startup" in only:
        startup = case_startup(args, python)
    text = report(args, single, listing, bulk, far, startup, bare, pool_token, pool_client)
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    with open(os.path.join(HERE, "out", "results.json"), "w") as f:
        json.dump({"single": single, "list": listing, "bulk": bulk, "bulk-bare": bare,
                   "bulk150": far, "pool": pool_token, "poolclient": pool_client,
                   "startup": startup}, f, indent=1, default=str)
    print(text)
    everything = {"single", "list", "bulk", "bulk-bare", "bulk150", "pool", "poolclient",
                  "startup"}
    if not everything <= only and os.path.exists(args.out):
        with open(args.out) as f:
            when = (f"run {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')} "
                    f"with `bench/run.sh --only {args.only}` ({args.pool_runs} run of each "
                    "`--tokens` case).")
            text = merge_sections(f.read(), text, when).rstrip("\n")
    with open(args.out, "w") as f:
        f.write(text + "\n")
    print(f"\nwritten to {os.path.relpath(args.out, ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()

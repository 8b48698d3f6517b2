"""HTTP throughput of the deployed server: gunicorn + searchsvc.web under load on 127.0.0.1.

    python benchmarks/throughput.py [--data DIR] [--index-dir DIR] [--seconds 30]
                                    [--connections 16] [--configs 2x1,2x4]
                                    [--load auto|wrk|python] [--json FILE]

For each WORKERSxTHREADS config, ``gunicorn -w W --threads T 'searchsvc.web:create_app()'``
runs as a subprocess on a free port of 127.0.0.1 (``SEARCHSVC_INDEX_DIR`` pointing at a
beir-scifact index built with the project's indexing code, or ``--index-dir``), and another
process loads it with ``--connections`` keep-alive connections for ``--seconds`` per scenario
(after an untimed warm-up of ``--warmup`` seconds):

- ``/healthz``: the ceiling (routing, session refresh, JSON) every search is compared with;
- ``short`` / ``long``: ``/api/search?q=...&per_page=10`` rotating through the 150 DEV claims
  cut to their 2-3 rarest words, or as written; first with the result cache on as deployed
  (``SEARCHSVC_CACHE_SIZE`` default 512: after warm-up nearly every request is a cache hit),
  then on a second server with ``SEARCHSVC_CACHE_SIZE=0`` so caching does not flatter it.

The load comes from ``wrk`` (1 thread, a Lua script rotating through the URLs) when it is on
PATH, else from the bundled Python client (2 processes x connections/2 threads, each thread one
keep-alive ``http.client`` connection); ``--load`` forces one. With ``--threads 1`` gunicorn
uses its sync worker (one request at a time per worker, no keep-alive). Everything shares the
machine's cores with the load generator, and often with other people's work: each row also
gives the server's CPU time per request (gunicorn master + workers, from /proc), which
background load barely changes, and requests per CPU-second relative to /healthz.
Target: short-query search >= 50% of /healthz req/s, zero errors; the best config is the one
with the most cache-off short-query req/s.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C

WRK_SCRIPT = r"""
local paths = {}
local i = 0
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKJSON {\"requests\": %d, \"duration_us\": %d, \"connect\": %d, \"read\": %d, " ..
    "\"write\": %d, \"status\": %d, \"timeout\": %d, \"p50_us\": %d, \"p99_us\": %d, " ..
    "\"mean_us\": %.1f}\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean))
end
"""


# --- load generators -------------------------------------------------------------------------


def run_wrk(port: int, paths: list[str], seconds: float, connections: int, workdir: Path) -> dict:
    script, urls = workdir / "rotate.lua", workdir / "paths.txt"
    script.write_text(WRK_SCRIPT)
    urls.write_text("\n".join(paths) + "\n")
    cmd = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}",
        "--",
        str(urls),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
    line = next((x for x in out.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {out.stdout[-500:]} {out.stderr[-500:]}")
    r = json.loads(line[len("WRKJSON ") :])
    errors = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
    return {
        "requests": r["requests"],
        "rps": r["requests"] / (r["duration_us"] / 1e6),
        "p50_ms": r["p50_us"] / 1000,
        "p99_ms": r["p99_us"] / 1000,
        "errors": errors,
        "error_detail": {k: r[k] for k in ("connect", "read", "write", "status", "timeout")},
    }


def _py_worker(port: int, paths: list[str], seconds: float, threads: int, offset: int, out):
    lock = threading.Lock()
    latencies: list[float] = []
    counts = {"requests": 0, "errors": 0}
    deadline = time.perf_counter() + seconds

    def loop(t: int) -> None:
        client = C.Client(port, timeout=10)
        mine, errors, i = [], 0, offset + t * 7
        while time.perf_counter() < deadline:
            path = paths[i % len(paths)]
            i += 1
            t0 = time.perf_counter()
            try:
                status, _ = client.get(path)
                ok = status == 200
            except OSError:
                ok = False
                client.close()
            mine.append((time.perf_counter() - t0) * 1000)
            errors += not ok
        client.close()
        with lock:
            latencies.extend(mine)
            counts["requests"] += len(mine)
            counts["errors"] += errors

    workers = [threading.Thread(target=loop, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    out.put((counts, latencies))


def run_python(port: int, paths: list[str], seconds: float, connections: int) -> dict:
    procs = 2 if connections >= 2 else 1
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    per = [connections // procs + (i < connections % procs) for i in range(procs)]
    started = time.perf_counter()
    children = [
        ctx.Process(target=_py_worker, args=(port, paths, seconds, per[i], i * 1000, queue))
        for i in range(procs)
    ]
    for c in children:
        c.start()
    results = [queue.get(timeout=seconds + 120) for _ in children]
    for c in children:
        c.join()
    elapsed = time.perf_counter() - started
    latencies = [x for _, lat in results for x in lat]
    requests = sum(r["requests"] for r, _ in results)
    return {
        "requests": requests,
        "rps": requests / elapsed,
        "p50_ms": C.pct(latencies, 50),
        "p99_ms": C.pct(latencies, 99),
        "errors": sum(r["errors"] for r, _ in results),
        "error_detail": {},
    }


# --- main ------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", help="folder holding beir-scifact/ (default ../shared/data)")
    ap.add_argument("--index-dir", type=Path, help="reuse the index here (built there if missing)")
    ap.add_argument("--seconds", type=float, default=30.0, help="measured seconds per scenario")
    ap.add_argument("--warmup", type=float, default=3.0, help="untimed seconds before each")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--configs", default="2x1,2x4", help="WORKERSxTHREADS, comma-separated")
    ap.add_argument("--load", choices=("auto", "wrk", "python"), default="auto")
    ap.add_argument("--json", type=Path, default=C.OUT_ROOT / "throughput.json")
    args = ap.parse_args()
    try:
        configs = [tuple(int(x) for x in c.split("x")) for c in args.configs.split(",") if c]
        assert configs and all(len(c) == 2 and min(c) >= 1 for c in configs)
    except (ValueError, AssertionError):
        ap.error("--configs takes WORKERSxTHREADS pairs, e.g. 2x1,2x4")
    if not 1 <= args.connections <= 256:
        ap.error("--connections must be between 1 and 256")
    if not 1 <= args.seconds <= 600:
        ap.error("--seconds must be between 1 and 600")
    load = args.load
    if load == "auto":
        load = "wrk" if shutil.which("wrk") else "python"
    elif load == "wrk" and not shutil.which("wrk"):
        sys.exit("error: wrk is not on PATH (apt-get install wrk), or use --load python")

    print(C.machine())
    watch = C.CpuWatch()
    if note := C.load_note():
        print(note)
    _, index_dir, _, long_q, short_q = C.scifact_setup(
        args.data, args.index_dir, "throughput-index"
    )

    def urls(queries):
        return ["/api/search?" + urlencode({"q": q, "per_page": 10}) for q in queries]

    scenarios = {"/healthz": ["/healthz"], "short": urls(short_q), "long": urls(long_q)}
    print(
        f"load: {load}, {args.connections} connections, {args.seconds:g}s per scenario after "
        f"{args.warmup:g}s warm-up; configs {args.configs}\n"
    )
    workdir = Path(tempfile.mkdtemp(prefix="throughput-", dir=C.OUT_ROOT))

    def measure(port, paths, seconds):
        if load == "wrk":
            return run_wrk(port, paths, seconds, args.connections, workdir)
        return run_python(port, paths, seconds, args.connections)

    rows = []
    log = open(workdir / "gunicorn.log", "wb")  # noqa: SIM115 - kept open for the servers
    try:
        for workers, threads in configs:
            for cache in (None, 0):
                names = ["/healthz", "short", "long"] if cache is None else ["short", "long"]
                server = C.gunicorn(index_dir, workers, threads, cache_size=cache, log=log)
                with server as (port, proc):
                    for name in names:
                        if args.warmup > 0:
                            measure(port, scenarios[name], args.warmup)
                        cpu = C.tree_cpu_seconds(proc.pid)
                        r = measure(port, scenarios[name], args.seconds)
                        cpu = C.tree_cpu_seconds(proc.pid) - cpu
                        r.update(
                            server_cpu_s=cpu,
                            cpu_ms_per_req=cpu * 1000 / r["requests"] if r["requests"] else 0.0,
                            config=f"{workers}x{threads}",
                            scenario=name,
                            cache="512 (default)" if cache is None else "0 (off)",
                        )
                        rows.append(r)
                        print(
                            f"  {r['config']} {name:<8} cache {r['cache']:<13} "
                            f"{r['rps']:8.1f} req/s  p50 {r['p50_ms']:7.2f} ms  "
                            f"p99 {r['p99_ms']:7.2f} ms  errors {r['errors']}  "
                            f"server CPU {r['cpu_ms_per_req']:.2f} ms/req",
                            flush=True,
                        )
    finally:
        log.close()

    table = []
    for r in rows:
        base = next(x for x in rows if x["config"] == r["config"] and x["scenario"] == "/healthz")
        r["rps_vs_healthz"] = r["rps"] / base["rps"]
        verdict = ""
        if r["scenario"] == "short":
            ok = r["rps_vs_healthz"] >= 0.5 and r["errors"] == 0
            verdict = ">=50% of /healthz, 0 errors: " + ("PASS" if ok else "FAIL")
        table.append(
            [
                r["config"],
                r["scenario"],
                r["cache"],
                f"{r['rps']:.1f}",
                f"{r['rps_vs_healthz']:.2f}x",
                C.fmt_ms(r["p50_ms"]),
                C.fmt_ms(r["p99_ms"]),
                C.ratio(r["p50_ms"], base["p50_ms"]),
                f"{r['cpu_ms_per_req']:.2f}",
                C.ratio(base["cpu_ms_per_req"], r["cpu_ms_per_req"]),
                r["errors"],
                verdict,
            ]
        )
    print()
    C.print_table(
        ["workers x threads", "scenario", "result cache", "req/s", "vs /healthz",
         "p50 ms", "p99 ms", "p50 vs /healthz", "server CPU ms/req",
         "req/CPU-s vs /healthz", "errors", "target"],
        table,
        title=f"throughput, gunicorn on 127.0.0.1, {load} with {args.connections} connections, "
        f"{args.seconds:g}s per row",
    )  # fmt: skip
    off = [r for r in rows if r["scenario"] == "short" and r["cache"].startswith("0")]
    best = max(off, key=lambda r: r["rps"])
    print(
        f"best config: {best['config']} ({best['rps']:.1f} req/s on cache-off short queries, "
        f"{best['rps_vs_healthz']:.0%} of its /healthz)"
    )
    cpu_note = watch.summary()
    print(cpu_note)
    C.write_json(args.json, {"machine": C.machine(), "cpu": cpu_note, "load": load, "rows": rows})
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

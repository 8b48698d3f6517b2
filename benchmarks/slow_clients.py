"""Slow and idle connections against the server: does another client still get answers?

    python benchmarks/slow_clients.py [--connections 200] [--seconds 20] [--setups serve,gthread]
        [--kinds idle,slow-headers,slow-body,mixed] [--url http://127.0.0.1:8000]

Indexes the sample corpus into a temporary folder and, for each set-up, starts the server on a
free loopback port, then for each kind of attack holds ``--connections`` connections open for
``--seconds`` (reconnecting each one the server closes, so the count stays held) while another
client asks ``/api/search`` over a fresh connection again and again. It prints, per set-up and
kind, that client's answers, its worst and median latency, and how many of its requests got no
answer within 5 s. Kinds: ``idle`` (connect, send nothing), ``slow-headers`` (a request line and
headers, one byte a second), ``slow-body`` (a POST with its Content-Length, its body one byte a
second), ``mixed`` (a third of each). Set-ups: ``serve`` (``searchsvc serve``), ``production``
(``gunicorn -c python:searchsvc.serving``), ``gthread`` (``gunicorn -w 2 --threads 4``, the set-up
before issue #11), ``nginx`` (Debian's nginx with ``deploy/nginx.conf`` in front of ``gthread``).
With ``--url`` it attacks a server already running instead. Loopback only; every run stops by
itself. ``tests/test_attack_slow_clients.py`` runs it bounded (200 connections, 5 s).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import selectors
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
KINDS = ("idle", "slow-headers", "slow-body")
SETUPS = ("serve", "production", "gthread", "nginx")
PROBE_TIMEOUT = 5.0
PROBE_PATH = "/api/search?q=caffeine+sleep"
SLOW_HEADERS = b"GET /api/search?q=sleep HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 4000
SLOW_BODY_HEAD = (
    b"POST /api/search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Content-Length: 10000\r\n\r\n"
)


@dataclass
class Outcome:
    setup: str
    kind: str
    connections: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    unanswered: int = 0
    reconnects: int = 0
    held_min: int = 0

    @property
    def worst(self) -> float:
        return max(self.latencies, default=float("inf"))

    @property
    def median(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("inf")

    def row(self) -> str:
        return (
            f"| {self.setup} | {self.kind} | {self.connections} held for {self.seconds:g} s "
            f"(at least {self.held_min} at once, {self.reconnects} reconnects) | "
            f"{len(self.latencies)} answers, worst {self.worst * 1000:.0f} ms, median "
            f"{self.median * 1000:.1f} ms, {self.unanswered} unanswered |"
        )


class Holder:
    """``count`` connections of one kind (or mixed) kept open, one byte a second where slow."""

    def __init__(self, host: str, port: int, kind: str, count: int) -> None:
        self.address = (host, port)
        self.kinds = [KINDS[i % 3] if kind == "mixed" else kind for i in range(count)]
        self.selector = selectors.DefaultSelector()
        self.socks: dict[int, tuple[socket.socket, str, int]] = {}  # slot -> (sock, kind, sent)
        self.reconnects = 0
        self.held_min = count
        self.stop = threading.Event()

    def _open(self, slot: int) -> None:
        kind = self.kinds[slot]
        try:
            sock = socket.create_connection(self.address, timeout=2)
        except OSError:
            return
        sock.setblocking(False)
        sent = 0
        if kind == "slow-body":
            sock.sendall(SLOW_BODY_HEAD)
        self.socks[slot] = (sock, kind, sent)
        self.selector.register(sock, selectors.EVENT_READ, slot)

    def _close(self, slot: int) -> None:
        sock = self.socks.pop(slot)[0]
        self.selector.unregister(sock)
        sock.close()

    def run(self, seconds: float) -> None:
        for slot in range(len(self.kinds)):
            self._open(slot)
        deadline = time.monotonic() + seconds
        next_byte = time.monotonic() + 1
        while not self.stop.is_set() and time.monotonic() < deadline:
            for key, _ in self.selector.select(timeout=0.1):
                slot = key.data
                try:
                    key.fileobj.recv(65536)  # an answer (a 408, a 400) or the end: closed
                    closed = True
                except (BlockingIOError, InterruptedError):
                    closed = False
                except OSError:
                    closed = True
                if closed:
                    self._close(slot)
                    self.reconnects += 1
            for slot in range(len(self.kinds)):
                if slot not in self.socks:
                    self._open(slot)
            self.held_min = min(self.held_min, len(self.socks))
            if time.monotonic() >= next_byte:
                next_byte += 1
                self._trickle()
        for slot in list(self.socks):
            self._close(slot)

    def _trickle(self) -> None:
        for slot, (sock, kind, sent) in list(self.socks.items()):
            if kind == "idle":
                continue
            data = SLOW_HEADERS[sent : sent + 1] if kind == "slow-headers" else b" "
            try:
                sock.send(data or b"a")
            except OSError:
                continue
            self.socks[slot] = (sock, kind, sent + 1)


def probe(url: str, seconds: float, outcome: Outcome) -> None:
    """Another client: one search after another, each over a fresh connection."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            with urllib.request.urlopen(url + PROBE_PATH, timeout=PROBE_TIMEOUT) as resp:
                resp.read()
            outcome.latencies.append(time.monotonic() - started)
        except (OSError, urllib.error.URLError):
            outcome.unanswered += 1
        time.sleep(0.05)


def attack(url: str, kind: str, connections: int, seconds: float, setup: str = "") -> Outcome:
    """Hold ``connections`` of ``kind`` for ``seconds`` against ``url``; the other client's lot."""
    host, port = url.split("//")[1].split(":")
    holder = Holder(host, int(port), kind, connections)
    outcome = Outcome(setup or url, kind, connections, seconds)
    thread = threading.Thread(target=holder.run, args=(seconds,), daemon=True)
    thread.start()
    time.sleep(min(1.0, seconds / 4))  # let the connections pile up first
    probe(url, seconds - min(1.0, seconds / 4), outcome)
    holder.stop.set()
    thread.join(10)
    outcome.reconnects, outcome.held_min = holder.reconnects, holder.held_min
    return outcome


# --- set-ups ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen | None = None, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url + "/healthz", timeout=2).close()
            return
        except (OSError, urllib.error.URLError):
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@contextlib.contextmanager
def running(command: list[str], url: str, env: dict[str, str]):
    proc = subprocess.Popen(
        command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_ready(url, proc)
        yield url
    finally:
        _stop(proc)


def gunicorn_command(port: int, *options: str) -> list[str]:
    app = "searchsvc.web:create_app()"
    return [sys.executable, "-m", "gunicorn", *options, "-b", f"127.0.0.1:{port}", app]


def nginx_config(site: str, listen: int, upstream: int, prefix: Path) -> str:
    """deploy/nginx.conf with its ports moved, inside a main config that runs in ``prefix``."""
    site = site.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    site = site.replace("server 127.0.0.1:8000", f"server 127.0.0.1:{upstream}")
    temp = "\n".join(
        f"{name}_temp_path {prefix / name};" for name in ("client_body", "proxy", "fastcgi")
    )
    return f"""daemon off;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} warn;
worker_processes 1;
events {{ worker_connections 4096; }}
http {{
access_log off;
{temp}
uwsgi_temp_path {prefix / "uwsgi"};
scgi_temp_path {prefix / "scgi"};
{site}
}}
"""


@contextlib.contextmanager
def nginx(listen: int, upstream: int):
    """Debian's nginx with deploy/nginx.conf, in front of 127.0.0.1:``upstream``."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    with tempfile.TemporaryDirectory(prefix="searchsvc-nginx-") as tmp:
        prefix = Path(tmp)
        prefix.chmod(0o755)
        conf = prefix / "nginx.conf"
        site = (REPO / "deploy" / "nginx.conf").read_text()
        conf.write_text(nginx_config(site, listen, upstream, prefix))
        proc = subprocess.Popen(
            [binary, "-p", str(prefix), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{listen}"
        try:
            wait_ready(url, proc, 20)
            yield url
        finally:
            _stop(proc)


@contextlib.contextmanager
def setup(name: str, index_dir: Path):
    """Start set-up ``name`` on free loopback ports; its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"SEARCHSVC_INDEX_DIR": str(index_dir), "SEARCHSVC_CACHE_SIZE": "0"}
    if name == "serve":
        command = [sys.executable, "-m", "searchsvc", "serve", "--no-update", "--port", str(port)]
        with running(command, url, env):
            yield url
    elif name == "production":
        command = gunicorn_command(port, "-c", "python:searchsvc.serving", "-w", "2")
        with running(command, url, env):
            yield url
    elif name in ("gthread", "nginx"):
        command = gunicorn_command(port, "-w", "2", "--threads", "4")
        with running(command, url, env):
            if name == "gthread":
                yield url
            else:
                with nginx(free_port(), port) as front:
                    yield front
    else:
        raise ValueError(f"unknown set-up {name!r}: one of {', '.join(SETUPS)}")


def build_index(folder: Path) -> Path:
    from searchsvc.index import update_index

    index_dir = folder / "index"
    update_index(REPO / "corpus", index_dir, workers=1)
    return index_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--setups", default="serve,production,gthread,nginx")
    parser.add_argument("--kinds", default="idle,slow-headers,slow-body,mixed")
    parser.add_argument("--url", help="attack this running server instead")
    args = parser.parse_args(argv)
    kinds = args.kinds.split(",")
    outcomes = []
    print("| set-up | kind | held connections | the other client |\n|---|---|---|---|")
    if args.url:
        for kind in kinds:
            outcomes.append(attack(args.url, kind, args.connections, args.seconds))
            print(outcomes[-1].row(), flush=True)
    else:
        with tempfile.TemporaryDirectory(prefix="searchsvc-slow-") as tmp:
            index_dir = build_index(Path(tmp))
            for name in args.setups.split(","):
                try:
                    with setup(name, index_dir) as url:
                        for kind in kinds:
                            outcome = attack(url, kind, args.connections, args.seconds, name)
                            outcomes.append(outcome)
                            print(outcome.row(), flush=True)
                except (RuntimeError, OSError) as exc:
                    print(f"| {name} | could not start: {exc} | |", flush=True)
    return 0 if all(o.worst < 1 and not o.unanswered for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())

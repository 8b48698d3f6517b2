"""`kill -9` of `searchsvc index` at random points never needs a clean-up (issue #11, point 1).

Each round starts the real CLI in a subprocess over a generated corpus big enough for its parse
workers to run, kills the main process with SIGKILL at a random moment (half the kills aimed at
the moment its workers are parsing), then checks that no process of that run is left, that a
server that kept answering throughout saw only 200s from a complete generation, and that the
next run succeeds at once. :class:`KillRounds` is also what ``benchmarks/kills.py`` runs for
the long version.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug import serving

from searchsvc.index import generation_name, open_generation
from searchsvc.web import create_app

PAGE = """<!doctype html><html><head><title>{title} | Site</title></head><body>
<nav><a href="/">Home</a></nav><article><h1>{title}</h1>
<p>{lead}</p><p>Background:</p><p>{body}</p><p>What to do:</p><p>{advice}</p></article>
<footer>Copyright Site.</footer></body></html>"""
WORDS = (
    "sleep caffeine pain muscle heart blood sugar insulin vitamin iron fibre stress walking "
    "running stretching migraine tension anxiety diet salt pressure memory focus joint knee "
    "back neck posture breathing lungs asthma allergy pollen skin sun hydration kidney liver"
).split()


def write_corpus(root: Path, pages: int, version: int = 0, share: int = 1) -> None:
    """``pages`` article pages over 5 topic folders; ``version`` changes the text of every
    ``share``-th page (those whose number is ``version`` modulo ``share``)."""
    rng = random.Random(version)
    for n in range(pages):
        if n % share != version % share:
            continue
        words = [rng.choice(WORDS) for _ in range(120)]
        path = root / f"topic{n % 5}" / f"page-{n:04d}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            PAGE.format(
                title=f"Article {n} on {words[0]} and {words[1]}",
                lead=f"Article {n} marker{n} revision{version}. " + " ".join(words[:40]),
                body=" ".join(words[40:80]),
                advice=" ".join(words[80:]),
            ),
            encoding="utf-8",
        )


def index_command(corpus: Path, index_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "searchsvc", "index", str(corpus), "--index-dir", str(index_dir),
            "--workers", "2", *args]  # fmt: skip


def processes_of(needle: str) -> list[int]:
    """Live (not zombie) processes whose command line holds ``needle`` (the corpus path)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{name}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if needle in cmdline and state != "Z":
            found.append(int(name))
    return found


def children_of(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(c) for c in text.split()]


class QuietHandler(serving.WSGIRequestHandler):
    def log_request(self, *args) -> None:
        pass


class Poller:
    """A live server over the index and a thread asking it every few milliseconds."""

    def __init__(self, index_dir: Path) -> None:
        app = create_app({"TESTING": True, "INDEX_DIR": str(index_dir)})
        self.server = serving.make_server(
            "127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler
        )
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.statuses: dict[int, int] = {}
        self.errors: list[str] = []
        self.running = True
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()

    def get(self, path: str) -> int:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as resp:
                return resp.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def _poll(self) -> None:
        while self.running:
            try:
                status = self.get("/api/search?q=sleep+caffeine")
            except OSError as exc:
                self.errors.append(str(exc))
                status = 0
            self.statuses[status] = self.statuses.get(status, 0) + 1
            time.sleep(0.01)

    def stop(self) -> None:
        self.running = False
        self.thread.join(5)
        self.server.shutdown()


@dataclass
class Kill:
    mode: str  # "rebuild" or "incremental"
    delay: float  # seconds after start
    point: str  # "starting" (no lock yet), "parsing (N workers)", "locked" (walk, commit,
    # switch: the lock held, no workers) or "finished" (the run ended before the kill)
    leftovers: int  # processes of the run alive 2 s after the kill
    gone_after: float  # seconds until none was left
    next_run: float  # seconds the next run took
    next_ok: bool
    next_output: str = ""


@dataclass
class KillRounds:
    """Kill rounds over one corpus and index, with a server answering throughout."""

    root: Path
    pages: int = 300
    seed: int = 11
    kills: list[Kill] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.corpus = self.root / "corpus-kills"
        self.index_dir = self.root / "index"
        self.rng = random.Random(self.seed)
        self.version = 0
        write_corpus(self.corpus, self.pages)
        self.duration = {"rebuild": self._timed(), "incremental": 0.0}  # the first build
        self.poller = Poller(self.index_dir)
        self._change_pages()
        self.duration["incremental"] = self._timed()

    def _timed(self, *args: str) -> float:
        started = time.monotonic()
        run = subprocess.run(index_command(self.corpus, self.index_dir, *args), capture_output=True)
        assert run.returncode == 0, run.stderr.decode()
        return time.monotonic() - started

    def _change_pages(self) -> None:
        self.version += 1
        write_corpus(self.corpus, self.pages, version=self.version, share=3)

    def round(self, mode: str) -> Kill:
        """One kill of a ``mode`` run at a random point, then the checks' raw figures."""
        if mode == "incremental":
            self._change_pages()
        args = ("--rebuild",) if mode == "rebuild" else ()
        proc = subprocess.Popen(
            index_command(self.corpus, self.index_dir, *args),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started = time.monotonic()
        if self.rng.random() < 0.5:  # aim at the parse: wait for the workers, then a bit more
            while proc.poll() is None and len(children_of(proc.pid)) < 2:
                time.sleep(0.002)
            time.sleep(self.rng.uniform(0, self.duration[mode] * 0.3))
        else:
            time.sleep(self.rng.uniform(0, self.duration[mode] * 1.1))
        workers = len(children_of(proc.pid))
        finished = proc.poll() is not None  # reaped: its pid may not be signalled any more
        if not finished:
            os.kill(proc.pid, signal.SIGKILL)
        delay = time.monotonic() - started
        proc.wait()
        killed_at = time.monotonic()
        point = f"parsing ({workers} workers)" if workers else self._where(proc.pid)
        point = "finished" if finished else point
        while processes_of(str(self.corpus)) and time.monotonic() - killed_at < 2:
            time.sleep(0.005)
        gone_after = time.monotonic() - killed_at
        leftovers = len(processes_of(str(self.corpus)))
        t0 = time.monotonic()
        nxt = subprocess.run(index_command(self.corpus, self.index_dir), capture_output=True)
        kill = Kill(
            mode,
            delay,
            point,
            leftovers,
            gone_after,
            time.monotonic() - t0,
            nxt.returncode == 0,
            nxt.stderr.decode(errors="replace"),
        )
        self.kills.append(kill)
        return kill

    def _where(self, pid: int) -> str:
        try:
            holder = (self.index_dir / ".lock").read_text().strip()
        except OSError:
            holder = ""
        return "locked" if holder == str(pid) else "starting"

    def serving_ok(self) -> bool:
        """The live generation opens whole and the server answers 200 from it."""
        name = generation_name(self.index_dir)
        open_generation(self.index_dir, name)
        return self.poller.get("/healthz") == 200 and self.poller.get("/api/search?q=knee") == 200

    def close(self) -> None:
        self.poller.stop()


@pytest.mark.slow
def test_kill_9_at_random_points_never_needs_a_clean_up(tmp_path):
    rounds = KillRounds(tmp_path)
    try:
        for mode in ["rebuild", "incremental"] * 5:
            kill = rounds.round(mode)
            assert kill.leftovers == 0, kill
            assert kill.next_ok and "another `searchsvc index`" not in kill.next_output, kill
            assert rounds.serving_ok(), kill
    finally:
        rounds.close()
    assert set(rounds.poller.statuses) == {200}, (rounds.poller.statuses, rounds.poller.errors)
    assert any(k.point.startswith("parsing") for k in rounds.kills), rounds.kills

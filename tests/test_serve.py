"""`searchsvc serve` as a reader meets it: index the corpus, start gunicorn, answer HTTP."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from .conftest import PAGES, write_pages


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds}s")


@pytest.fixture
def served(tmp_path):
    write_pages(tmp_path / "corpus", PAGES)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "searchsvc", "serve", "--port", str(port), "--workers", "2"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        yield f"http://127.0.0.1:{port}", tmp_path
    finally:
        proc.terminate()
        proc.wait(10)


def test_serve_indexes_the_corpus_and_answers(served):
    url, _ = served
    with urllib.request.urlopen(f"{url}/api/search?q=caffeine+adenosine") as resp:
        data = json.load(resp)
    assert data["results"][0]["article_id"] == "sleep/caffeine"


def test_serve_picks_up_a_reindex_in_every_worker(served):
    url, root = served
    text = "Weighted blankets may calm anxious sleepers, though trials are small and mixed."
    write_pages(
        root / "corpus",
        {
            "sleep/blankets.html": PAGES["sleep/caffeine.html"].replace(
                "Caffeine blocks adenosine receptors, which delays the urge to sleep.", text
            )
        },
    )
    subprocess.run([sys.executable, "-m", "searchsvc", "index"], cwd=root, check=True)
    for _ in range(6):  # several requests, so both gunicorn workers answer
        with urllib.request.urlopen(f"{url}/api/search?q=weighted+blankets") as resp:
            assert json.load(resp)["results"][0]["article_id"] == "sleep/blankets"

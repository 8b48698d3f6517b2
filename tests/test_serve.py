"""`searchsvc serve` as a reader meets it: index the corpus, start gunicorn, answer HTTP."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from searchsvc import cli
from searchsvc.progress import Reporter

from .conftest import PAGES, make_index, write_pages


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


@contextlib.contextmanager
def start_serve(cwd, env=None):
    """`searchsvc serve` on a free port in ``cwd``, answering; its URL. Stopped afterwards."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "searchsvc", "serve", "--port", str(port), "--workers", "2"],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def served(tmp_path):
    write_pages(tmp_path / "corpus", PAGES)
    with start_serve(tmp_path) as url:
        yield url, tmp_path


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


# --- start-up: fail at once, with a message, before any work ----------------------------------


def run_serve(cwd, *args, env=None, timeout=30):
    """`searchsvc serve` run to its end (a start that must fail)."""
    return subprocess.run(
        [sys.executable, "-m", "searchsvc", "serve", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_serve_on_a_port_in_use_fails_at_once_saying_so(tmp_path):
    write_pages(tmp_path / "corpus", PAGES)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        result = run_serve(tmp_path, "--port", str(port))
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is in use: stop the other server or pass --port" in (
        result.stderr
    )
    assert "Serving on" not in result.stderr and time.monotonic() - started < 4
    assert not (tmp_path / "index").exists()  # checked before indexing, too


@pytest.fixture
def serve_cli(runner, monkeypatch):
    """Runs `searchsvc serve` in process up to the point where gunicorn would start."""
    started: list[tuple] = []
    monkeypatch.setattr(cli, "_run_gunicorn", lambda *args: started.append(args))

    def invoke(*args, env=None, **kwargs):
        result = runner.invoke(
            cli.main, ["serve", "--port", str(free_port()), *args], env=env, **kwargs
        )
        return result, started

    return invoke


@pytest.mark.parametrize("how", ["option", "environment"])
def test_serve_with_a_corpus_folder_that_is_not_there_fails_naming_it(serve_cli, tmp_path, how):
    typo = tmp_path / "typo"
    args = ["--index-dir", str(tmp_path / "ix")]
    if how == "option":
        result, started = serve_cli(*args, "--corpus-dir", str(typo))
    else:
        result, started = serve_cli(*args, env={"SEARCHSVC_CORPUS_DIR": str(typo)})
    assert result.exit_code == 1, result.output
    assert f"corpus folder not found: {typo}" in result.stderr and not started


def test_serve_without_the_default_corpus_serves_the_index_there_is(
    serve_cli, tmp_path, monkeypatch
):
    _, index_dir = make_index(tmp_path)
    monkeypatch.chdir(tmp_path / "corpus")  # no ./corpus here
    result, started = serve_cli("--index-dir", str(index_dir))
    assert result.exit_code == 0, result.output
    assert started and "No corpus folder corpus: serving the index" in result.stderr


def test_serve_without_corpus_or_index_says_how_to_build_one(serve_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result, started = serve_cli("--index-dir", str(tmp_path / "ix"))
    assert result.exit_code == 1 and not started
    assert "no index in" in result.stderr and "searchsvc index FOLDER" in result.stderr


def test_serve_indexes_with_searchsvc_workers(serve_cli, tmp_path, monkeypatch):
    corpus = write_pages(tmp_path / "corpus", PAGES)
    seen = []
    real = cli.update_index
    monkeypatch.setattr(cli, "update_index", lambda *a, **kw: seen.append(kw) or real(*a, **kw))
    args = ["--corpus-dir", str(corpus), "--index-dir", str(tmp_path / "ix")]
    result, _ = serve_cli(*args, env={"SEARCHSVC_WORKERS": "3"})
    assert result.exit_code == 0, result.output
    assert [kw["workers"] for kw in seen] == [3]


def test_serve_first_indexing_lists_skipped_pages_and_shows_progress(serve_cli, tmp_path):
    corpus = write_pages(tmp_path / "corpus", {**PAGES, "broken.html": b"\x89PNG\r\n\x1a\n" * 40})
    args = ["--corpus-dir", str(corpus), "--index-dir", str(tmp_path / "ix")]
    result, started = serve_cli(*args, obj=Reporter(interval=0))
    assert result.exit_code == 0 and started, result.output
    assert f"skipped {corpus / 'broken.html'}: " in result.stderr
    assert "Indexing: 6/6 pages (100%)" in result.stderr


@pytest.mark.parametrize("name", ["SEARCHSVC_PER_PAGE", "SEARCHSVC_CACHE_SIZE"])
def test_serve_checks_settings_before_anything(serve_cli, tmp_path, name):
    corpus = write_pages(tmp_path / "corpus", PAGES)
    args = ["--corpus-dir", str(corpus), "--index-dir", str(tmp_path / "ix")]
    result, started = serve_cli(*args, env={name: "abc"})
    assert result.exit_code == 2, result.output
    assert f"Error: {name}='abc' is not allowed: give a whole number" in result.stderr
    assert "Traceback" not in result.output and not started
    assert not (tmp_path / "ix").exists()


# --- two servers on one host ------------------------------------------------------------------


def test_two_serves_on_one_host_both_answer_and_share_no_control_socket(tmp_path):
    write_pages(tmp_path / "corpus", PAGES)
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    env = {"HOME": str(tmp_path / "home"), "XDG_RUNTIME_DIR": str(runtime)}
    with start_serve(tmp_path, env=env) as first, start_serve(tmp_path, env=env) as second:
        for url in (first, second):
            with urllib.request.urlopen(f"{url}/api/search?q=caffeine+adenosine") as resp:
                assert json.load(resp)["results"][0]["article_id"] == "sleep/caffeine"
        # gunicorn's default control socket, one per user, that the second would take over
        assert list(runtime.iterdir()) == [] and not (tmp_path / "home").exists()

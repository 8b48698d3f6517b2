"""Shared fixtures: seed-shaped HTML pages, real indexes on disk, a live HTTP server."""

from __future__ import annotations

import json
import os
import threading
import urllib.error
import urllib.request
from html import escape
from pathlib import Path

import pytest
from click.testing import CliRunner
from werkzeug import serving

from searchsvc.index import update_index
from searchsvc.web import create_app


@pytest.fixture(autouse=True)
def _clean_environ(monkeypatch):
    """A developer's SEARCHSVC_* variables must not change test results."""
    for key in list(os.environ):
        if key.startswith("SEARCHSVC_"):
            monkeypatch.delenv(key)


def article_html(
    title: str,
    sections: list[tuple[str, str]],
    *,
    topic: str | None = None,
    related: tuple[str, ...] = (),
    canonical: str | None = None,
) -> str:
    """A page in the seed's shape: chrome around a title, a lead and 'Heading:' paragraphs.

    ``sections`` are (heading, text) with raw HTML text; heading "" is the lead.
    """
    meta = f'<meta property="article:section" content="{topic}">' if topic else ""
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    body = []
    for heading, text in sections:
        if heading:
            body.append(f"<p>{escape(heading)}:</p>")
        body.append(f"<p>{text}</p>")
    body.insert(min(3, len(body)), '<p>[Also Explore: <a href="/promo">Quaalude 300mg</a>]</p>')
    rel = "".join(f'<p><a href="/{i}">{escape(r)}</a></p>' for i, r in enumerate(related))
    return f"""<!doctype html><html><head><title>{escape(title)} | Health Site</title>{meta}{link}
<script>var tracking = "analytics";</script></head><body>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies</div>
<header><a href="/">Health Site</a><nav><a href="/medicines">Medicines</a>
<a href="/conditions">Conditions</a></nav></header>
<article><h1>{escape(title)}</h1>{"".join(body)}
<p>Related Topics: </p>{rel}</article>
<div id="respond"><h3>Leave a Comment</h3><form><p>Your email address will not be published.
Required fields are marked *</p><textarea name="comment"></textarea></form></div>
<footer>Copyright Health Site. Privacy policy.</footer></body></html>"""


SEED = article_html(
    "How Does Diazepam Work For Back Pain?",
    [
        (
            "",
            "Back pain is a prevalent issue affecting millions worldwide. Diazepam, a "
            "benzodiazepine, has emerged as a potential solution for managing back pain.",
        ),
        (
            "Understanding Back Pain",
            "Often caused by muscle strain, injury, or underlying "
            "medical conditions, back pain can manifest in various forms. Spasms are common.",
        ),
        (
            "Diazepam and Its Mechanism of Action",
            "Diazepam enhances the inhibitory "
            "neurotransmitter gamma-aminobutyric acid (GABA) in the central nervous system.",
        ),
        (
            "Efficacy in Back Pain Management",
            "Several studies have explored the efficacy of "
            "diazepam when muscle spasms are a significant contributor to the discomfort.",
        ),
    ],
    related=("How Does Diazepam Work As A Muscle Relaxant", "How Does Diazepam Work For Anxiety?"),
)

PAGES: dict[str, str] = {
    "medicines/diazepam-back-pain.html": SEED,
    "medicines/ibuprofen.html": article_html(
        "How Ibuprofen Eases Inflammation",
        [
            ("", "Ibuprofen is a non-steroidal anti-inflammatory drug used for pain and fever."),
            ("How It Works", "It blocks cyclooxygenase enzymes that make prostaglandins."),
            ("Side Effects", "Stomach irritation is the most common side effect of ibuprofen."),
        ],
    ),
    "sleep/caffeine.html": article_html(
        "Caffeine and Sleep",
        [
            ("", "Caffeine blocks adenosine receptors, which delays the urge to sleep."),
            ("How Long Caffeine Lasts", "Its half-life is about five hours in most adults."),
        ],
        topic="Sleep",
    ),
    "sleep/insomnia.html": article_html(
        "Cognitive Behavioural Therapy for Insomnia",
        [
            ("", "CBT for insomnia retrains the link between bed and sleep without medication."),
            ("Sleep Restriction", "Time in bed is limited at first to build sleep pressure."),
        ],
    ),
    "wellbeing/fake-sites.html": article_html(
        "Spotting Fake Health Websites",
        [
            ("", "Some pages hide code such as &lt;script&gt;alert(1)&lt;/script&gt; in comments."),
            (
                "Warning Signs",
                "Miracle cures, hidden owners and pushy sales are warning signs.",
            ),
        ],
        topic="Wellbeing",
    ),
}


BASE_URL = "https://health.example"


def write_pages(root: Path, pages: dict[str, str | bytes]) -> Path:
    for rel, content in pages.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def make_index(tmp_path: Path, pages: dict[str, str | bytes] | None = None) -> tuple[Path, Path]:
    """Write pages into tmp_path/corpus and index them into tmp_path/index."""
    corpus = write_pages(tmp_path / "corpus", PAGES if pages is None else pages)
    index_dir = tmp_path / "index"
    update_index(corpus, index_dir, workers=1, base_url=BASE_URL)
    return corpus, index_dir


@pytest.fixture(scope="session")
def shared_index(tmp_path_factory) -> Path:
    """A read-only index of PAGES shared by the tests that only search."""
    _, index_dir = make_index(tmp_path_factory.mktemp("shared"))
    return index_dir


@pytest.fixture
def runner() -> CliRunner:
    """Runs the CLI with the base URL ``make_index`` indexes with, so runs stay incremental."""
    return CliRunner(env={"SEARCHSVC_BASE_URL": BASE_URL})


class LiveServer:
    """The app served over real HTTP on a loopback port, in a background thread."""

    def __init__(self, app) -> None:
        self.app = app
        self.server = serving.make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def get(self, path: str) -> tuple[int, str, str]:
        """(status, content type, body) of a GET; error statuses are returned, not raised."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=30) as resp:
                return resp.status, resp.headers["Content-Type"], resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers["Content-Type"], exc.read().decode()

    def get_json(self, path: str) -> tuple[int, dict]:
        status, ctype, body = self.get(path)
        assert ctype.startswith("application/json"), (status, ctype, body[:300])
        return status, json.loads(body)

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)


def serve(index_dir: Path, **config):
    return LiveServer(create_app({"TESTING": True, "INDEX_DIR": str(index_dir), **config}))


@pytest.fixture
def make_server():
    """A factory of live servers (as Datasette's ``make_app_client``), all stopped afterwards."""
    servers: list[LiveServer] = []

    def factory(index_dir: Path, **config) -> LiveServer:
        server = serve(index_dir, **config)
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def live(shared_index):
    server = serve(shared_index)
    yield server
    server.stop()

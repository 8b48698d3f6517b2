"""Hostile pages: deep nesting, huge pages, gzip bombs, junk bytes. Never a crash, never slow.

Every page of at most 2 MB extracts in at most 2 s of CPU, whatever its shape, or is refused
with a clear per-file error. Times are process CPU time, so a busy shared machine does not
make them flaky. ``benchmarks/hostile.py`` runs the same strategies for many more examples.
"""

from __future__ import annotations

import gzip
import resource
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchsvc.corpus import PageFile, parse_page, read_page
from searchsvc.extract import ExtractError, extract_article
from searchsvc.extract.records import MAX_FIELD_CHARS
from tests.test_hostile_strategies import WORD, hostile_documents, nested

# The 2 s target is measured by `python benchmarks/hostile.py` (speed lives in benchmarks).
# Here the bound only has to catch the quadratic costs coming back (they took minutes), with
# room for a busy machine: five times the target, in CPU seconds.
TARGET_SECONDS = 10.0


def cpu_seconds(fn, *args, **kwargs):
    start = time.process_time()
    try:
        return fn(*args, **kwargs), time.process_time() - start
    except ExtractError as exc:
        return exc, time.process_time() - start


def page_file(path: Path) -> PageFile:
    st_ = path.stat()
    return PageFile(path, path.name.split(".")[0], st_.st_size, st_.st_mtime_ns)


# The shapes of issue #11: at full size (refused by MAX_PAGE_TAGS at once), and at the most
# tags allowed (extracted, with no limit on tags, within the target).
SHAPES = [
    ("table", "<table><tr><td>", "</td></tr></table>", 20_000),
    ("ul", "<ul><li>", "", 49_061),
    ("blockquote", "<blockquote>", "", 39_418),
]


@pytest.mark.parametrize(("name", "opening", "closing", "count"), SHAPES)
def test_full_size_nesting_is_refused_quickly(name, opening, closing, count):
    html = nested(opening, closing, count)
    result, seconds = cpu_seconds(extract_article, html, article_id=name)
    assert isinstance(result, ExtractError) and "SEARCHSVC_MAX_PAGE_TAGS" in str(result)
    assert seconds < TARGET_SECONDS


@pytest.mark.parametrize(("name", "opening", "closing", "count"), SHAPES)
def test_nesting_at_the_tag_limit_extracts_in_time(name, opening, closing, count):
    per_level = opening.count("<")
    html = nested(opening, closing, 29_990 // per_level)
    result, seconds = cpu_seconds(extract_article, html, article_id=name, max_tags=None)
    assert seconds < TARGET_SECONDS, f"{name}: {seconds:.2f} s"
    assert not isinstance(result, Exception) or "no article text" in str(result)


def test_nesting_deeper_than_the_limit_is_linear_without_it():
    # 20,000 nested table cells took 3 min 32 s before; with no tag limit now a few seconds.
    html = nested("<table><tr><td>", "</td></tr></table>", 6_000)
    _, seconds = cpu_seconds(extract_article, html, article_id="t", max_tags=None)
    assert seconds < TARGET_SECONDS


@pytest.mark.parametrize(
    "html",
    [
        "<html><body>" + f"<p>{WORD}</p><script></script>" * 8_000,  # sibling removals
        "<html><body>" + f"<div>{WORD}<input type=email>" * 8_000,  # sign-up box walks
        "<html><body>" + f"<div class=related>Read more <a href=/x>{WORD}</a>" * 8_000,
        "<html><body>" + f"<h2>Heading</h2><p>{WORD}</p>" * 8_000,  # repeated anchors
        "<html><body>" + f"<div id=a><h2 id=h>{WORD}</h2><p>{WORD}</p></div>" * 8_000,
    ],
    ids=["scripts", "email-boxes", "related", "headings", "ids"],
)
def test_other_quadratic_shapes_are_linear(html):
    _, seconds = cpu_seconds(extract_article, html, article_id="x", max_tags=None)
    assert seconds < TARGET_SECONDS


def test_a_line_of_digits_is_not_a_regex_bomb():
    # The reading-time pattern once nested its quantifiers: 30 digits took minutes.
    html = "<html><body><article><p>" + "1" * 140 + "</p><p>" + WORD * 5 + "</p></article>"
    _, seconds = cpu_seconds(extract_article, html, article_id="d")
    assert seconds < TARGET_SECONDS


def test_gzip_bomb_is_refused_with_bounded_memory(tmp_path):
    path = tmp_path / "bomb.html.gz"
    with gzip.open(path, "wb", compresslevel=9) as f:
        for _ in range(256):
            f.write(b" " * (1 << 20))  # 256 MiB of spaces, about 250 KB on disk
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    parsed, seconds = cpu_seconds(parse_page, page_file(path))
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert "SEARCHSVC_MAX_DECOMPRESSED_MB" in parsed.error and seconds < TARGET_SECONDS
    assert grown_mb < 64


def test_page_over_the_size_limit_is_not_read(tmp_path, monkeypatch):
    path = tmp_path / "huge.html"
    with path.open("wb") as f:
        f.truncate(9 * 1024 * 1024)  # sparse: 9 MB that cost nothing to make
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read the file"))
    with pytest.raises(ExtractError, match=r"9,437,184 bytes .* 8 MB .*SEARCHSVC_MAX_PAGE_MB"):
        read_page(path)


def test_page_size_limit_comes_from_the_setting(tmp_path, monkeypatch):
    path = tmp_path / "page.html"
    path.write_bytes(b"<p>" + b"x" * (2 * 1024 * 1024))
    monkeypatch.setenv("SEARCHSVC_MAX_PAGE_MB", "1")
    assert "1 MB limit (SEARCHSVC_MAX_PAGE_MB)" in parse_page(page_file(path)).error


def test_fields_are_cut_to_their_limits():
    title, text = "T" * 1_000_000, ("word " * 50_000).strip()
    html = (
        f'<html><head><meta property="og:title" content="{title}"></head>'
        f"<body><article><h2>{'H' * 5000}</h2><p>{text}</p></article></body></html>"
    )
    article = extract_article(html, article_id="big")
    assert len(article.title) == MAX_FIELD_CHARS["title"]
    assert all(len(s.text) <= MAX_FIELD_CHARS["text"] for s in article.sections)


@settings(
    max_examples=60,
    deadline=None,  # timed below in CPU seconds instead of wall time on a shared machine
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(hostile_documents())
def test_hostile_pages_never_crash(data):
    result, seconds = cpu_seconds(extract_article, data, article_id="h")
    assert not isinstance(result, Exception) or isinstance(result, ExtractError)
    assert seconds < TARGET_SECONDS


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=hostile_documents(), gz=st.booleans())
def test_parse_page_never_raises(tmp_path_factory, data, gz):
    path = tmp_path_factory.mktemp("h") / ("page.html.gz" if gz else "page.html")
    path.write_bytes(gzip.compress(data) if gz else data)
    parsed = parse_page(page_file(path))
    assert (parsed.article is None) != (parsed.error is None)

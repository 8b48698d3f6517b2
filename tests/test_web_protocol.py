"""Issue #11, points 3 and 4 in the app: POST /api/search, 405s with Allow, plain-digit paging,
queries with nothing to look for, and the security headers (checked in Chromium for CSP
violations too). Over real HTTP on a loopback port; gunicorn's part is test_attack_gunicorn."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from searchsvc.web import SECURITY_HEADERS


def post(live, body, content_type="application/json") -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        live.url + "/api/search", data=data, headers={"Content-Type": content_type}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.load(exc)


def same(a: dict, b: dict) -> bool:
    return {**a, "took_ms": 0} == {**b, "took_ms": 0}


@pytest.mark.parametrize(
    "query, body",
    [
        ("q=caffeine+sleep", {"q": "caffeine sleep"}),
        ("q=sleep&topic=sleep&page=1&per_page=1", {"q": "sleep", "topic": "sleep", "per_page": 1}),
        ("topic=sleep", {"topic": "sleep"}),
        ("q=a*", {"q": "a*"}),
        ("q=x&per_page=101", {"q": "x", "per_page": 101}),
    ],
)
def test_post_answers_as_get(live, query, body):
    get_status, get_body = live.get_json("/api/search?" + query)
    post_status, post_body = post(live, body)
    assert post_status == get_status and same(post_body, get_body)


@pytest.mark.parametrize(
    "body",
    [b"q=sleep", b"[1]", b"{", {"q": 1}, {"q": "x", "page": "2"}, {"q": "x", "page": True},
     {"q": "x", "sort": "new"}],
)  # fmt: skip
def test_a_bad_body_is_a_400(live, body):
    status, data = post(live, body)
    assert status == 400 and data["ok"] is False and data["status"] == 400


def test_405_says_what_is_allowed(live):
    request = urllib.request.Request(live.url + "/api/topics", method="DELETE")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    with caught.value as answer:
        assert answer.code == 405 and "GET" in answer.headers["Allow"]
        assert json.load(answer)["status"] == 405


@pytest.mark.parametrize("value", ["١٢", "1_000", " +7 ", "+7", "7 ", "", "1e2", "0x10"])
def test_paging_takes_plain_ascii_digits_only(live, value):
    status, data = live.get_json(f"/api/search?q=sleep&page={urllib.request.quote(value)}")
    assert status == 400 and "page" in data["error"]


def test_repeated_parameters_are_refused(live):
    status, data = live.get_json("/api/search?q=sleep&page=1&page=2")
    assert status == 400 and "more than once" in data["error"]


@pytest.mark.parametrize("q", ["???", "...!", "   ", "-alcohol", "the of and", ""])
def test_nothing_to_look_for_is_200_with_a_notice(live, q):
    status, data = live.get_json(f"/api/search?q={urllib.request.quote(q)}")
    assert status == 200 and data["total"] == 0 and data["notice"]


def test_the_spec_describes_the_post_body(live):
    _, spec = live.get_json("/openapi.json")
    post_op = spec["paths"]["/api/search"]["post"]
    schema = post_op["requestBody"]["content"]["application/json"]["schema"]
    from searchsvc import web

    assert set(schema["properties"]) == set(web.BODY_TYPES)  # what the app reads from a body
    assert "minLength" not in spec["paths"]["/api/search"]["get"]["parameters"][0]["schema"]


@pytest.mark.parametrize("path", ["/", "/search?q=sleep", "/api/search?q=sleep", "/nope"])
def test_security_headers_on_every_answer(live, path):
    try:
        with urllib.request.urlopen(live.url + path, timeout=10) as resp:
            headers = resp.headers
    except urllib.error.HTTPError as exc:
        with exc:
            headers = exc.headers
    assert {k: headers[k] for k in SECURITY_HEADERS} == SECURITY_HEADERS


def test_corpus_pages_keep_their_sandbox(tmp_path, make_server):
    from .conftest import make_index

    corpus, index_dir = make_index(tmp_path)
    server = make_server(index_dir, BASE_URL="/", CORPUS_DIR=str(corpus))
    with urllib.request.urlopen(server.url + "/sleep/caffeine", timeout=10) as resp:
        assert resp.headers["Content-Security-Policy"] == "sandbox allow-popups"
        assert resp.headers["X-Frame-Options"] == "DENY"


@pytest.mark.browser
def test_no_csp_violation_in_chromium(live):
    sync_api = pytest.importorskip("playwright.sync_api")
    try:
        pw = sync_api.sync_playwright().start()
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
    except Exception as exc:
        pytest.skip(f"Chromium cannot start: {exc}")
    messages: list[str] = []
    try:
        page = browser.new_page()
        page.on("console", lambda m: messages.append(m.text))
        page.goto(live.url + "/search?q=caffeine+sleep")
        assert page.locator("ol.results li.result").count() > 0
        color = page.evaluate("getComputedStyle(document.querySelector('mark')).backgroundColor")
        page.goto(live.url + "/api/search?q=caffeine+sleep")
        assert json.loads(page.locator("body").inner_text())["ok"] is True
    finally:
        browser.close()
        pw.stop()
    assert color == "rgb(255, 241, 168)"  # style.css applied under the policy
    assert [m for m in messages if "Content Security Policy" in m] == []

"""/openapi.json describes the API as it behaves: real answers validate against its schemas."""

from __future__ import annotations

import jsonschema
import pytest

CALLS = [
    ("/api/search", "/api/search?q=diazepam+back+pain", 200),
    ("/api/search", "/api/search?q=sleep&topic=sleep&page=1&per_page=1", 200),
    ("/api/search", "/api/search?q=a*", 400),
    ("/api/search", "/api/search?q=x&per_page=101", 400),
    ("/api/topics", "/api/topics", 200),
    ("/api/stats", "/api/stats", 200),
    ("/healthz", "/healthz", 200),
]


@pytest.fixture(scope="module")
def spec(live):
    status, spec = live.get_json("/openapi.json")
    assert status == 200
    return spec


def test_spec_is_openapi_3(spec):
    assert spec["openapi"].startswith("3.") and spec["info"]["title"] == "searchsvc"


def test_every_api_route_is_described(spec, live):
    from searchsvc.web import create_app

    app = create_app({"INDEX_DIR": "unused"})
    routes = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/api/")}
    assert routes <= set(spec["paths"])


@pytest.mark.parametrize("path, url, status", CALLS)
def test_answers_match_the_described_schema(spec, live, path, url, status):
    got_status, body = live.get_json(url)
    assert got_status == status
    schema = spec["paths"][path]["get"]["responses"][str(status)]["content"]
    jsonschema.validate(body, schema["application/json"]["schema"])


def _example(param: dict) -> str:
    if "enum" in param["schema"]:
        return param["schema"]["enum"][-1]
    return "1" if param["schema"]["type"] == "integer" else "sleep"


def test_every_described_parameter_is_accepted_together(spec, live):
    params = spec["paths"]["/api/search"]["get"]["parameters"]
    query = "&".join(f"{p['name']}={_example(p)}" for p in params)
    status, body = live.get_json(f"/api/search?{query}")
    assert status == 200, body


def test_a_parameter_the_spec_does_not_describe_is_refused(spec, live):
    described = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert "order" not in described
    status, body = live.get_json("/api/search?q=sleep&order=newest")
    assert status == 400 and "'order'" in body["error"]


def test_every_described_number_is_read_by_the_app(spec, live):
    params = spec["paths"]["/api/search"]["get"]["parameters"]
    numbers = [p["name"] for p in params if p["schema"]["type"] == "integer"]
    assert numbers
    for name in numbers:
        status, body = live.get_json(f"/api/search?q=sleep&{name}=x")
        assert status == 400 and name in body["error"], (name, body)

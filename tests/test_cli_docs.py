"""README's API examples are real answers over the sample corpus, not remembered ones."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from searchsvc.index import update_index
from searchsvc.web import create_app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def sample_client(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("sample-index")
    update_index(ROOT / "corpus", index_dir, workers=1)
    return create_app({"INDEX_DIR": str(index_dir), "TESTING": True}).test_client()


def documented(path: str) -> dict:
    curl = re.escape(f"curl 'http://127.0.0.1:8000{path}'")
    return json.loads(re.search(curl + r"\n```\n\n```json\n(.*?)\n```", README, re.S).group(1))


def test_readme_search_example_is_the_sample_corpus_answer(sample_client):
    path = "/api/search?q=diazepam+back+pain&per_page=1"
    real = sample_client.get(path).get_json()
    assert {**documented(path), "took_ms": None} == {**real, "took_ms": None}


def test_readme_stats_are_the_sample_corpus_stats(sample_client):
    real = sample_client.get("/api/stats").get_json()
    row = re.search(r"^\| `GET /api/stats` \| `(.*?)` \|", README, re.M).group(1)
    assert {**json.loads(row), "built_at": None} == {**real, "built_at": None}

"""The shared text rules: one slug and one clean for extraction and query parsing."""

from __future__ import annotations

import pytest

from searchsvc.text import clean, slugify


@pytest.mark.parametrize(
    ("text", "slug"),
    [("Santé Publique", "sante-publique"), ("  --Sleep & Rest!-- ", "sleep-rest"), ("", "")],
)
def test_slugify_folds_accents_and_punctuation(text, slug):
    assert slugify(text) == slug


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("  two\n\tlines\u00a0here ", "two lines here"),
        ("zero\u200bwidth\ufeff", "zerowidth"),
        ("non\u200cjoiner\u200d and\u2060joiner", "nonjoiner andjoiner"),
    ],
    ids=["whitespace", "zero-width-space-and-bom", "joiners"],
)
def test_clean_collapses_whitespace_and_drops_invisible_characters(text, cleaned):
    assert clean(text) == cleaned


def test_query_topic_filter_uses_the_same_slug_as_extraction():
    from searchsvc.search import parse_query

    assert parse_query("topic:Santé vaccines").topics == [slugify("Santé")]

"""What readers type, parsed: one table of inputs and what each means."""

from __future__ import annotations

import pytest

from searchsvc.errors import BadQuery
from searchsvc.query import parse_query

CASES = [
    ("diazepam back pain", {"words": ["diazepam", "back", "pain"]}),
    ('"back pain" relief', {"phrases": ["back pain"], "words": ["relief"]}),
    ('"unclosed phrase', {"phrases": ["unclosed phrase"]}),
    ("-alcohol sleep", {"excluded": ["alcohol"], "words": ["sleep"]}),
    ('-"side effects" ibuprofen', {"excluded": ["side effects"], "words": ["ibuprofen"]}),
    ("topic:sleep caffeine", {"topics": ["sleep"], "words": ["caffeine"]}),
    ('topic:"Mental Health" stress', {"topics": ["mental-health"], "words": ["stress"]}),
    ("topic:Santé", {"topics": ["sante"]}),
    ("-topic:diet fat", {"excluded_topics": ["diet"], "words": ["fat"]}),
    ("ibupro*", {"prefixes": ["ibupro"]}),
    ("what is caffeine's half-life?", {"words": ["what", "is", "caffeine's", "half-life?"]}),
    ("( ) ? -", {}),
    (
        'a long pasted "passage" with - dashes and topic:words that go on past twelve words',
        {"topics": [], "phrases": []},
    ),
]


@pytest.mark.parametrize("text, expected", CASES)
def test_parse_query(text, expected):
    parsed = parse_query(text)
    for field, value in expected.items():
        assert getattr(parsed, field) == value, field
    if not expected:
        assert parsed.is_empty


@pytest.mark.parametrize("text", ["a*", "topic:", '-topic:""'])
def test_malformed_queries_say_why(text):
    with pytest.raises(BadQuery):
        parse_query(text)

"""The OpenAPI 3 description of the JSON API, served at ``/openapi.json``.

Kept as data beside the code it describes; ``tests/test_openapi.py`` sends real requests to
every path here and validates the answers against these schemas, so the two cannot drift.
"""

from __future__ import annotations

from collections.abc import Mapping

from .config import DEFAULTS

ERROR = {
    "type": "object",
    "required": ["ok", "error", "status"],
    "properties": {
        "ok": {"type": "boolean", "const": False},
        "error": {"type": "string", "description": "What went wrong and what to do."},
        "status": {"type": "integer"},
    },
}

FACET = {
    "type": "object",
    "required": ["value", "label", "count"],
    "properties": {
        "value": {"type": "string", "description": "The topic's slug, for topic= filters."},
        "label": {"type": "string", "description": "The topic as pages name it."},
        "count": {"type": "integer", "minimum": 0},
    },
}

SECTION = {
    "type": "object",
    "required": ["heading", "anchor", "url", "score"],
    "properties": {
        "heading": {"type": "string"},
        "anchor": {"type": "string"},
        "url": {"type": "string"},
        "score": {"type": "number"},
    },
}

RESULT = {
    "type": "object",
    "required": [
        "article_id",
        "url",
        "article_url",
        "title",
        "topic",
        "topic_label",
        "heading",
        "anchor",
        "score",
        "snippet",
        "more_sections",
    ],
    "properties": {
        "article_id": {"type": "string", "description": "Page path below the corpus root."},
        "url": {"type": "string", "description": "Link to the best section (#fragment)."},
        "article_url": {"type": "string", "description": "Link to the article itself."},
        "title": {"type": "string"},
        "topic": {"type": "string"},
        "topic_label": {"type": "string"},
        "heading": {"type": "string", "description": "Best section's heading; '' for the lead."},
        "anchor": {"type": "string"},
        "published": {
            "type": ["string", "null"],
            "description": "ISO 8601: a date (2024-02-03) or a date-time with its offset.",
        },
        "score": {"type": "number"},
        "snippet": {
            "type": ["string", "null"],
            "description": "HTML: matched words in <mark>, everything else escaped.",
        },
        "more_sections": {"type": "array", "items": SECTION},
    },
}

SEARCH = {
    "type": "object",
    "required": [
        "ok",
        "query",
        "total",
        "page",
        "per_page",
        "pages",
        "took_ms",
        "results",
        "facets",
        "suggestion",
        "sort",
        "notice",
    ],
    "properties": {
        "ok": {"type": "boolean", "const": True},
        "query": {"type": "string"},
        "topic": {"type": ["string", "null"]},
        "total": {"type": "integer", "description": "Matching articles."},
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
        "pages": {"type": "integer"},
        "took_ms": {"type": "number"},
        "results": {"type": "array", "items": RESULT},
        "facets": {
            "type": "object",
            "properties": {"topic": {"type": "array", "items": FACET}},
        },
        "suggestion": {"type": ["string", "null"], "description": "Did you mean…"},
        "sort": {
            "enum": ["relevance", "newest"],
            "description": "newest when asked for, or when a topic is listed without words.",
        },
        "notice": {
            "type": ["string", "null"],
            "description": (
                "Why nothing was searched: the query is empty, has no words (only spaces "
                "or punctuation), only leaves things out (-word), or only has words too "
                "common to index. Such a query is not an error: it answers 200, no results."
            ),
        },
    },
}

TOPICS = {
    "type": "object",
    "required": ["ok", "topics"],
    "properties": {"ok": {"const": True}, "topics": {"type": "array", "items": FACET}},
}

STATS = {
    "type": "object",
    "required": ["ok", "documents", "sections", "topics", "built_at", "generation", "version"],
    "properties": {
        "ok": {"const": True},
        "documents": {"type": "integer", "description": "Articles indexed."},
        "sections": {"type": "integer"},
        "topics": {"type": "integer"},
        "built_at": {"type": "string", "format": "date-time"},
        "generation": {"type": "string"},
        "version": {"type": "string"},
    },
}

HEALTH = {
    "type": "object",
    "required": ["ok", "generation"],
    "properties": {"ok": {"const": True}, "generation": {"type": "string"}},
}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query_param(name: str, schema: dict, description: str, required: bool = False) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
    }


UNAVAILABLE = _json(ERROR, "No index has been built yet.")
BAD_SEARCH = (
    "A request that cannot be searched: a malformed query (a "
    "prefix of fewer than 2 letters such as a*, topic: without a name, more than the longest "
    "query); page or per_page not whole numbers in plain digits or out of range; a parameter "
    "(or body key) the endpoint does not take. A request with nothing to look for (no q or "
    "topic, a q of only spaces, punctuation, exclusions or common words) is not one: it "
    "answers 200 with no results and a notice."
)
LONG_URL = "A request line over 8,190 bytes (gunicorn's limit): send the query as POST /api/search."
Q_HELP = (
    'Words (any may match), "phrases" (required), -word (excluded), topic:name (filter), '
    "word* (prefix)."
)


SORT_HELP = (
    "relevance (default): best match first; newest: the matching articles, newest first "
    "(undated ones last)."
)


def search_body(config: Mapping[str, object] = DEFAULTS) -> dict:
    """The JSON body of ``POST /api/search``: the GET parameters as keys."""
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "q": {"type": "string", "maxLength": config["MAX_QUERY_LENGTH"], "description": Q_HELP},
            "topic": {"type": ["string", "null"], "description": "Only this topic."},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": config["MAX_PER_PAGE"]},
            "sort": {
                "type": ["string", "null"],
                "enum": ["relevance", "newest", None],
                "description": SORT_HELP,
            },
        },
        "example": {"q": "caffeine sleep", "page": 1},
    }


def openapi_spec(version: str, config: Mapping[str, object] = DEFAULTS) -> dict:
    """The API description, with this release's version and the app's configured limits."""
    per_page, max_per_page = config["PER_PAGE"], config["MAX_PER_PAGE"]
    max_length = config["MAX_QUERY_LENGTH"]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "searchsvc",
            "version": version,
            "description": "Full-text search over a site's articles.",
        },
        "paths": {
            "/api/search": {
                "get": {
                    "summary": "Ranked articles for a query, best section first, with snippets.",
                    "description": (
                        "Give q, topic or both. With q, articles are ranked by relevance; "
                        "with only a topic (topic= or q=topic:name), that topic's articles "
                        "are listed newest first."
                    ),
                    "parameters": [
                        _query_param("q", {"type": "string", "maxLength": max_length}, Q_HELP),
                        _query_param(
                            "topic",
                            {"type": "string"},
                            "Only this topic; without q, lists it newest first.",
                        ),
                        _query_param("page", {"type": "integer", "minimum": 1}, "1-based page."),
                        _query_param(
                            "per_page",
                            {"type": "integer", "minimum": 1, "maximum": max_per_page},
                            f"Results per page (default {per_page}).",
                        ),
                        _query_param(
                            "sort", {"type": "string", "enum": ["relevance", "newest"]}, SORT_HELP
                        ),
                    ],
                    "responses": {
                        "200": _json(SEARCH, "Results."),
                        "400": _json(ERROR, BAD_SEARCH),
                        "414": _json(ERROR, LONG_URL),
                        "503": UNAVAILABLE,
                    },
                },
                "post": {
                    "summary": "The same search, its parameters in a JSON body.",
                    "description": (
                        "For queries too long for a URL (a request line over 8,190 bytes is "
                        "refused with 414). Same answers as GET."
                    ),
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": search_body(config)}},
                    },
                    "responses": {
                        "200": _json(SEARCH, "Results."),
                        "400": _json(ERROR, BAD_SEARCH),
                        "413": _json(ERROR, "A body over 64 KB."),
                        "503": UNAVAILABLE,
                    },
                },
            },
            "/api/topics": {
                "get": {
                    "summary": "Topics with their article counts.",
                    "responses": {"200": _json(TOPICS, "Topics."), "503": UNAVAILABLE},
                }
            },
            "/api/stats": {
                "get": {
                    "summary": "What the live index holds and when it was built.",
                    "responses": {"200": _json(STATS, "Index statistics."), "503": UNAVAILABLE},
                }
            },
            "/healthz": {
                "get": {
                    "summary": "Ready to answer: an index is open.",
                    "responses": {"200": _json(HEALTH, "Ready."), "503": UNAVAILABLE},
                }
            },
        },
        "components": {"schemas": {"Error": ERROR, "SearchResponse": SEARCH}},
    }

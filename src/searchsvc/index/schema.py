"""What one indexed section is: the Whoosh schema, the section body's layout, its postings.

One Whoosh document per article section. ``body`` (title + heading + section text, laid out
by :func:`section_body`, the one place that layout is written) carries the ranking; ``title``
and ``heading`` are indexed again on their own so a match there can be boosted, and ``exact``
holds body's words unstemmed so the word form the reader typed can be; ``text`` is stored for
snippets. Whoosh pickles the schema into the index, so the classes used here are part of the
on-disk format (``store.FORMAT``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator

from whoosh.fields import ID, NUMERIC, STORED, Schema

from .._whoosh import Prepared, PreparedText, frequency_postings, positions_postings
from ..extract import Article
from ..text import topic_label
from ..ranking import exact_analyzer, term_positions, terms, text_analyzer, words

BODY, TITLE, HEADING, EXACT = "body", "title", "heading", "exact"
RANKED_FIELDS = (BODY, TITLE, HEADING, EXACT)


def make_schema() -> Schema:
    ranked = text_analyzer()
    return Schema(
        key=ID(unique=True),
        article_id=ID(stored=True, sortable=True),
        anchor=STORED(),
        url=STORED(),
        published=ID(stored=True, sortable=True),  # ISO 8601, so text order is time order
        position=NUMERIC(stored=True),
        topic=ID(stored=True, sortable=True),
        topic_label=STORED(),
        title=PreparedText(analyzer=ranked, stored=True, phrase=False),
        heading=PreparedText(analyzer=ranked, stored=True, phrase=False),
        body=PreparedText(analyzer=ranked),
        exact=PreparedText(analyzer=exact_analyzer(), phrase=False),
        text=STORED(),
    )


def section_body(title: str, heading: str, text: str) -> str:
    """The text ``body`` and ``exact`` index for a section (suggestions read it back too)."""
    return f"{title}\n{heading}\n{text}"


def section_documents(article: Article) -> Iterator[dict]:
    """The Whoosh documents for one article, one per section."""
    for position, section in enumerate(article.sections):
        body = section_body(article.title, section.heading, section.text)
        yield {
            "key": f"{article.id}#{position}",
            "article_id": article.id,
            "anchor": section.anchor,
            "url": article.url,
            "published": article.published,
            "position": position,
            "topic": article.topic,
            "topic_label": topic_label(article.topic, article.topic_label),
            "title": article.title,
            "heading": section.heading,
            BODY: body,
            EXACT: body,
            "text": section.text,
        }


def prepare_documents(article: Article) -> list[dict]:
    """``section_documents`` with the ranked fields analysed into ``Prepared`` postings.

    Runs in the parse workers. Uses ``ranking``'s fast analysis, which ``tests/test_ranking.py``
    holds equal to the schema's analyzers.
    """
    docs = []
    for doc in section_documents(article):
        doc["_stored_title"], doc["_stored_heading"] = doc["title"], doc["heading"]
        doc[TITLE] = _frequencies(terms(doc["title"]))
        doc[HEADING] = _frequencies(terms(doc["heading"]))
        doc[EXACT] = _frequencies(words(doc[EXACT]))
        doc[BODY] = _positions(doc[BODY])
        docs.append(doc)
    return docs


def _positions(text: str) -> Prepared:
    found: dict[str, list[int]] = defaultdict(list)
    for pos, term in term_positions(text):
        found[term].append(pos)
    return positions_postings(found)


def _frequencies(tokens: list[str]) -> Prepared:
    return frequency_postings(Counter(tokens).items())

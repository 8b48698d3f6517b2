"""HTML page -> Article: title, topic, sections and related links, without page chrome.

This package owns turning one saved article page into an :class:`Article`. The stages, one
module each, in the order :func:`extract_article` runs them:

- :mod:`.decode` — bytes to text by the page's declared charset, parsing with lxml;
- :mod:`.metadata` — canonical URL, title, topic, description, publication date;
- :mod:`.related` — related-reading links, taken out of the page;
- :mod:`.chrome` — what is not article: junk, furniture, promos, reader comments;
- :mod:`.body` — which element(s) hold the article;
- :mod:`.blocks` — the body as text blocks in reading order;
- :mod:`.sections` — blocks cut at headings into :class:`Section` objects.

:mod:`.dom` holds the element helpers they share, :mod:`.records` the dataclasses, and
:mod:`searchsvc.text` the slug and whitespace rules shared with query parsing. Reading files,
gzip and hashing belong to :mod:`searchsvc.corpus`.
"""

from __future__ import annotations

from ..errors import ExtractError
from .pipeline import DEFAULT_TOPIC, extract_article
from .records import Article, Link, Section

__all__ = ["DEFAULT_TOPIC", "Article", "ExtractError", "Link", "Section", "extract_article"]

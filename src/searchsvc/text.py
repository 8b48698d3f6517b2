"""Text normalisation shared by extraction and query parsing: the one slug and the one clean.

Extraction cleans every piece of page text it keeps and slugs topics, breadcrumbs and titles;
query parsing slugs the ``topic:`` filter, so a reader's "Santé Publique" finds the pages
whose topic was stored as ``sante-publique``. Both sides must agree exactly, which is why
these two functions live here and nowhere else.
"""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# Characters that render as nothing but would split or glue words in the index: zero-width
# space, zero-width non-joiner and joiner, word joiner, and the byte-order mark.
_INVISIBLE = str.maketrans("", "", "\u200b\u200c\u200d\u2060\ufeff")


def slugify(text: str) -> str:
    """Lowercase ASCII slug: "Santé Publique" -> "sante-publique", "Café!" -> "cafe".

    Accents are folded away (NFKD, then ASCII), every run of other characters becomes one
    '-', and leading/trailing dashes are dropped.
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NON_ALNUM.sub("-", ascii_text.lower()).strip("-")


def topic_label(slug: str, named: str = "") -> str:
    """How to show a topic: as the page named it ("Mental Health"), else its slug made
    readable ("mental-health" -> "Mental health")."""
    if named and named != slug:
        return named
    return slug.replace("-", " ").capitalize()


def clean(text: str) -> str:
    """Collapse runs of whitespace (incl. no-break spaces) to one space; drop zero-width ones."""
    return " ".join(text.translate(_INVISIBLE).split())

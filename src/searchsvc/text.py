"""Plain-text helpers shared by extraction and query parsing: the one slug and the one clean.

Topic filters must find what extraction stored, so both sides make slugs with :func:`slugify`
("Santé Publique" and "santé" become "sante-publique" and "sante") and tidy text with
:func:`clean`.
"""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def slugify(text: str) -> str:
    """Lowercase ASCII slug: "Mental Health" -> "mental-health", "Café!" -> "cafe"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NON_ALNUM.sub("-", ascii_text.lower()).strip("-")


def clean(text: str) -> str:
    """Collapse runs of whitespace (incl. no-break spaces) to one space; drop zero-width ones."""
    return " ".join(text.translate(_ZERO_WIDTH).split())

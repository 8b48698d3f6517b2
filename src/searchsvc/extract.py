"""HTML page -> Article: title, topic, sections and related links, without page chrome.

(Contract stub; the extraction helper owns and replaces the implementation.)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


class ExtractError(ValueError):
    """A page that cannot be turned into an article (unreadable, not HTML, no text)."""


@dataclass(frozen=True)
class Section:
    heading: str  # "" for the lead section
    anchor: str  # slug unique within the page, e.g. "understanding-back-pain"
    text: str


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass
class Article:
    id: str
    url: str
    title: str
    topic: str
    description: str = ""
    published: str | None = None
    sections: list[Section] = field(default_factory=list)
    related: list[Link] = field(default_factory=list)

    @property
    def text(self) -> str:
        """All section text with headings, blank-line separated."""
        parts = []
        for s in self.sections:
            if s.heading:
                parts.append(s.heading)
            parts.append(s.text)
        return "\n\n".join(p for p in parts if p)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["text"] = self.text
        return d


def extract_article(
    html: str | bytes,
    *,
    article_id: str,
    base_url: str = "",
    default_topic: str = "",
) -> Article:
    """Turn one HTML page into an Article. Raises ExtractError."""
    raise NotImplementedError

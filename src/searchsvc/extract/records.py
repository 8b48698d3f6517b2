"""What extraction produces: the Article, its Sections and related Links.

Plain dataclasses with no parsing in them, so the index, the evaluator and the benchmarks can
build and read articles without touching HTML.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

# Longest value kept of each field, in characters; longer ones are cut (``extract_article``).
# Every section's document repeats the title, so a hostile 1 MB og:title must not reach it.
MAX_FIELD_CHARS = {
    "title": 500,
    "description": 2_000,
    "topic_label": 100,
    "url": 2_048,
    "heading": 500,
    "text": 100_000,  # one section's text
    "related": 500,  # a related link's title (and, like url, its address)
}
# Most sections kept per article; the text of any later ones joins the last kept section.
MAX_SECTIONS = 1_000
# Most related links kept per article.
MAX_RELATED = 100


@dataclass(frozen=True)
class Section:
    heading: str  # "" for the lead section
    anchor: str  # URL fragment (without '#') unique within the page, "" for the lead
    text: str  # blocks (paragraphs, list items) separated by blank lines


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass
class Article:
    id: str
    url: str
    title: str
    topic: str  # slug: "mental-health"
    topic_label: str = ""  # as the page names it: "Mental Health" ("" means use the slug)
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

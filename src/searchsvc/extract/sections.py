"""Cutting the body's text blocks into sections at headings, with an anchor for each.

A heading is an ``<h1>`` to ``<h6>`` or a paragraph acting as one (bold-only and short, or a short
"Title Words:" line). The text before the first heading is the lead (heading ``""``). The
article's own title repeated above the text is dropped, and so are headings with no text of
their own. Reader comments are already cut (:func:`.chrome.remove_comments`); each section's
anchor comes from :mod:`.anchors`.
"""

from __future__ import annotations

import re

from .anchors import Targets, section_anchor
from .blocks import Block
from .metadata import same_text
from .records import Section

# Longest plain "Heading:" paragraph taken as a heading, and longest bold-only paragraph.
MAX_HEADING_WORDS = 12
MAX_HEADING_CHARS = 120


def is_heading_paragraph(blocks: list[Block], i: int) -> bool:
    """A paragraph that acts as a heading: bold-only and short, or a short "Title Words:" line.

    It must be followed by body text. A run of bold paragraphs (a score box, a bold intro) is
    emphasis, not a stack of headings.
    """
    block = blocks[i]
    following = blocks[i + 1] if i + 1 < len(blocks) else None
    previous = blocks[i - 1] if i > 0 else None
    if block.kind not in ("p", "div") or following is None or following.kind == "heading":
        return False
    words = block.text.split()
    if len(words) > MAX_HEADING_WORDS or len(block.text) > MAX_HEADING_CHARS:
        return False
    if block.bold:
        in_run = following.bold or (previous is not None and previous.bold)
        return not in_run and not block.text.endswith((".", ",", ";"))
    if block.kind != "p" or not block.text.endswith(":") or following.kind != "p":
        return False
    if re.search(r"[.!?]\s", block.text):
        return False  # a sentence or two that introduces what follows
    capitals = sum(1 for w in words if w[:1].isupper() or not w[:1].isalpha())
    return len(words) <= 5 or capitals >= 0.6 * len(words)


def cut_sections(blocks: list[Block], title: str, targets: Targets) -> list[Section]:
    """Cut blocks into sections at headings; drop the title heading and empty sections.

    :param targets: the original page's fragment targets, for each section's anchor.
    """
    cuts: list[tuple[Block | None, list[str]]] = [(None, [])]
    has_text = False
    for i, block in enumerate(blocks):
        if block.kind == "heading" or is_heading_paragraph(blocks, i):
            if not has_text and same_text(_heading(block), title):
                continue  # the article's own title repeated above the text
            cuts.append((block, []))
        else:
            cuts[-1][1].append(block.text)
            has_text = True
    sections: list[Section] = []
    used: set[str] = set()
    for heading, texts in cuts:
        if not texts:
            continue
        text = "\n\n".join(texts)
        anchor = ""
        if heading is not None:
            before = sections[-1].text if sections else ""
            anchor = section_anchor(targets, heading, text, before, used)
        sections.append(
            Section(heading=_heading(heading) if heading else "", anchor=anchor, text=text)
        )
    return sections


def _heading(block: Block) -> str:
    return block.text.rstrip(":").strip()

"""Hypothesis strategies for hostile pages, shared by tests/test_hostile.py and
benchmarks/hostile.py: broken tags, deep nesting of every block tag, huge attributes, binary,
NUL bytes, wrong and mixed encodings, empty files."""

from __future__ import annotations

from hypothesis import strategies as st

WORD = "Some words of text here, and more. "
NESTING_TAGS = ["table><tr><td", "ul><li", "blockquote", "div", "section", "p", "span", "a href=x"]
ENCODINGS = ["utf-8", "windows-1252", "utf-16", "shift_jis", "gb2312", "koi8-r", "latin-1"]


def nested(opening: str, closing: str, count: int, text: str = WORD) -> str:
    """``count`` levels of ``opening`` each with ``text``, closed (``closing``) or left open."""
    return "<html><body>" + (opening + text) * count + closing * count + "</body></html>"


@st.composite
def nesting(draw) -> str:
    tag = draw(st.sampled_from(NESTING_TAGS))
    depth = draw(st.integers(1, 3_000))
    text = draw(st.sampled_from(["", "x", WORD, "Comments", "Read more ", "By Jane Baker ·"]))
    closed = draw(st.booleans())
    opening = f"<{tag}>"
    closing = "".join(f"</{t.split()[0]}>" for t in reversed(tag.split("><"))) if closed else ""
    return nested(opening, closing, depth, text)


fragments = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<div class='comments'>",
        "<article>",
        "</div>",
        "<h2 id=x>",
        "<a name=x></a>",
        "<input type=email>",
        "<!-- c -->",
        "<script>a<b</script>",
        "<br><br>",
        "<td>",
        "<li>",
        "<ul class=related>",
        "<<>>",
        "</",
        "<p <p",
        "&#0;",
        "&amp",
        "<![CDATA[x]]>",
        "<?php ?>",
        WORD,
        "\x00",
        "Related articles",
        "<meta property='og:title' content='T'>",
    ]
)


@st.composite
def broken_markup(draw) -> str:
    parts = draw(st.lists(fragments, max_size=200))
    return "<html><body>" + "".join(parts) * draw(st.integers(1, 20))


@st.composite
def huge_attribute(draw) -> str:
    size = draw(st.integers(1_000, 400_000))
    attr = draw(st.sampled_from(["class", "id", "style", "content", "href"]))
    return f'<html><head><meta property="og:title" content="{"T" * size}"></head><body>' + (
        f'<p {attr}="{"a " * (size // 2)}">{WORD}</p>'
    )


def hostile_text() -> st.SearchStrategy[str]:
    return st.one_of(
        nesting(), broken_markup(), huge_attribute(), st.text(max_size=2_000).map(lambda t: t)
    )


@st.composite
def hostile_documents(draw) -> bytes:
    """Bytes of a hostile page: text encoded wrongly or mixed, binary, NULs, or empty."""
    kind = draw(st.sampled_from(["text", "text", "text", "binary", "empty", "mixed", "nul"]))
    if kind == "binary":
        return draw(st.binary(max_size=5_000))
    if kind == "empty":
        return draw(st.sampled_from([b"", b"   \n", b"\xef\xbb\xbf"]))
    text = draw(hostile_text())
    encoding = draw(st.sampled_from(ENCODINGS))
    data = text.encode(encoding, errors="replace")
    if kind == "mixed":
        data = data + "Café — naïve".encode(draw(st.sampled_from(ENCODINGS)), errors="replace")
    if kind == "nul":
        data = data.replace(b" ", b"\x00", draw(st.integers(1, 50)))
    declared = draw(st.sampled_from(["", "utf-8", "gb2312", "bogus", "utf-16"]))
    if declared:
        data = f'<meta charset="{declared}">'.encode() + data
    return data

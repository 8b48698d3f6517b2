"""extract_article on small hand-built pages: sections, anchors, metadata, chrome and errors."""

from __future__ import annotations

import pytest

from searchsvc.extract import ExtractError, extract_article
from searchsvc.text import slugify


def page(body: str, head: str = "", title: str = "Test Page | Site") -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
        f"<body>{body}</body></html>"
    )


def article(inner: str, head: str = "", **kwargs) -> object:
    return extract_article(page(f"<article>{inner}</article>", head), article_id="a1", **kwargs)


BODY = "<p>Plenty of ordinary article text sits here so the body is easy to find on the page.</p>"

# The founding page's real shape (text from the seed article, trimmed): site chrome around an
# <h1>, a lead, plain "Heading:" paragraphs, an inline promo, a "Related Topics:" run of link
# paragraphs, a comment form, a footer, a cookie banner and scripts.
SEED = """<!DOCTYPE html><html lang="en-US"><head><meta charset="UTF-8">
<title>How Does Diazepam Work For Back Pain? - Health Site</title>
<link rel="canonical" href="https://health.example/diazepam-back-pain/">
<script>window.dataLayer = [{"page": "article"}];</script>
<style>.cookie-notice { position: fixed; }</style></head>
<body class="post-template-default single single-post">
<a class="skip-link screen-reader-text" href="#content">Skip to content</a>
<header id="masthead" class="site-header"><div class="site-branding">
<p class="site-title"><a href="/">Health Site</a></p></div>
<nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu">
<li><a href="/">Home</a></li><li><a href="/category/medicines/">Medicines</a></li>
<li><a href="/contact/">Contact Us</a></li></ul></nav></header>
<div id="content" class="site-content"><div id="primary" class="content-area">
<main id="main" class="site-main">
<article id="post-42" class="post-42 post type-post status-publish category-medicines">
<header class="entry-header"><h1 class="entry-title">How Does Diazepam Work For Back Pain?</h1>
<div class="entry-meta"><span class="posted-on">Posted on
<time datetime="2024-01-21T10:00:00+00:00">January 21, 2024</time></span>
<span class="byline"> by admin</span></div></header>
<div class="entry-content">
<p>How Does Diazepam Work For Back Pain? Back pain is a prevalent issue affecting millions
worldwide, impacting daily activities and diminishing overall quality of life.</p>
<p>Understanding Back Pain:</p>
<p>Before delving into the role of diazepam, it&#8217;s essential to grasp the complexities of
back pain. Muscle spasms are a common symptom associated with back pain.</p>
<p>Diazepam and Its Mechanism of Action:</p>
<p>Diazepam, commonly known by the brand name Valium, belongs to the benzodiazepine class.</p>
<p>GABA acts as a calming agent in the brain, inhibiting excessive neural activity.</p>
<p>Efficacy in Back Pain Management:</p>
<p>Several studies have explored the efficacy of diazepam in the management of back pain.</p>
<p>[Also Explore: <a href="https://health.example/quaalude-300mg/">Quaalude 300mg</a>]</p>
<p>However, it&#8217;s crucial to note that diazepam is not without its drawbacks.</p>
<p>In conclusion, diazepam, with its muscle relaxant properties, has shown promise.</p>
<p>As with any medication, it is crucial to consult with a healthcare professional.</p>
<p>Related Topics: <a href="https://health.example/diazepam-and-alprazolam/">Can You Take
Diazepam And Alprazolam Together?</a></p>
<p><a href="/diazepam-muscle-relaxant/">How Does Diazepam Work As A Muscle Relaxant</a></p>
<p><a href="/diazepam-alcohol-withdrawal/">How Does Diazepam Work For Alcohol Withdrawal</a></p>
<p><a href="/diazepam-anxiety/">How Does Diazepam Work For Anxiety?</a></p>
<p><a href="/siazepam-seizures/">How Does Siazepam Work For Seizures?</a></p>
</div></article>
<div id="comments" class="comments-area"><div id="respond" class="comment-respond">
<h3 id="reply-title" class="comment-reply-title">Leave a Comment</h3>
<form action="/wp-comments-post.php" method="post" id="commentform">
<p class="comment-notes">Your email address will not be published. Required fields are
marked *</p><p><textarea name="comment"></textarea></p>
<p><input type="submit" value="Post Comment"></p></form></div></div>
</main></div></div>
<footer id="colophon" class="site-footer"><p>&copy; 2024 Health Site. All rights reserved.</p>
</footer>
<div id="cookie-notice" class="cookie-notice">We use cookies to give you the best experience.
<a href="/privacy/">Privacy Policy</a> <button>Accept</button></div>
<script>console.log("tracking");</script></body></html>"""


@pytest.fixture(scope="module")
def seed():
    return extract_article(SEED, article_id="diazepam-back-pain", default_topic="medicines")


def test_seed_sections_follow_the_plain_colon_headings(seed):
    assert [s.heading for s in seed.sections] == [
        "",
        "Understanding Back Pain",
        "Diazepam and Its Mechanism of Action",
        "Efficacy in Back Pain Management",
    ]
    assert seed.sections[0].text.startswith("How Does Diazepam Work For Back Pain? Back pain")


def test_seed_last_section_keeps_paragraphs_after_the_promo(seed):
    efficacy = seed.sections[-1].text
    assert "However, it\u2019s crucial to note" in efficacy
    assert "In conclusion, diazepam" in efficacy
    assert "Also Explore" not in efficacy


def test_seed_related_topics_are_links_not_text(seed):
    assert [link.title for link in seed.related] == [
        "Can You Take Diazepam And Alprazolam Together?",
        "How Does Diazepam Work As A Muscle Relaxant",
        "How Does Diazepam Work For Alcohol Withdrawal",
        "How Does Diazepam Work For Anxiety?",
        "How Does Siazepam Work For Seizures?",
    ]
    assert seed.related[1].url == "https://health.example/diazepam-muscle-relaxant/"
    assert "Related Topics" not in seed.text


@pytest.mark.parametrize(
    "chrome",
    [
        "Also Explore",
        "Quaalude",
        "Leave a Comment",
        "email address",
        "Skip to content",
        "Contact Us",
        "All rights reserved",
        "cookies",
        "tracking",
        "dataLayer",
        "Posted on",
    ],
)
def test_seed_text_has_no_chrome(seed, chrome):
    assert chrome not in seed.text


def test_seed_metadata(seed):
    assert seed.title == "How Does Diazepam Work For Back Pain?"
    assert seed.url == "https://health.example/diazepam-back-pain/"
    assert seed.topic == "medicines"
    assert seed.published == "2024-01-21T10:00:00+00:00"


def test_heading_ids_become_anchors_and_others_text_directives():
    art = article(
        f'<h1>T</h1>{BODY}<h2 id="why-it-hurts">Causes</h2>{BODY}<h3>Nerve Pain</h3>{BODY}'
    )
    assert [(s.heading, s.anchor) for s in art.sections] == [
        ("", ""),
        ("Causes", "why-it-hurts"),
        ("Nerve Pain", ":~:text=Nerve%20Pain"),
    ]


@pytest.mark.parametrize("tag", ["strong", "b"])
def test_bold_only_paragraph_is_a_heading(tag):
    art = article(f"{BODY}<p><{tag}>Side Effects</{tag}></p>{BODY}")
    assert [s.heading for s in art.sections] == ["", "Side Effects"]
    assert art.sections[1].anchor == ":~:text=Side%20Effects"


def test_bold_words_inside_a_sentence_are_not_a_heading():
    art = article(f"<p><strong>Note:</strong> take it with food, twice a day.</p>{BODY}")
    assert [s.heading for s in art.sections] == [""]
    assert art.sections[0].text.startswith("Note: take it with food")


def test_run_of_bold_paragraphs_is_text_not_headings():
    art = article(
        f"{BODY}<p><b>Palm Bay d. Rockledge 70-44</b></p><p><b>Rockledge 14 11</b></p>{BODY}"
    )
    assert [s.heading for s in art.sections] == [""]
    assert "Palm Bay d. Rockledge 70-44\n\nRockledge 14 11" in art.text


def test_colon_sentence_that_introduces_a_list_is_not_a_heading():
    art = article(f"{BODY}<p>Common side effects include:</p><ul><li>Drowsiness</li></ul>")
    assert [s.heading for s in art.sections] == [""]
    assert "Common side effects include:\n\nDrowsiness" in art.text


def test_duplicate_headings_get_unique_anchors():
    art = article("".join(f"<h2>Symptoms</h2>{BODY}" for _ in range(3)))
    assert len({s.anchor for s in art.sections}) == 3


def test_repeated_heading_text_is_told_apart_by_a_suffix():
    art = article("".join(f"<h2>Symptoms</h2><p>In stage {n}, it aches.</p>" for n in (1, 2)))
    assert [s.anchor for s in art.sections] == [
        ":~:text=Symptoms",
        ":~:text=Symptoms,-In%20stage%202%2C",
    ]


@pytest.mark.parametrize(
    ("markup", "anchor"),
    [
        ('<section id="dose"><h2>Dosage</h2>{body}</section>', "dose"),
        ('<div id="outer"><div id="inner"><h2>Dosage</h2></div>{body}</div>', "inner"),
        ('<h2><a name="dose"></a>Dosage</h2>{body}', "dose"),
        ('<a name="dose"></a>\n<h2>Dosage</h2>{body}', "dose"),
        ('<section id="s"><p>Intro words.</p><h2>Dosage</h2>{body}</section>', ":~:text=Dosage"),
    ],
    ids=["section-id", "nearest-enclosing-id", "anchor-inside", "anchor-before", "not-started"],
)
def test_anchor_is_an_id_the_heading_starts_or_an_anchor_name(markup, anchor):
    art = article(BODY + markup.format(body=BODY))
    assert art.sections[-1].heading == "Dosage"
    assert art.sections[-1].anchor == anchor


def test_text_directive_uses_the_heading_as_shown_and_encodes_reserved_characters():
    art = article(f"{BODY}<p>Side-Effects, Risks &amp; Costs:</p>{BODY}")
    assert art.sections[1].heading == "Side-Effects, Risks & Costs"
    assert art.sections[1].anchor == ":~:text=Side%2DEffects%2C%20Risks%20%26%20Costs%3A"


def test_heading_text_that_the_title_contains_gets_context():
    html = page(f"<h1>Back Pain Relief</h1><article>{BODY}<h2>Back Pain</h2>{BODY}</article>")
    anchor = extract_article(html, article_id="x").sections[1].anchor
    assert anchor == ":~:text=Back%20Pain,-Plenty%20of%20ordinary"


def test_heading_without_text_of_its_own_is_dropped():
    art = article(f"{BODY}<h2>Treatment</h2><h3>Medicines</h3>{BODY}")
    assert [s.heading for s in art.sections] == ["", "Medicines"]


def test_text_after_a_leave_a_reply_heading_is_dropped():
    art = article(f"{BODY}<h3>Leave a Reply</h3><p>Cancel reply. Logged in as admin.</p>")
    assert "Leave a Reply" not in art.text
    assert "Cancel reply" not in art.text


@pytest.mark.parametrize("heading", ["Discussion", "5 Thoughts on Recovery"])
def test_comment_like_heading_is_still_a_section(heading):
    art = article(f"{BODY}<h2>{heading}</h2><p>The trial suggests a modest benefit.</p>")
    assert [s.heading for s in art.sections] == ["", heading]


def test_wordpress_comment_count_heading_ends_the_article():
    art = article(f"{BODY}<h2>3 thoughts on \u201cBack Pain\u201d</h2><p>Great post!</p>")
    assert "Great post" not in art.text


def test_blocks_are_separated_by_blank_lines_and_whitespace_collapsed():
    art = article("<p>First   line\n  wraps.</p><ul><li>One</li><li>Two</li></ul>")
    assert art.sections[0].text == "First line wraps.\n\nOne\n\nTwo"


CATEGORY_LINK = '<span class="cat-links"><a href="/c/pain/">Pain Relief</a></span>'
REL_CATEGORY = '<a rel="category tag" href="/c/x/">Sleep</a>'
CRUMBS = (
    '<nav aria-label="breadcrumb"><ol><li><a href="/">Home</a></li>'
    '<li><a href="/mental-health/">Mental Health</a></li><li>Test Page</li></ol></nav>'
)
SECTION_META = '<meta property="article:section" content="Nutrition">'


@pytest.mark.parametrize(
    ("head", "chrome", "default", "expected"),
    [
        (SECTION_META, CATEGORY_LINK + CRUMBS, "folder", "nutrition"),
        ("", REL_CATEGORY + CRUMBS, "folder", "sleep"),
        ("", CATEGORY_LINK + CRUMBS, "folder", "pain-relief"),
        ("", CRUMBS, "folder", "mental-health"),
        ("", "", "Well-being", "well-being"),
        ("", "", "", "general"),
    ],
    ids=["meta", "rel-category", "category-class", "breadcrumb", "default", "general"],
)
def test_topic_sources_in_order_of_precedence(head, chrome, default, expected):
    html = page(f"<div class='header'>{chrome}</div><article>{BODY}</article>", head)
    assert extract_article(html, article_id="x", default_topic=default).topic == expected


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Mental Health", "mental-health"),
        ("Well-being", "well-being"),
        ("Wellbeing", "wellbeing"),
        ("Café & Crème", "cafe-creme"),
    ],
)
def test_slugify(name, slug):
    assert slugify(name) == slug


def test_section_meta_listing_several_takes_the_first():
    head = '<meta property="article:section" content="Smart News, Science">'
    assert article(BODY, head).topic == "smart-news"


def test_breadcrumb_skips_the_article_title_and_home():
    crumbs = '<ul class="breadcrumbs"><li><a href="/">Home</a></li><li><a href="/x">Test Page</a>'
    html = page(f"{crumbs}</ul><article>{BODY}</article>", title="Test Page")
    assert extract_article(html, article_id="x", default_topic="fallback").topic == "fallback"


@pytest.mark.parametrize(
    ("head", "base_url", "expected"),
    [
        ('<link rel="canonical" href="https://site.example/a/">', "", "https://site.example/a/"),
        ('<link rel="canonical" href="/a/">', "https://site.example/", "https://site.example/a/"),
        ("", "https://site.example/", "https://site.example/a1"),
        ("", "", ""),
    ],
)
def test_url_from_canonical_else_base_url(head, base_url, expected):
    assert article(BODY, head, base_url=base_url).url == expected


@pytest.mark.parametrize(
    ("head", "inner", "expected"),
    [
        (
            '<meta property="article:published_time" content="2025-03-14T09:00:00Z">',
            '<time datetime="2020-01-01">Jan 1</time>',
            "2025-03-14T09:00:00+00:00",
        ),
        ("", '<time datetime="2024-05-06">May 6</time>', "2024-05-06"),
        (
            '<script type="application/ld+json">{"@graph": [{"@type": "NewsArticle",'
            ' "datePublished": "2023-07-08T10:00:00+02:00"}]}</script>',
            "",
            "2023-07-08T10:00:00+02:00",
        ),
        ("", "", None),
    ],
    ids=["meta", "time", "json-ld", "none"],
)
def test_published_sources(head, inner, expected):
    assert article(inner + BODY, head).published == expected


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<meta property="og:title" content="Open Graph Title">', "Open Graph Title"),
        ("", "Heading One"),
    ],
)
def test_title_from_og_then_h1(head, expected):
    assert article(f"<h1>Heading One</h1>{BODY}", head).title == expected


@pytest.mark.parametrize("sep", ["|", "-", "\u2013"])
def test_title_tag_loses_site_suffix(sep):
    html = page(f"<div>{BODY}</div>", title=f"Caffeine and Sleep {sep} Health Site")
    assert extract_article(html, article_id="x").title == "Caffeine and Sleep"


def test_description_from_meta():
    head = '<meta name="description" content="How caffeine  delays sleep.">'
    assert article(BODY, head).description == "How caffeine delays sleep."


def test_windows_1252_bytes_decode_by_meta_charset():
    html = (
        "<html><head><meta http-equiv='Content-Type' content='text/html; charset=windows-1252'>"
        "</head><body><article><p>Caf\u00e9 owners said \u201cit\u2019s fine\u201d, "
        "and the caf\u00e9 stayed open all winter long.</p></article></body></html>"
    )
    art = extract_article(html.encode("cp1252"), article_id="x")
    assert "Caf\u00e9 owners said \u201cit\u2019s fine\u201d" in art.text
    assert "\ufffd" not in art.text


@pytest.mark.parametrize(
    ("encoding", "declared"),
    [("utf-8", "gb2312"), ("utf-8", ""), ("utf-16", ""), ("cp1252", "iso-8859-1")],
    ids=["wrong-declaration", "undeclared-utf8", "utf16-bom", "latin1-means-cp1252"],
)
def test_bytes_decode_despite_missing_or_wrong_charset(encoding, declared):
    meta = f"<meta charset='{declared}'>" if declared else ""
    text = "Caf\u00e9 owners said \u201cit\u2019s fine\u201d and stayed open all winter."
    html = f"<html><head>{meta}</head><body><article><p>{text}</p></article></body></html>"
    assert extract_article(html.encode(encoding), article_id="x").text == text


def test_entities_are_decoded():
    art = article(
        "<p>Fish &amp; chips, caf&eacute;&nbsp;au&nbsp;lait &mdash; &#8220;tasty&#8221;.</p>"
    )
    assert art.text == "Fish & chips, caf\u00e9 au lait \u2014 \u201ctasty\u201d."


def test_escaped_script_is_text_but_script_elements_never_are():
    inner = "<p>Type &lt;script&gt;alert(1)&lt;/script&gt; to test.</p><script>evil()</script>"
    art = article(inner + BODY)
    assert "Type <script>alert(1)</script> to test." in art.text
    assert "evil()" not in art.text


@pytest.mark.parametrize(
    ("chrome", "phrase"),
    [
        ('<div class="cookie-banner">We use cookies. Accept all</div>', "cookies"),
        ('<div id="gdpr-consent">Manage your consent preferences</div>', "consent"),
        ('<div class="social-share"><a href="#">Share on Facebook</a> Tweet this</div>', "Tweet"),
        ('<div class="sidebar"><p>Ten sidebar tips for better sleep.</p></div>', "sidebar"),
        ("<aside><p>Also popular this week: napping tips.</p></aside>", "napping"),
        ('<div id="comments"><p>Great article! What about dosage?</p></div>', "dosage"),
        ('<div class="ad-slot">Buy cheap pills now</div>', "pills"),
        ('<div class="advertisement">Buy cheap pills now</div>', "pills"),
        ('<div class="newsletter-signup">Get our weekly letter</div>', "weekly"),
        ('<div class="sponsored-promo">Partner content from a brand</div>', "Partner"),
        ("<p hidden>Secret hidden text</p>", "Secret"),
        ('<p aria-hidden="true">Secret hidden text</p>', "Secret"),
        ('<p style="display: none">Secret hidden text</p>', "Secret"),
        ('<span class="sr-only">Secret screen-reader label</span>', "Secret"),
        ('<div class="header"><a href="/">Site Logo</a> Call us today</div>', "Call us"),
        ('<div class="site-footer">Terms of use, all rights reserved</div>', "Terms"),
        ('<div role="navigation"><a href="/a">Section A</a> Section B</div>', "Section"),
        ("<p>Advertisement</p>", "Advertisement"),
        ('<p>Also Read: <a href="/x">Another Story About Pills</a></p>', "Another Story"),
        ('<p>See also: <a href="/x">Another Story About Pills</a></p>', "Another Story"),
    ],
)
def test_chrome_never_reaches_the_text(chrome, phrase):
    html = page(f"<article>{BODY}{chrome}<p>Closing words of the article text.</p></article>")
    art = extract_article(html, article_id="x")
    assert phrase not in art.text
    assert art.text.endswith("Closing words of the article text.")


def test_main_content_id_is_not_chrome():
    html = page(f'<div class="menu"><a href="/">Home</a></div><div id="main-content">{BODY}</div>')
    assert extract_article(html, article_id="x").text == BODY[3:-4]


def test_body_without_semantic_markup_uses_the_densest_block():
    prose = "".join(
        f"<p>Paragraph {i} of the story, with commas, clauses, and enough words to score.</p>"
        for i in range(5)
    )
    links = "".join(f'<a href="/{i}">Other story {i}</a> ' for i in range(20))
    html = page(f"<div class='x1'>{links}</div><div class='x2'><div>{prose}</div></div>")
    art = extract_article(html, article_id="x")
    assert art.text.startswith("Paragraph 0 of the story")
    assert "Other story" not in art.text


def test_body_split_over_sibling_blocks_keeps_all_of_them():
    def block(n: int) -> str:
        return "".join(
            f"<p>Part {n}, paragraph {i}: words, commas, clauses, and more words to score.</p>"
            for i in range(4)
        )

    html = page(
        f"<div><div class='chunk'>{block(1)}</div><figure><img src='x.jpg'></figure>"
        f"<div class='chunk'>{block(2)}</div></div><div class='x'><a href='/'>Home</a></div>"
    )
    text = extract_article(html, article_id="x").text
    assert "Part 1, paragraph 0" in text
    assert "Part 2, paragraph 3" in text


def test_related_links_from_a_related_block_are_absolute():
    related = '<div class="related-posts"><h3>More</h3><a href="/b">Story B</a></div>'
    art = article(BODY + related, '<link rel="canonical" href="https://site.example/a/">')
    assert [(r.title, r.url) for r in art.related] == [("Story B", "https://site.example/b")]
    assert "Story B" not in art.text


@pytest.mark.parametrize(
    "block",
    [
        '<h3>Related Articles</h3><ul><li><a href="/b">Story B</a></li>'
        '<li><a href="/c">Story C</a></li></ul>',
        '<p>You may also like:<br><a href="/b">Story B</a><br><a href="/c">Story C</a></p>',
        '<p><strong>Read more</strong></p><p><a href="/b">Story B</a></p>'
        '<p><a href="/c">Story C</a></p>',
    ],
    ids=["heading-and-list", "label-and-lines", "label-and-link-paragraphs"],
)
def test_related_links_after_a_label(block):
    art = article(BODY + block + "<p>A closing paragraph that is part of the article.</p>")
    assert [r.title for r in art.related] == ["Story B", "Story C"]
    assert art.text == BODY[3:-4] + "\n\nA closing paragraph that is part of the article."


def test_sentence_mentioning_related_articles_is_text():
    text = "Read more about the trial in the journal, which published it last week."
    art = article(f"{BODY}<p>{text}</p>")
    assert art.related == []
    assert text in art.text


def test_deeply_nested_markup_does_not_hit_the_recursion_limit():
    depth = 3000  # unclosed tags in broken pages nest this deep after parsing
    art = extract_article(page("<div>" * depth + BODY + "</div>" * depth), article_id="x")
    assert art.text == BODY[3:-4]


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        (b"", "empty"),
        (b"   \n ", "empty"),
        (bytes(range(256)) * 8, "not HTML"),
        ("just some words, no markup at all", "not HTML"),
        (page("<nav><a href='/'>Home</a></nav><div class='footer'>Contact</div>"), "no article"),
    ],
    ids=["empty", "whitespace", "binary", "plain-text", "no-text"],
)
def test_unusable_pages_raise_extract_error(html, reason):
    with pytest.raises(ExtractError, match=reason):
        extract_article(html, article_id="x")


@pytest.mark.parametrize(
    "byline",
    [
        "<p>By Jane Baker \u00b7 22 March 2024</p>",
        "<div>\u00b7 22 March 2024 Filed under: Fitness 2 min read</div>",
        "<p>Updated March 5, 2025 \u2022 4 min read</p>",
        "<p><span>By Tom Okafor, MPharm</span> | 2024-03-22</p>",
    ],
    ids=["by-and-date", "filed-under", "updated-reading-time", "iso-date"],
)
def test_byline_lines_at_the_top_are_not_text_and_give_the_date(byline):
    art = article(f"<h1>Heading One</h1>{byline}{BODY}")
    assert art.text == BODY[3:-4]
    assert art.published is not None and art.published.startswith(("2024-03-22", "2025-03-05"))


def test_byline_date_does_not_override_the_markup_date():
    art = article(
        f'<time datetime="2023-01-02">x</time><p>By Jane Baker \u00b7 22 March 2024</p>{BODY}'
    )
    assert art.published == "2023-01-02"


def test_date_sentence_in_the_text_is_kept():
    line = "<p>By 22 March 2024 the trial had enrolled 300 patients across five sites.</p>"
    assert "By 22 March 2024 the trial" in article(BODY + line).text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-02-03", "2024-02-03"),
        ("2025-05-03T12:31:00Z", "2025-05-03T12:31:00+00:00"),
        ("2024-01-21T10:00:00+00:00", "2024-01-21T10:00:00+00:00"),
        ("2024-03-22T09:14:00.123+0100", "2024-03-22T09:14:00+01:00"),
        ("2024-03-22 09:14", "2024-03-22T09:14:00"),
        ("22 March 2024", "2024-03-22"),
        ("March 22, 2024", "2024-03-22"),
        ("Sept. 3rd 2024", "2024-09-03"),
        ("Fri, 22 Mar 2024 09:14:00 GMT", "2024-03-22T09:14:00+00:00"),
        ("2024/3/5", "2024-03-05"),
        ("2024-02-30", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_published_is_normalised_to_iso_8601(value, expected):
    head = f'<meta property="article:published_time" content="{value}">' if value else ""
    assert article(BODY, head).published == expected


def test_list_items_are_blocks_of_their_own():
    art = article(
        f"{BODY}<ul><li>Drowsiness, <b>mild</b></li><li>Dry mouth</li></ul><ol><li>Rest</li></ol>"
    )
    assert art.sections[0].text.split("\n\n")[1:] == ["Drowsiness, mild", "Dry mouth", "Rest"]


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(document.domain)",
        "JaVaScRiPt:alert(1)",
        "java&#x09;script:alert(1)",
        " \x01javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
    ],
)
def test_script_urls_never_become_the_canonical_or_a_related_link(href):
    page = (
        f'<html><head><link rel="canonical" href="{href}"></head><body><article>'
        "<h1>Title</h1><p>Some article text that is long enough to count as the body.</p>"
        f'<p>Related Topics:</p><p><a href="{href}">Bad link</a></p>'
        '<p><a href="/good">Good link</a></p></article></body></html>'
    )
    article = extract_article(page, article_id="a/b", base_url="https://site.example")
    assert article.url == "https://site.example/a/b"
    assert [link.url for link in article.related] == ["https://site.example/good"]

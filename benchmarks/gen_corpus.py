"""Generate a corpus of realistic article pages from beir-scifact's real text.

    python benchmarks/gen_corpus.py --articles N --out DIR [--seed S] [--data DIR] [--check K]

Each page is a full article-site page: head with canonical link and og/meta tags, cookie
banner, header and navigation, breadcrumbs, share bar, the article, a sidebar, a comment form
and a footer. The article body takes one or more scifact documents (the first one's title is
the article title): its abstract sentences are split into 3-6 sections, the first a headless
lead, the others under short headings made from the section's own words, written either as
``<h2>`` or as a plain ``<p>Heading:</p>`` paragraph. An ``[Also Explore: ...]`` promo sits
between two paragraphs and a "Related Topics" list links to other generated articles. Pages
are spread over 8 topic folders; about 60% name their topic with
``<meta property="article:section">`` (and breadcrumbs), the rest leave it to the folder.

When N exceeds the 5,183 scifact documents, documents are reused round-robin, each time with a
different mix (other companion documents, section cuts, headings and a title variant), so the
text stays real prose and the vocabulary realistic. Output is deterministic for a seed: every
page depends only on (seed, its number), never on N or on generation order.

DIR is emptied first if it holds an earlier generated corpus (marker file ``.gen_corpus.json``);
a non-empty DIR without the marker is refused. ``--check K`` extracts K pages with
``searchsvc.extract`` and compares the sections found with the sections written.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import time
import zlib
from collections import Counter
from html import escape
from itertools import pairwise
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import load_scifact, print_table

from searchsvc.ranking import STOP_WORDS
from searchsvc.text import slugify

MARKER = ".gen_corpus.json"
SITE = "Example Science"
BASE = "https://www.example-science.org"
TOPICS = {
    "cardiology": "Cardiology",
    "oncology": "Oncology",
    "neuroscience": "Neuroscience",
    "immunology": "Immunology",
    "genetics": "Genetics",
    "metabolism": "Metabolism",
    "infectious-disease": "Infectious Disease",
    "public-health": "Public Health",
}
TOPIC_SLUGS = list(TOPICS)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])")
_HEAD_WORD = re.compile(r"[A-Za-z][A-Za-z-]{3,}[A-Za-z]")
# Words that make poor headings on their own, beyond the stop list.
_DULL = frozenset(
    "also although among based could found however including results showed shown study "
    "studies using used whether within without would patients data analysis associated "
    "compared significant significantly increased decreased higher lower level levels effect "
    "effects group groups total mean years year cases case respectively".split()
)
_HEADINGS = (
    "{A}",
    "{A} and {B}",
    "Understanding {A}",
    "The Role of {A}",
    "{A}, {B} and {C}",
    "How {A} Relates to {B}",
    "What We Know About {A}",
    "{A} in Practice",
    "Key Findings on {A}",
)
_TITLE_VARIANTS = (
    "{t}: What the Evidence Shows",
    "Explained: {t}",
    "{t} - New Findings",
    "Research Roundup: {t}",
    "{t}: A Closer Look",
    "Inside the Study: {t}",
)


def load_docs(data) -> list[tuple[str, str, list[str]]]:
    """(title, text, sentences) of every scifact document with text, in corpus order."""
    dataset = load_scifact(data)
    docs = []
    for doc in dataset.docs:
        sentences = [s.strip() for s in _SENTENCE.split(doc.text) if s.strip()]
        if sentences:
            docs.append((doc.title.strip().rstrip("."), doc.text, sentences))
    return docs


class Generator:
    def __init__(self, docs, n: int, seed: int) -> None:
        self.docs, self.n, self.seed = docs, n, seed

    def _rng(self, k: int, what: str) -> random.Random:
        return random.Random(f"{self.seed}:{k}:{what}")

    def meta(self, k: int) -> tuple[str, str, str]:
        """(title, topic slug, relative path without extension) of article ``k``."""
        d = len(self.docs)
        primary, round_ = k % d, k // d
        title = self.docs[primary][0]
        if round_:
            template = self._rng(k, "title").choice(_TITLE_VARIANTS)
            title = template.format(t=title)
        topic = TOPIC_SLUGS[zlib.crc32(f"{self.seed}:{primary}".encode()) % len(TOPIC_SLUGS)]
        slug = slugify(title)[:70].rstrip("-") or "article"
        return title, topic, f"{topic}/{slug}-{k}"

    def article(self, k: int) -> tuple[str, str, int]:
        """(relative file path, HTML, sections written) of article ``k``."""
        rng = self._rng(k, "body")
        d = len(self.docs)
        primary = k % d
        title, topic, rel = self.meta(k)
        extra = rng.choices((0, 1, 2), weights=(70, 25, 5))[0] if k < d else rng.choice((1, 1, 2))
        picks = [primary] + [rng.randrange(d) for _ in range(extra)]
        sentences = [s for i in picks for s in self.docs[i][2]]
        while len(sentences) < 3:  # a very short abstract: borrow a neighbour's sentences
            sentences += self.docs[(primary + len(sentences) + 1) % d][2]
        chunks = _split(sentences, rng.randint(3, min(6, len(sentences))), rng)
        links = [self.meta(j) for j in rng.sample(range(self.n), min(self.n, 6)) if j != k][:5]
        page = self._page(k, rng, title, topic, rel, chunks, links)
        return rel + ".html", page, len(chunks)

    def _page(self, k, rng, title, topic, rel, chunks, links) -> str:
        url = f"{BASE}/{rel}"
        topic_name = TOPICS[topic]
        with_meta = rng.random() < 0.6
        published = (
            f"20{rng.randint(15, 25):02d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            f"T{rng.randint(6, 20):02d}:{rng.randint(0, 59):02d}:00Z"
        )
        description = escape(chunks[0][0][:155])
        t = escape(title)
        body = []
        promo_at = rng.randrange(len(chunks))
        for i, chunk in enumerate(chunks):
            if i:
                heading = escape(_heading(" ".join(chunk), rng))
                if rng.random() < 0.5:
                    body.append(f'<h2 id="{slugify(heading)}">{heading}</h2>')
                else:
                    body.append(f"<p>{heading}:</p>")
            paras = _split(chunk, max(1, min(len(chunk), rng.randint(1, 3))), rng)
            for j, para in enumerate(paras):
                cls = ' class="lead"' if i == 0 and j == 0 else ""
                body.append(f"<p{cls}>{escape(' '.join(para))}</p>")
                if i == promo_at and j == 0:
                    title2, _, rel2 = links[0]
                    body.append(
                        f'<p>[Also Explore: <a href="{BASE}/{rel2}">{escape(title2)}</a>]</p>'
                    )
        related = "\n".join(
            f'  <li><a href="{BASE}/{r}">{escape(lt)}</a></li>' for lt, _, r in links[1:]
        )
        popular = "\n".join(
            f'      <li><a href="{BASE}/{r}">{escape(lt)}</a></li>' for lt, _, r in links[:4]
        )
        nav = "\n".join(
            f'      <li class="menu-item"><a href="/{s}/">{n}</a></li>' for s, n in TOPICS.items()
        )
        meta_section = (
            f'<meta property="article:section" content="{topic_name}">\n' if with_meta else ""
        )
        crumbs = (
            f'<ol class="breadcrumb"><li><a href="/">Home</a></li>'
            f'<li><a href="/{topic}/">{topic_name}</a></li><li>{t}</li></ol>\n'
            if with_meta
            else ""
        )
        main = "\n".join(body)
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{t} | {SITE}</title>
<meta name="description" content="{description}">
<link rel="canonical" href="{url}">
<meta property="og:type" content="article">
<meta property="og:title" content="{t}">
<meta property="og:site_name" content="{SITE}">
<meta property="article:published_time" content="{published}">
{meta_section}<link rel="stylesheet" href="/static/css/site.css?v=2.1">
<script>window.dataLayer = window.dataLayer || []; dataLayer.push({{"page": "{k}"}});</script>
</head>
<body class="single single-post postid-{k}">
<div id="cookie-notice" class="cookie-banner">We use cookies to improve your experience and
to analyse traffic. <a href="/cookie-policy/">Learn more</a>
<button type="button">Accept</button></div>
<header class="site-header">
  <a href="/" class="logo"><img src="/static/img/logo.svg" alt="{SITE}"></a>
  <nav class="main-navigation" aria-label="Main menu">
    <ul class="menu">
      <li class="menu-item"><a href="/">Home</a></li>
{nav}
    </ul>
  </nav>
  <form role="search" action="/search"><input type="search" name="q" placeholder="Search">
  <button type="submit">Search</button></form>
</header>
<div class="site-container">
{crumbs}<main id="primary" class="content-area">
<article class="post">
<h1 class="entry-title">{t}</h1>
<div class="entry-meta">By <a href="/authors/staff/" rel="author">Staff Writer</a>
 &middot; <time datetime="{published}">{published[:10]}</time></div>
<div class="share-bar"><span>Share:</span> <a href="https://www.facebook.com/sharer/sharer.php?u={url}">Facebook</a>
 <a href="https://x.com/intent/tweet?url={url}">X</a> <a href="mailto:?subject={t}">Email</a></div>
<div class="entry-content">
{main}
<div class="related-posts">
<h4>Related Topics</h4>
<ul>
{related}
</ul>
</div>
</div>
</article>
<div id="comments" class="comments-area">
  <h3 class="comment-reply-title">Leave a Reply</h3>
  <form action="/comments" method="post" class="comment-form">
    <p class="comment-notes">Your email address will not be published. Required fields are
    marked *</p>
    <p><label for="comment">Comment *</label>
    <textarea id="comment" name="comment" rows="6"></textarea></p>
    <p><label for="author">Name *</label> <input id="author" name="author" type="text"></p>
    <p><label for="email">Email *</label> <input id="email" name="email" type="email"></p>
    <p class="form-submit"><input type="submit" value="Post Comment"></p>
  </form>
</div>
</main>
<aside class="sidebar widget-area">
  <section class="widget"><h3 class="widget-title">Popular Posts</h3>
    <ul>
{popular}
    </ul>
  </section>
  <section class="widget widget_newsletter"><h3 class="widget-title">Newsletter</h3>
    <p>The week's research news, every Friday in your inbox.</p>
    <form action="/subscribe" method="post"><input type="email" name="email">
    <button>Sign up</button></form>
  </section>
</aside>
</div>
<footer class="site-footer">
  <nav aria-label="Footer"><a href="/about/">About</a> | <a href="/contact/">Contact</a> |
  <a href="/privacy-policy/">Privacy</a> | <a href="/advertise/">Advertise</a></nav>
  <p class="copyright">&copy; 2025 {SITE}. For general information only, not medical advice.</p>
</footer>
<script src="/static/js/site.min.js" defer></script>
</body>
</html>
"""


def _split(items: list, parts: int, rng: random.Random) -> list[list]:
    """``items`` cut into ``parts`` non-empty runs at random points, order kept."""
    parts = max(1, min(parts, len(items)))
    cuts = sorted(rng.sample(range(1, len(items)), parts - 1))
    bounds = [0, *cuts, len(items)]
    return [items[a:b] for a, b in pairwise(bounds)]


def _heading(text: str, rng: random.Random) -> str:
    """A short heading from the section's most frequent content words."""
    counts = Counter(
        w.lower()
        for w in _HEAD_WORD.findall(text)
        if w.lower() not in STOP_WORDS and w.lower() not in _DULL
    )
    words = [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], -len(kv[0]), kv[0]))]
    words = words[:6]
    if not words:
        return "Background"
    template = rng.choice([h for h in _HEADINGS if h.count("{") <= len(words)])
    picked = rng.sample(words, min(3, len(words)))
    picked += picked[:1] * 3
    return template.format(A=_cap(picked[0]), B=_cap(picked[1]), C=_cap(picked[2]))


def _cap(word: str) -> str:
    return word[:1].upper() + word[1:]


def prepare_out(out: Path) -> None:
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            sys.exit(f"error: {out} is not empty and was not made by gen_corpus.py; pick another")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def generate(out: Path, n: int, seed: int = 0, data=None, docs=None) -> dict:
    """Write ``n`` article pages below ``out``; return a summary dict."""
    started = time.perf_counter()
    out = Path(out)
    docs = docs if docs is not None else load_docs(data)
    prepare_out(out)
    gen = Generator(docs, n, seed)
    topics: Counter = Counter()
    sections = size = 0
    made_dirs: set[str] = set()
    for k in range(n):
        rel, page, n_sections = gen.article(k)
        folder = rel.split("/", 1)[0]
        if folder not in made_dirs:
            (out / folder).mkdir(exist_ok=True)
            made_dirs.add(folder)
        data_bytes = page.encode("utf-8")
        (out / rel).write_bytes(data_bytes)
        topics[folder] += 1
        sections += n_sections
        size += len(data_bytes)
    summary = {
        "articles": n,
        "seed": seed,
        "sections": sections,
        "bytes": size,
        "topics": dict(sorted(topics.items())),
        "seconds": round(time.perf_counter() - started, 2),
    }
    (out / MARKER).write_text(json.dumps(summary) + "\n")
    return summary


def check(out: Path, n: int, seed: int, k: int, data=None) -> list[tuple]:
    """Extract ``k`` generated pages and compare with what was written."""
    from searchsvc.corpus import find_pages, parse_page

    gen = Generator(load_docs(data), n, seed)
    pages = {p.id: p for p in find_pages(out)}
    rows = []
    for i in range(0, n, max(1, n // k))[:k]:
        rel, _, written = gen.article(i)
        parsed = parse_page(pages[rel[: -len(".html")]])
        a = parsed.article
        if a is None:
            rows.append((rel, written, "-", "-", parsed.error))
            continue
        chrome = [
            w for w in ("cookies", "Newsletter", "Also Explore", "Leave a Reply") if w in a.text
        ]
        rows.append((rel, written, len(a.sections), a.topic, ",".join(chrome) or "ok"))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, required=True, help="how many pages")
    ap.add_argument("--out", type=Path, required=True, help="output folder")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", help="folder holding beir-scifact/ (default ../shared/data)")
    ap.add_argument("--check", type=int, default=0, metavar="K", help="extract K pages to check")
    args = ap.parse_args()
    if args.articles < 1:
        ap.error("--articles must be at least 1")
    s = generate(args.out, args.articles, args.seed, args.data)
    print_table(
        ["articles", "sections", "MB", "topic folders", "seconds"],
        [[s["articles"], s["sections"], f"{s['bytes'] / 1e6:.1f}", len(s["topics"]), s["seconds"]]],
        title=f"generated corpus in {args.out} (seed {args.seed})",
    )
    print("per topic: " + ", ".join(f"{t} {c}" for t, c in s["topics"].items()))
    if args.check:
        rows = check(args.out, args.articles, args.seed, args.check, args.data)
        print_table(["page", "sections written", "extracted", "topic", "chrome in text"], rows)


if __name__ == "__main__":
    main()

"""Check in a real browser that section links (``url#anchor``) land on their section's heading.

Usage: ``python benchmarks/deeplinks.py [PAGES_DIR ...]`` (default: ``corpus/`` and the seed
page in ``../shared/seed/``).

Each set of pages is served with its ORIGINAL bytes, unmodified, by ``http.server`` on
127.0.0.1 (URL path = the file's path below the set's folder). A folder holding only ``.txt``
files, like the seed (the founding page's text as a reader sees it), is laid out as
seed-shaped pages first: the first line an ``<h1>``, each paragraph a ``<p>`` (headings stay
plain paragraphs ending in ':'), inside the seed's chrome (a header menu, an ad link, a
related-topics list and a comment form). Every page is extracted
with :func:`searchsvc.extract.extract_article`, and for every non-lead section headless
Chromium (Debian's ``/usr/bin/chromium`` through Playwright, viewport 1280x720) opens
``http://127.0.0.1:PORT/<path>#<anchor>`` in a fresh tab, as a browser-initiated navigation,
and the heading (found by its text) must be inside the viewport once the page has loaded.
Requests to anything but the local server are aborted, so pages load fast and offline.

It prints, per set, ``N of M non-lead sections land on their heading (P%)``, how many of the
headings are visible without any scrolling (they pass whatever the anchor), and each failure.
``check_sets`` is importable (``tests/test_deeplinks.py`` uses it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import html
import http.server
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SETS = (REPO / "corpus", REPO.parent / "shared" / "seed")
CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 720}
SETTLE_MS = 1500  # after "load", the most time the heading gets to scroll into view
TABS = 8
PAGE_SUFFIXES = (".html", ".htm")

# Finds the heading by its text (the k-th element showing exactly it, outermost of nested
# matches, a trailing ':' ignored) and says whether it is inside the viewport.
FIND_HEADING_JS = """([heading, k]) => {
  const norm = s => s.replace(/\\s+/g, " ").trim().replace(/:$/, "").trim().toLowerCase();
  const want = norm(heading);
  let found = [...document.querySelectorAll("h1,h2,h3,h4,h5,h6,p,div,dt,strong,b")]
    .filter(e => norm(e.textContent) === want);
  found = found.filter(e => !found.some(o => o !== e && o.contains(e)));
  const el = found[Math.min(k, found.length - 1)];
  if (!el) return {found: false, visible: false, scrollY: window.scrollY};
  const r = el.getBoundingClientRect();
  const visible = r.height > 0 && r.bottom > 0 && r.top < window.innerHeight;
  return {found: true, visible, top: Math.round(r.top), scrollY: Math.round(window.scrollY)};
}"""


@dataclass
class Landing:
    """One non-lead section's link and where the browser put its heading."""

    path: str
    heading: str
    anchor: str
    landed: bool = False
    visible_at_top: bool = False  # in view with no fragment at all
    detail: str = ""


@dataclass
class SetResult:
    name: str
    landings: list[Landing] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # "path: reason" for pages not extracted

    @property
    def landed(self) -> int:
        return sum(1 for x in self.landings if x.landed)

    @property
    def total(self) -> int:
        return len(self.landings)

    @property
    def share(self) -> float:
        return self.landed / self.total if self.total else 1.0

    def summary(self) -> str:
        at_top = sum(1 for x in self.landings if x.visible_at_top)
        text = (
            f"{self.name}: {self.landed} of {self.total} non-lead sections land on their heading "
            f"({self.share:.0%}); {at_top} of the headings are in view without scrolling"
        )
        if self.unreadable:
            text += f"; {len(self.unreadable)} page(s) not extracted"
        return text


class BrowserUnavailable(RuntimeError):
    """Playwright or Chromium cannot start here."""


def check_sets(dirs: list[Path], *, at_top: bool = True) -> list[SetResult]:
    """Serve each folder of pages and check every section link in headless Chromium.

    :param at_top: also load each page without a fragment to see which headings are in view
        anyway (a baseline for the figures; costs one more load per page).

    :raise BrowserUnavailable: Playwright is not installed or Chromium does not start.
    """
    try:
        from playwright.async_api import async_playwright  # noqa: F401
    except ImportError as error:
        raise BrowserUnavailable(f"playwright is not installed ({error})") from error
    if not Path(CHROMIUM).exists():
        raise BrowserUnavailable(f"{CHROMIUM} not found (apt-get install -y chromium)")
    results = []
    for folder in dirs:
        with _served_copy(folder) as (root, base):
            result = _sections_of(root, SetResult(str(folder)))
            asyncio.run(_visit(base, result.landings, at_top))
            results.append(result)
    return results


def _sections_of(root: Path, result: SetResult) -> SetResult:
    """The non-lead sections of every page below ``root``, as extraction sees them."""
    from searchsvc.extract import ExtractError, extract_article

    for path in sorted(p for p in root.rglob("*") if p.suffix in PAGE_SUFFIXES):
        rel = path.relative_to(root).as_posix()
        try:
            article = extract_article(path.read_bytes(), article_id=rel)
        except ExtractError as error:
            result.unreadable.append(f"{rel}: {error}")
            continue
        result.landings.extend(
            Landing(rel, s.heading, s.anchor) for s in article.sections if s.heading
        )
    return result


async def _visit(base: str, landings: list[Landing], at_top: bool) -> None:
    from playwright.async_api import Error, async_playwright

    async with async_playwright() as p:
        try:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        except Error as error:
            raise BrowserUnavailable(f"chromium did not start: {error}") from error
        context = await browser.new_context(viewport=VIEWPORT)
        # Offline and fast: only the local server answers; trackers, fonts, ads are aborted.
        await context.route(lambda url: not url.startswith(base), lambda route: route.abort())
        occurrence = _occurrences(landings)
        jobs: asyncio.Queue = asyncio.Queue()
        for path in dict.fromkeys(x.path for x in landings):
            jobs.put_nowait([i for i, x in enumerate(landings) if x.path == path])
        tabs = [await context.new_page() for _ in range(TABS)]
        await asyncio.gather(
            *(_work(tab, jobs, base, landings, occurrence, at_top) for tab in tabs)
        )
        await browser.close()


async def _work(
    tab, jobs: asyncio.Queue, base: str, landings: list[Landing], occurrence, at_top: bool
) -> None:
    """One tab checking pages from the queue until it is empty.

    Each link is opened from about:blank, so it is a new document load (a browser-initiated
    navigation, as when a reader follows a search result), never a same-page fragment jump.
    """
    while not jobs.empty():
        indexes = jobs.get_nowait()
        url = f"{base}/{landings[indexes[0]].path}"
        if at_top:
            await tab.goto(url, wait_until="load")
        for i in indexes if at_top else ():  # which headings a reader sees with no fragment
            args = [landings[i].heading, occurrence[i]]
            landings[i].visible_at_top = (await tab.evaluate(FIND_HEADING_JS, args))["visible"]
        for i in indexes:
            await tab.goto("about:blank")
            await _follow(tab, url, landings[i], [landings[i].heading, occurrence[i]])
        await tab.goto("about:blank")


async def _follow(tab, url: str, landing: Landing, args: list) -> None:
    """Open the section's link and see whether its heading comes into view."""
    await tab.goto(f"{url}#{landing.anchor}", wait_until="load")
    with contextlib.suppress(Exception):  # not in view in time: reported below
        await tab.wait_for_function(
            f"(args) => ({FIND_HEADING_JS})(args).visible", arg=args, timeout=SETTLE_MS
        )
    seen = await tab.evaluate(FIND_HEADING_JS, args)
    landing.landed = seen["visible"]
    landing.detail = (
        "heading not found on the page"
        if not seen["found"]
        else f"heading at y={seen['top']} after scrolling to {seen['scrollY']}"
    )


def _occurrences(landings: list[Landing]) -> list[int]:
    """For each section, how many earlier sections of its page share its heading text."""
    seen: Counter = Counter()
    out = []
    for landing in landings:
        key = (landing.path, landing.heading.lower())
        out.append(seen[key])
        seen[key] += 1
    return out


@contextlib.contextmanager
def _served_copy(folder: Path) -> Iterator[tuple[Path, str]]:
    """Serve ``folder`` (or, if it has no HTML pages, its .txt files copied as .html)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = folder
        if not any(p.suffix in PAGE_SUFFIXES for p in folder.rglob("*")):
            root = Path(tmp)
            for txt in folder.rglob("*.txt"):
                target = root / txt.relative_to(folder).with_suffix(".html")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(seed_shaped_page(txt.read_text(encoding="utf-8")), "utf-8")
        handler = functools.partial(_QuietHandler, directory=str(root))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield root, f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()


def seed_shaped_page(text: str) -> str:
    """The founding page's shape around a page's plain text: title, paragraphs, chrome."""
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]
    title, body = paragraphs[0], paragraphs[1:]
    shown = [f"<p>{html.escape(p)}</p>" for p in body]
    shown.insert(min(3, len(shown)), '<p>[Also Explore: <a href="/promo">A sponsored deal</a>]</p>')
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>{html.escape(title)} | Health Site</title></head><body>
<header><a href="/">Health Site</a><nav><a href="/medicines">Medicines</a>
<a href="/conditions">Conditions</a></nav></header>
<article><h1>{html.escape(title)}</h1>{"".join(shown)}
<p>Related Topics: </p><p><a href="/related-1">A related article</a></p></article>
<div id="respond"><h3>Leave a Comment</h3><form><p>Your email address will not be published.
</p><textarea name="comment"></textarea></form></div>
<footer>Copyright Health Site.</footer></body></html>"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dirs", nargs="*", type=Path, default=list(DEFAULT_SETS))
    args = parser.parse_args(argv)
    try:
        results = check_sets(args.dirs)
    except BrowserUnavailable as error:
        print(f"cannot check deep links: {error}", file=sys.stderr)
        return 2
    for result in results:
        print(result.summary())
        for line in result.unreadable:
            print(f"  NOT EXTRACTED {line}")
        for x in result.landings:
            if not x.landed:
                print(f"  FAIL {x.path} § {x.heading!r} #{x.anchor}: {x.detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

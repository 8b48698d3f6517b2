"""Section links land on their heading in a real browser (headless Chromium via Playwright).

Runs ``benchmarks/deeplinks.py`` on the sample corpus and on the founding page's shape (the
HTML of ``test_extract.SEED``): each ``url#anchor`` is opened in Chromium and the section's
heading must be in the viewport. Skipped only when Playwright or Chromium cannot start.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.test_extract import SEED

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.browser


def _checker():
    spec = importlib.util.spec_from_file_location("deeplinks", REPO / "benchmarks/deeplinks.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("deeplinks", module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    deeplinks = _checker()
    seed_dir = tmp_path_factory.mktemp("seed")
    (seed_dir / "diazepam-back-pain.html").write_text(SEED, encoding="utf-8")
    try:
        return deeplinks.check_sets([REPO / "corpus", seed_dir], at_top=False)
    except deeplinks.BrowserUnavailable as error:
        pytest.skip(f"no browser to check deep links in: {error}")


def test_corpus_section_links_land_on_their_heading(results):
    corpus = results[0]
    failures = [f"{x.path} #{x.anchor}: {x.detail}" for x in corpus.landings if not x.landed]
    assert corpus.total >= 250
    assert corpus.share >= 0.95, failures


def test_seed_shaped_page_section_links_land_on_their_heading(results):
    seed = results[1]
    assert seed.total == 3
    assert seed.landed == 3, [x.detail for x in seed.landings]

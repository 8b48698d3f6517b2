"""Every fast path into Whoosh's internals (``_whoosh``) equals Whoosh's public API on a real
index, and the public fallbacks give the same answers too."""

from __future__ import annotations

import pytest

from searchsvc import _whoosh
from searchsvc.index import build as build_module
from searchsvc.index import make_schema, open_generation, prepare_documents, update_index
from searchsvc.index.schema import section_documents

from .conftest import BASE_URL, SEED, article_html, make_index, write_pages

FIELDS = ("body", "title", "heading", "exact")


@pytest.fixture
def segmented_reader(tmp_path, monkeypatch):
    """A reader over several segments (a page each), sections without a heading (length 0),
    and one page replaced afterwards, so a deleted document sits among the live ones."""
    monkeypatch.setattr(build_module, "MIN_BATCH_PAGES", 1)
    corpus, index_dir = make_index(tmp_path)
    write_pages(corpus, {"sleep/caffeine.html": article_html("Coffee", [("", "Short now.")])})
    update_index(corpus, index_dir, workers=1, base_url=BASE_URL)
    with open_generation(index_dir).index.reader() as reader:
        assert len(reader.leaf_readers()) > 1 and reader.has_deletions()
        yield reader


@pytest.mark.parametrize("field", FIELDS)
def test_bulk_field_lengths_equal_whooshs_own(segmented_reader, field):
    reader = segmented_reader
    whoosh_lengths = [
        reader.doc_field_length(d, field, 0) or 0 for d in range(reader.doc_count_all())
    ]
    assert _whoosh.field_lengths(reader, field).tolist() == whoosh_lengths
    subs = [sub for sub, _ in reader.leaf_readers()]
    public = [n for sub in subs for n in _whoosh.public_lengths(sub, field).tolist()]
    assert public == whoosh_lengths


def test_headings_of_lead_sections_have_length_zero(segmented_reader):
    assert 0 in _whoosh.field_lengths(segmented_reader, "heading").tolist()


@pytest.mark.parametrize("term", ["diazepam", "pain", "sleep", "caffein", "nosuchterm"])
def test_block_postings_equal_the_public_matcher(segmented_reader, term):
    reader = segmented_reader
    ids, tfs = _whoosh.read_postings(reader, "body", term)
    expected_ids, expected_tfs = [], []
    for sub, offset in reader.leaf_readers():
        if ("body", term) not in sub:
            continue
        sub_ids, sub_tfs = _whoosh.public_postings(sub.postings("body", term))
        expected_ids += [i + offset for i in sub_ids]
        expected_tfs += sub_tfs
    assert ids.tolist() == expected_ids and tfs.tolist() == expected_tfs


def test_block_reads_are_the_path_taken_on_whooshs_own_codec(segmented_reader):
    sub, _ = segmented_reader.leaf_readers()[0]
    assert _whoosh._has_blocks(sub.postings("body", "diazepam"))
    assert _whoosh._length_column(sub, "body") is not None


def test_prepared_postings_equal_whooshs_own_analysis():
    from searchsvc.extract import extract_article

    article = extract_article(SEED, article_id="medicines/diazepam")
    schema = make_schema()
    for prepared, plain in zip(prepare_documents(article), section_documents(article), strict=True):
        for field in FIELDS:
            expected = sorted(schema[field].index(plain[field]))
            assert sorted(prepared[field].items) == expected, field

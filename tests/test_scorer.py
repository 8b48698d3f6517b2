"""The scoring core on small hand-made arrays, and the Ranker on a tiny real index."""

from __future__ import annotations

import numpy as np
import pytest

from searchsvc.query import parse_query
from searchsvc.ranking import RankingParams, lucene_idf
from searchsvc.scorer import (
    Matches,
    SectionArrays,
    TermVector,
    article_sections,
    match,
    top_articles,
    topic_counts,
)
from searchsvc.session import Engine


def arrays(article_of, topic_of, topics, lengths=None, live=None, **params) -> SectionArrays:
    """Sections of articles: ``article_of[s]`` is section s's article, ``topic_of[s]`` its topic."""
    n = len(article_of)
    lengths = np.asarray(lengths or [10.0] * n, dtype=np.float32)
    return SectionArrays(
        live=np.asarray(live if live is not None else [True] * n),
        lengths={f: lengths for f in ("body", "title", "heading", "exact")},
        article_of=np.asarray(article_of, dtype=np.int32),
        article_ids=[f"a{i}" for i in range(max(article_of) + 1)],
        topic_of=np.asarray(topic_of, dtype=np.int16),
        topics=topics,
        params=RankingParams(**params),
    )


# articles: a0 has sections 0, 1; a1 has 2; a2 has 3, 4
ARRAYS = arrays([0, 0, 1, 2, 2], [0, 0, 1, 0, 0], ["sleep", "diet"])


def test_an_article_ranks_by_its_best_section():
    m = match(ARRAYS, np.array([1.0, 5.0, 3.0, 2.0, 4.0], dtype=np.float32), ARRAYS.live)
    total, top = top_articles(ARRAYS, m, need=3)
    assert total == 3
    assert [(a, doc) for a, doc, _ in top] == [(0, 1), (2, 4), (1, 2)]


def test_disallowed_sections_neither_match_nor_count():
    allowed = np.array([True, False, True, True, True])
    m = match(ARRAYS, np.array([1.0, 5.0, 0.0, 0.0, 0.0], dtype=np.float32), allowed)
    assert m.hits.tolist() == [1, 0, 0]
    assert top_articles(ARRAYS, m, need=10) == (1, [(0, 0, 1.0)])


def test_article_filter_changes_total_but_not_topic_counts():
    m = match(ARRAYS, np.array([1.0, 0.0, 3.0, 2.0, 0.0], dtype=np.float32), ARRAYS.live)
    only_diet = np.array([False, True, False])
    total, top = top_articles(ARRAYS, m, need=10, article_ok=only_diet)
    assert (total, [a for a, _, _ in top]) == (1, [1])
    assert topic_counts(ARRAYS, m) == [("sleep", 2), ("diet", 1)]


def test_nothing_matching_gives_no_articles():
    m = match(ARRAYS, np.zeros(5, dtype=np.float32), ARRAYS.live)
    assert top_articles(ARRAYS, m, need=10) == (0, [])


def test_more_articles_than_the_first_partition_covers_are_still_found():
    many = arrays(list(range(100)), [0] * 100, ["t"])
    m = match(many, np.linspace(1, 2, 100, dtype=np.float32), many.live)
    total, top = top_articles(many, m, need=60)
    assert total == 100 and [a for a, _, _ in top] == list(range(99, 39, -1))


def test_article_sections_best_first_and_matching_only():
    m = Matches(np.array([1.0, 5.0, 3.0, 0.0, 4.0], dtype=np.float32), np.array([2, 1, 1]))
    assert article_sections(ARRAYS, m, 0) == [(1, 5.0), (0, 1.0)]
    assert article_sections(ARRAYS, m, 2) == [(4, 4.0)]


def test_contributions_are_bm25_with_the_params_given():
    a = arrays([0, 1], [0, 0], ["t"], lengths=[10.0, 30.0], k1=1.5, b=0.5)
    vector = a.contributions("body", np.array([0, 1], dtype=np.int32), np.array([2.0, 2.0]))
    idf = lucene_idf(2, 2)
    avg = 20.0
    expected = [idf * 2 * 2.5 / (2 + 1.5 * (0.5 + 0.5 * n / avg)) for n in (10.0, 30.0)]
    assert vector.contrib.tolist() == pytest.approx(expected, rel=1e-6)
    assert isinstance(vector, TermVector) and vector.size == 2


def test_query_weights_saturate_with_k3():
    assert RankingParams(k3=8.0).saturate(1) == 1.0
    assert RankingParams(k3=8.0).saturate(2) == pytest.approx(1.8)


@pytest.fixture
def ranker(shared_index):
    with Engine(shared_index, cache_size=0).session() as view:
        yield view.ranker


def test_ranker_on_a_real_index_ranks_the_matching_article_first(ranker):
    ranking = ranker.rank(ranker.build(parse_query("diazepam back pain")), need=3)
    best = ranker.section(ranking.hits[0].doc)
    assert best.article_id == "medicines/diazepam-back-pain" and ranking.total >= 1
    assert all(score < ranking.hits[0].score for _, score in ranking.hits[0].more)


def test_ranker_phrase_excludes_sections_without_it(ranker):
    ranking = ranker.rank(ranker.build(parse_query('"muscle strain"')), need=10)
    ids = {ranker.section(h.doc).article_id for h in ranking.hits}
    assert ids == {"medicines/diazepam-back-pain"}


def test_ranker_exclusion_and_topic_filter(ranker):
    ranking = ranker.rank(ranker.build(parse_query("sleep -caffeine topic:sleep")), need=10)
    ids = {ranker.section(h.doc).article_id for h in ranking.hits}
    assert ids == {"sleep/insomnia"}


def test_prefix_expansion_prefers_common_live_terms(ranker):
    assert "sleep" in ranker.expand_prefix("sle")
    assert ranker.expand_prefix("zzq") == []

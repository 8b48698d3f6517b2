"""IR metrics and dataset loading in searchsvc.evaluate, checked against hand-worked answers."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import pytest

from searchsvc.evaluate import (
    DatasetError,
    documents_as_articles,
    load_dataset,
    mrr_at_k,
    ndcg_at_k,
    percentile,
    recall_at_k,
    run_eval,
    summarise,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

L2 = math.log2


# --------------------------------------------------------------------------------------------
# nDCG


def test_ndcg_perfect_ranking_is_one():
    qrels = {"a": 3, "b": 2, "c": 1}
    assert ndcg_at_k(["a", "b", "c", "x"], qrels) == pytest.approx(1.0)


def test_ndcg_nothing_relevant_retrieved_is_zero():
    assert ndcg_at_k(["x", "y", "z"], {"a": 1, "b": 2}) == 0.0


def test_ndcg_graded_gains_worked_example():
    # Judged gains a=3, b=2, c=1; ranking b, x, a.
    # DCG  = 2/log2(2) + 0/log2(3) + 3/log2(4) = 2 + 0 + 1.5 = 3.5
    # IDCG = 3/log2(2) + 2/log2(3) + 1/log2(4) = 3 + 1.26186 + 0.5 = 4.76186
    # nDCG = 3.5 / 4.76186 = 0.73501
    qrels = {"a": 3, "b": 2, "c": 1}
    assert ndcg_at_k(["b", "x", "a"], qrels, k=10) == pytest.approx(0.73501, abs=1e-5)


def test_ndcg_uses_linear_gain_not_exponential():
    # One doc of gain 4 at rank 2, another of gain 1 at rank 1.
    # linear: DCG = 1 + 4/log2(3) = 3.52372; IDCG = 4 + 1/log2(3) = 4.63093 -> 0.76091
    # (exponential 2^g - 1 would give (1 + 15/1.58496) / (15 + 1/1.58496) = 0.67015)
    qrels = {"hi": 4, "lo": 1}
    assert ndcg_at_k(["lo", "hi"], qrels) == pytest.approx(0.76091, abs=1e-5)


def test_ndcg_ideal_uses_all_judged_docs_not_only_retrieved():
    # Relevant a, b (gain 1 each). Only a is retrieved, at rank 1.
    # DCG = 1; IDCG = 1 + 1/log2(3) = 1.63093 -> 0.61315.
    # (An ideal built from retrieved docs only would wrongly give 1.0.)
    assert ndcg_at_k(["a"], {"a": 1, "b": 1}) == pytest.approx(0.61315, abs=1e-5)


def test_ndcg_zero_gain_judgments_count_as_non_relevant():
    # Cranfield-style: z is judged with score 0. It neither adds gain nor enters the ideal.
    # Ranking z, a: DCG = 0 + 1/log2(3) = 0.63093; IDCG = 1 -> 0.63093
    assert ndcg_at_k(["z", "a"], {"a": 1, "z": 0}) == pytest.approx(0.63093, abs=1e-5)


def test_ndcg_cutoff_ignores_docs_below_k():
    # Relevant doc at rank 3 with k=2 -> nothing relevant in the top 2.
    assert ndcg_at_k(["x", "y", "a"], {"a": 1}, k=2) == 0.0
    # With k=3: DCG = 1/log2(4) = 0.5, IDCG = 1.
    assert ndcg_at_k(["x", "y", "a"], {"a": 1}, k=3) == pytest.approx(0.5)


def test_ndcg_ideal_is_cut_at_k():
    # 3 relevant docs (gain 1), k=2, ranking a, b: DCG = 1 + 1/log2(3); IDCG@2 is the same.
    assert ndcg_at_k(["a", "b"], {"a": 1, "b": 1, "c": 1}, k=2) == pytest.approx(1.0)


def test_ndcg_duplicate_ids_count_once():
    # "a" twice: the second copy must not add gain again. Ranking a, a, b == a, b.
    qrels = {"a": 1, "b": 1}
    assert ndcg_at_k(["a", "a", "b"], qrels) == pytest.approx(1.0)


def test_ndcg_no_relevant_docs_is_zero():
    assert ndcg_at_k(["a"], {"a": 0}) == 0.0


# --------------------------------------------------------------------------------------------
# Recall, MRR


def test_recall_counts_missing_relevant_docs():
    # 4 relevant, 2 of them (a, c) retrieved -> 2/4.
    qrels = {"a": 1, "b": 1, "c": 2, "d": 1, "z": 0}
    assert recall_at_k(["a", "x", "c", "z"], qrels, k=100) == pytest.approx(0.5)


def test_recall_respects_cutoff():
    # a at rank 1, c at rank 3; k=2 sees only a -> 1/2.
    assert recall_at_k(["a", "x", "c"], {"a": 1, "c": 1}, k=2) == pytest.approx(0.5)


def test_recall_perfect_and_zero():
    assert recall_at_k(["b", "a"], {"a": 1, "b": 3}) == 1.0
    assert recall_at_k(["x"], {"a": 1}) == 0.0


def test_mrr_relevant_at_rank_three_is_one_third():
    assert mrr_at_k(["x", "y", "a", "b"], {"a": 1, "b": 1}) == pytest.approx(1 / 3)


def test_mrr_beyond_cutoff_is_zero():
    assert mrr_at_k(["x", "y", "a"], {"a": 1}, k=2) == 0.0


def test_mrr_skips_zero_gain_judged_docs():
    # z is judged but gain 0, so the first relevant doc is a at rank 2.
    assert mrr_at_k(["z", "a"], {"z": 0, "a": 1}) == pytest.approx(0.5)


def test_k_must_be_positive():
    with pytest.raises(ValueError):
        ndcg_at_k(["a"], {"a": 1}, k=0)


# --------------------------------------------------------------------------------------------
# percentile, summarise, run_eval


def test_percentile_linear_interpolation():
    # Sorted 1,2,3,4: p50 position = 3 * 0.5 = 1.5 -> 2 + 0.5 * (3 - 2) = 2.5
    assert percentile([4, 1, 3, 2], 50) == pytest.approx(2.5)
    # p99 of 0..100 (101 values): position 99 -> 99
    assert percentile(range(101), 99) == pytest.approx(99.0)
    assert percentile([7], 99) == 7
    with pytest.raises(ValueError):
        percentile([], 50)


def test_summarise_means_and_excludes_queries_without_relevant_docs():
    qrels = {
        "1": {"a": 1},  # retrieved at rank 1 -> nDCG 1, MRR 1, recall 1
        "2": {"b": 1, "c": 1},  # c at rank 2 only: nDCG = (1/log2 3)/(1 + 1/log2 3), MRR 1/2
        "3": {"d": 0},  # no relevant doc -> excluded
        "4": {"e": 1},  # no run at all -> zeros
    }
    runs = {"1": ["a"], "2": ["x", "c"], "3": ["d"]}
    rep = summarise(runs, qrels, {"1": 0.001, "2": 0.003, "3": 0.002})
    assert rep.n_queries == 3
    # query 2: (1/log2 3) / (1 + 1/log2 3) = 0.38685; mean (1 + 0.38685 + 0) / 3
    assert rep.ndcg_at_10 == pytest.approx(0.46228, abs=1e-5)
    assert rep.mrr_at_10 == pytest.approx((1 + 0.5 + 0) / 3)
    assert rep.recall_at_100 == pytest.approx((1 + 0.5 + 0) / 3)
    assert rep.p50_ms == pytest.approx(2.0)
    assert [q.query_id for q in rep.per_query] == ["1", "2", "4"]


def test_run_eval_times_each_query_and_scores(tmp_path):
    ds = load_dataset(_write_beir(tmp_path / "tiny"))
    calls = []

    def ranker(text):
        calls.append(text)
        return ["d2", "d1"] if "cats" in text else ["d3"]

    done = []
    rep = run_eval(ds, ranker, progress=lambda i, n: done.append((i, n)))
    assert sorted(calls) == ["cats purr", "dogs bark"]
    assert done == [(1, 2), (2, 2)]
    # q1 (cats): relevant d1 gain 2 at rank 2, d2 gain 0 -> nDCG = (2/log2 3)/2, MRR 1/2.
    # q2 (dogs): relevant d3 at rank 1 -> 1.0.
    assert rep.n_queries == 2
    assert rep.ndcg_at_10 == pytest.approx(((1 / L2(3)) + 1) / 2)
    assert rep.mrr_at_10 == pytest.approx(0.75)
    assert rep.p50_ms is not None and rep.p50_ms >= 0


# --------------------------------------------------------------------------------------------
# load_dataset


CORPUS = [
    {"_id": "d1", "title": "Cats", "text": "Cats purr.", "extra": 1},
    {"_id": "d2", "title": "", "text": "Dogs and cats."},
    {"_id": "d3", "title": "Dogs", "text": "Dogs bark."},
]
QUERIES = [
    {"_id": "q1", "text": "cats purr"},
    {"_id": "q2", "text": "dogs bark"},
    {"_id": "q3", "text": "unjudged query"},
]
QRELS = "query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td2\t0\nq2\td3\t1\n"


def _write_beir(folder: Path, gz: bool = False, qrels: str = QRELS) -> Path:
    folder.mkdir(parents=True)
    lines = "".join(json.dumps(d) + "\n" for d in CORPUS)
    if gz:
        with gzip.open(folder / "corpus.jsonl.gz", "wt", encoding="utf-8") as fh:
            fh.write(lines)
    else:
        (folder / "corpus.jsonl").write_text(lines, encoding="utf-8")
    (folder / "queries.jsonl").write_text(
        "".join(json.dumps(q) + "\n" for q in QUERIES), encoding="utf-8"
    )
    (folder / "qrels.tsv").write_text(qrels, encoding="utf-8")
    return folder


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_load_dataset_plain_and_gzip(tmp_path, gz):
    ds = load_dataset(_write_beir(tmp_path / "tiny", gz=gz))
    assert ds.name == "tiny"
    assert [tuple(d) for d in ds.docs] == [
        ("d1", "Cats", "Cats purr."),
        ("d2", "", "Dogs and cats."),
        ("d3", "Dogs", "Dogs bark."),
    ]
    # q3 has no judgments, so it is dropped.
    assert ds.queries == {"q1": "cats purr", "q2": "dogs bark"}
    assert ds.qrels == {"q1": {"d1": 2, "d2": 0}, "q2": {"d3": 1}}
    assert ds.n_relevant_pairs == 2


def test_load_dataset_train_split(tmp_path):
    folder = _write_beir(tmp_path / "tiny")
    (folder / "train_queries.jsonl").write_text('{"_id": "t1", "text": "purr"}\n')
    (folder / "train_qrels.tsv").write_text("query-id\tcorpus-id\tscore\nt1\td1\t1\n")
    ds = load_dataset(folder, split="train")
    assert ds.queries == {"t1": "purr"}
    assert ds.qrels == {"t1": {"d1": 1}}
    with pytest.raises(DatasetError, match=r"nope_qrels\.tsv"):
        load_dataset(folder, split="nope")


def test_load_dataset_malformed_qrels_header(tmp_path):
    bad = QRELS.replace("query-id\tcorpus-id\tscore", "qid docid rel")
    folder = _write_beir(tmp_path / "tiny", qrels=bad)
    with pytest.raises(DatasetError, match=r"qrels\.tsv: line 1: header"):
        load_dataset(folder)


def test_load_dataset_bad_score_and_bad_json(tmp_path):
    folder = _write_beir(tmp_path / "a", qrels="query-id\tcorpus-id\tscore\nq1\td1\tyes\n")
    with pytest.raises(DatasetError, match=r"qrels\.tsv: line 2: score 'yes'"):
        load_dataset(folder)
    folder = _write_beir(tmp_path / "b")
    with (folder / "corpus.jsonl").open("a") as fh:
        fh.write("{not json\n")
    with pytest.raises(DatasetError, match=r"corpus\.jsonl: line 4: invalid JSON"):
        load_dataset(folder)


def test_load_dataset_missing_folder_and_files(tmp_path):
    with pytest.raises(DatasetError, match="dataset folder not found"):
        load_dataset(tmp_path / "absent")
    folder = _write_beir(tmp_path / "tiny")
    (folder / "corpus.jsonl").unlink()
    with pytest.raises(DatasetError, match=r"no corpus\.jsonl"):
        load_dataset(folder)


def test_load_dataset_judged_query_without_text(tmp_path):
    folder = _write_beir(tmp_path / "tiny", qrels=QRELS + "q9\td1\t1\n")
    with pytest.raises(DatasetError, match="q9"):
        load_dataset(folder)


def test_documents_as_articles(tmp_path):
    ds = load_dataset(_write_beir(tmp_path / "tiny"))
    arts = list(documents_as_articles(ds))
    assert [a.id for a in arts] == ["d1", "d2", "d3"]
    a = arts[0]
    assert (a.title, a.topic, a.url) == ("Cats", "tiny", "")
    assert len(a.sections) == 1
    assert (a.sections[0].heading, a.sections[0].anchor) == ("", "")
    assert a.text == "Cats purr."


# --------------------------------------------------------------------------------------------
# Real data (skipped when the shared data folder is not present)


def test_glasgow_med_counts_match_source_md():
    folder = SHARED_DATA / "glasgow-med"
    if not folder.is_dir():
        pytest.skip(f"evaluation data not present at {folder} (see docs/relevance.md)")
    ds = load_dataset(folder)
    # SOURCE.md: 1,033 docs, 15 DEV queries, 389 judged pairs (all score 1).
    assert len(ds.docs) == 1033
    assert len(ds.queries) == 15
    assert ds.n_judged_pairs == 389
    assert ds.n_relevant_pairs == 389

"""The learning loop: models built deterministically from the corpus, and an organisation's
category corrections changing the next prediction for similar wording after retraining."""

from __future__ import annotations

import json

import numpy as np
import pytest

from handlers.nlu import Parser, training
from handlers.nlu.learn import read_jsonl, slice_of
from tests.nlu.conftest import TODAY


@pytest.fixture(scope="module")
def rules_only(tmp_path_factory) -> Parser:
    """A parser with the rule layer alone, on its own cache, so retraining here touches nothing shared."""
    return Parser.load(cache_dir=tmp_path_factory.mktemp("nlu-loop"), learned=False)


def test_training_is_deterministic(rules_only):
    rows = [r for r in training.shipped_rows() if slice_of(r) in ("d", "t8")]
    a, b = training.train(rules_only, rows), training.train(rules_only, rows)
    assert a.intent.labels == b.intent.labels and a.intent.index == b.intent.index
    assert np.array_equal(a.intent.weights, b.intent.weights)
    assert np.array_equal(a.category["campus"].weights, b.category["campus"].weights)


CORRECTED = ["晨跑打卡定位不准，跑完了不算", "晨跑打卡次数没记上", "晨跑打卡要求一学期跑四十次，太多了"]
SIMILAR = "晨跑打卡app老是闪退"


def test_a_correction_changes_the_next_prediction_for_similar_wording(rules_only, tmp_path, monkeypatch):
    monkeypatch.delenv("MINQING_NLU_CACHE", raising=False)
    cache, corrections = tmp_path / "cache", tmp_path / "nlu" / "corrections.jsonl"
    before = training.load_or_train(rules_only, cache, None)
    rules_only.models = before
    assert rules_only.classify(SIMILAR) != "教学"

    # what `minqing nlu train` and the nightly job write: one corpus line per 改 #N 分类
    lines = [
        {
            "id": f"corr-{n}",
            "profile": "campus",
            "today": "2026-11-20",
            "text": text,
            "intent": "issue",
            "visit": None,
            "items": [{"category": "教学", "also": [], "key": text[:6]}],
            "query": None,
            "resolve": None,
        }
        for n, text in enumerate(CORRECTED, 1)
    ]
    after = training.retrain(rules_only, cache, corrections, lines)
    assert after.key != before.key
    assert rules_only.classify(SIMILAR) == "教学"
    assert [r["text"] for r in read_jsonl(corrections)] == CORRECTED

    # another process (a worker) sharing the cache picks the new models up without training
    other = Parser.load(cache_dir=tmp_path / "worker", learned=False)
    other.models = before
    other.watch(cache, None)
    other._learning = (cache, corrections, 0.0, 0.0)  # it saw no corrections file yet
    monkeypatch.setattr(training, "train", lambda *a, **k: pytest.fail("a refresh must not train"))
    assert other.refresh() is True
    assert other.classify(SIMILAR) == "教学"


def test_the_unsure_choice_is_offered_in_the_reply(parser, monkeypatch):
    """When the model's two best categories are close, the record reply names the second one and
    how to switch to it."""
    from handlers.texts.replies import unsure
    from storage.records import NewItem

    monkeypatch.setattr(parser.models, "margin", 1.01)  # every item counts as unsure
    item = parser.parse("晨跑打卡定位不准", TODAY).items[0]
    assert item.alternative and item.alternative != item.category
    new = NewItem(
        owner=None,
        category=item.category,
        text=item.text,
        track="quick",
        deadline=None,
        message_id=1,
        created_at=None,
        id=12,
        alternative=item.alternative,
    )
    assert unsure(new) == f"（也可能是 {item.alternative}，回复「改 #12 分类 {item.alternative}」）"


def test_an_item_filed_under_other_names_the_likeliest_real_category(parser):
    """An item the model cannot place is 其他, and the reply offers its likeliest real category
    (the office refiles 其他 items; the hint must name a category that exists)."""
    from handlers.texts.replies import recorded
    from storage.records import NewItem
    from storage.roster import Sender

    category, alternative = parser.categorize("嗯嗯啊啊", "campus")
    assert category == "其他"
    assert alternative in parser.categories("campus") and alternative != "其他"
    new = NewItem(
        owner=Sender(1, "张三", 1),
        category=category,
        text="嗯嗯啊啊",
        track="quick",
        deadline=TODAY,
        message_id=1,
        created_at=None,
        id=12,
        alternative=alternative,
    )
    reply = recorded(None, [new], TODAY)
    assert f"（也可能是 {alternative}，回复「改 #12 分类 {alternative}」）" in reply
    assert f"回复「改 #12 分类 {alternative}」「改 #12 期限" in reply


def test_corrections_file_lines_are_valid_corpus_lines(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text("\ufeff" + json.dumps({"id": "corr-1", "text": "x"}) + "\n\n", encoding="utf-8")
    assert read_jsonl(path) == [{"id": "corr-1", "text": "x"}]
    path.write_text("{broken\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"c\.jsonl:1"):
        read_jsonl(path)


def test_the_lexicon_counts_distinct_words_of_each_category():
    from handlers.nlu.classify import Lexicon

    lex = Lexicon({"基础设施": ["路灯", "路灯杆", "井盖"], "治安": ["井盖", "盗窃"]})
    # 路灯杆 is one word (路灯 inside it is not counted again); 井盖 votes for both its categories
    assert lex.counts("小区路灯杆倒了，井盖也被偷了") == {"基础设施": 2, "治安": 1}
    assert lex.counts("今天天气不错") == {}


def test_lexicon_words_are_features_not_segmentation(rules_only):
    # the lexicon feeds the category model only: it adds no word to jieba and no keyword vote
    word = next(
        w
        for w in rules_only.taxonomies["community"].lexicon.table
        if w not in rules_only.tokenizer.FREQ and w not in rules_only.taxonomies["community"].keywords
    )
    assert word not in rules_only.tokenizer.FREQ
    feats = training.lexicon_examples(rules_only, "community")
    assert feats and all(not weighted for (_, weighted), _, _ in feats)  # n-grams and tokens only
    assert all(w == training.LEXICON_WEIGHT for _, _, w in feats)


def test_a_lexicon_word_teaches_its_category_to_the_model(rules_only, monkeypatch):
    # a word no labelled message contains still leans its item towards its category
    text = "楼里的喷淋头一半是坏的"  # invented; 喷淋 is in the community lexicon under 治安
    rows = [r for r in training.shipped_rows() if slice_of(r) in ("d", "t4", "t7", "t8")]
    assert not any("喷淋" in r["text"] for r in rows)
    feats = _item_features(rules_only, text)
    categories = rules_only.categories("community")

    def p_safety(models):
        return dict(models.category["community"].probabilities(feats, categories))["治安"]

    taught = p_safety(training.train(rules_only, rows))
    monkeypatch.setattr(training, "lexicon_examples", lambda parser, profile: [])
    untaught = p_safety(training.train(rules_only, rows))
    assert taught > untaught + 0.05


def _item_features(parser, text):
    from handlers.nlu.features import item_features

    return item_features(text, [(parser._tokens(text), 1.0)], parser.classifiers["community"], None)


def test_a_feature_seen_once_in_the_corpus_is_dropped_but_taught_words_are_kept():
    from handlers.nlu.learn import fit, fit_nb

    examples = [
        (({"a", "once"}, {}), "x"),
        (({"a", "b"}, {}), "x"),
        (({"c"}, {}), "y"),
        (({"c", "b"}, {}), "y"),
        (({"taught"}, {}), "y"),  # a lexicon word or a correction: another weight
    ]
    weights = [1.0, 1.0, 1.0, 1.0, 0.5]
    for train in (fit, fit_nb):
        kept = set(train(examples, weights=weights, min_examples=2).index)
        assert "once" not in kept and "taught" in kept and {"a", "c"} <= kept
        assert "once" in set(train(examples, weights=weights).index)  # min_examples=1: nothing dropped

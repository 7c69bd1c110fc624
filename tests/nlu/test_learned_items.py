"""Whole items, learned: the boundary model (does a weakly joined problem clause start a new item?),
the item-keep model (is a group the rules made a real item?), their training rows, and the cue
families that decide what is an item at all (praise, fixed on the spot, handed over, a report's
title). Invented sentences, not corpus lines."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from handlers.nlu import Parser, training
from handlers.nlu.learn import LinearModel

from .conftest import TODAY


def texts(parsed):
    return [i.text for i in parsed.items]


@pytest.fixture(scope="module")
def rules_only(tmp_path_factory) -> Parser:
    """The rule layer alone (no learned model): the rules' verdicts are the defaults."""
    return Parser.load(cache_dir=tmp_path_factory.mktemp("nlu-items"), learned=False)


# --- cue families: what is an item at all --------------------------------------------------------


def test_a_problem_word_inside_praise_is_praise(rules_only):
    # 很热 (too hot) is a problem cue, but here it is part of 很热情 (very warm-hearted)
    p = rules_only.parse("今天在三食堂共餐，学生说饭菜偏贵，窗口师傅服务很热情，菜品也丰富", TODAY)
    assert p.intent == "visit" and texts(p) == ["饭菜偏贵"]


@pytest.mark.parametrize(
    "text",
    [
        "昨晚去竹园4栋查寝，有个寝室的台灯插座松了，当场换了新插座",
        "今天到青山村做防诈骗宣传，有几位老人手机里装了来路不明的app，帮他们卸载了",
    ],
)
def test_what_was_done_there_and_then_is_no_item(rules_only, text):
    p = rules_only.parse(text, TODAY, "community")
    assert p.intent == "visit" and texts(p) == []


def test_an_order_to_rectify_stays_with_the_problem_it_answers(rules_only):
    text = "今天走访城南社区，居民反映小区门口的路灯坏了好几盏。社区已下发整改通知，要求物业月底前完成整改。"
    p = rules_only.parse(text, TODAY, "community")
    assert texts(p) == ["小区门口的路灯坏了好几盏。社区已下发整改通知，要求物业月底前完成整改"]


def test_a_report_title_is_no_item(rules_only):
    p = rules_only.parse("东湖街道老旧小区改造情况汇报：部分楼栋外墙脱落，雨天屋顶渗水", TODAY, "community")
    assert texts(p) == ["部分楼栋外墙脱落，雨天屋顶渗水"]


# --- the boundary model ---------------------------------------------------------------------------


def test_the_boundary_model_has_the_last_word_where_the_rules_attach(parser, monkeypatch):
    text = "学生反映图书馆座位太少，考研的同学早上六点就去排队"
    assert texts(parser.parse(text, TODAY)) == ["图书馆座位太少，考研的同学早上六点就去排队"]
    assert parser.models is not None
    # a boundary model that reads a clause opening with 考研 as a new item
    weights = np.array([[-4.0, 4.0]], dtype=np.float32)
    stub = LinearModel(("0", "1"), {"bo2:考研": 0}, weights, np.array([1.0, -1.0], dtype=np.float32))
    monkeypatch.setattr(parser, "models", dataclasses.replace(parser.models, boundary=stub))
    assert texts(parser.parse(text, TODAY)) == ["图书馆座位太少", "考研的同学早上六点就去排队"]


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("实验楼二楼的应急灯不亮 三楼厕所的水龙头一直漏水", ["实验楼二楼的应急灯不亮", "三楼厕所的水龙头一直漏水"]),
        ("今天到机电学院座谈，老师们说实训室的电脑太旧了 打印机经常卡纸", ["实训室的电脑太旧了", "打印机经常卡纸"]),
    ],
)
def test_two_problems_in_one_sentence_stay_two_items(parser, text, items):
    assert texts(parser.parse(text, TODAY)) == items


def test_boundary_rows_are_labelled_by_the_keys_on_either_side(rules_only):
    text = "实验楼二楼的应急灯不亮 三楼厕所的水龙头一直漏水"
    row = {"id": "x_1", "intent": "issue", "profile": "campus", "text": text, "items": []}
    two = dict(row, items=[{"key": "应急灯", "category": "安全"}, {"key": "水龙头", "category": "后勤"}])
    one = dict(row, items=[{"key": "应急灯", "category": "安全"}])
    assert [label for _, label in training.boundary_examples(rules_only, [two])] == ["1"]
    assert [label for _, label in training.boundary_examples(rules_only, [one])] == ["0"]


def _boundary_stub(weight: float) -> LinearModel:
    """A boundary model whose verdict on a clause opening a sentence of its own is `weight`
    (log-odds of a new item; negative: it goes on telling the item before)."""
    weights = np.array([[-weight / 2, weight / 2]], dtype=np.float32)
    return LinearModel(("0", "1"), {"b:sentence": 0}, weights, np.array([0.0, 0.0], dtype=np.float32))


def test_a_sentence_that_goes_on_telling_the_item_joins_it_when_the_model_is_sure(parser, monkeypatch):
    text = "今天去竹园3栋走访，洗衣房的烘干机坏了。学生只能把湿衣服晾在走廊里。"
    assert parser.models is not None
    monkeypatch.setattr(parser, "models", dataclasses.replace(parser.models, boundary=_boundary_stub(-4.0)))
    assert texts(parser.parse(text, TODAY)) == ["洗衣房的烘干机坏了。学生只能把湿衣服晾在走廊里"]
    # unsure (p .4 of a new item is not sure enough to join): each sentence stays its own
    monkeypatch.setattr(parser, "models", dataclasses.replace(parser.models, boundary=_boundary_stub(-0.4)))
    assert texts(parser.parse(text, TODAY)) == ["洗衣房的烘干机坏了", "学生只能把湿衣服晾在走廊里"]


@pytest.mark.parametrize(
    ("text", "items"),
    [
        # 也 marks a further point
        ("今天去竹园3栋走访，洗衣房的烘干机坏了。自习室的空调也坏了。", ["洗衣房的烘干机坏了", "自习室的空调也坏了"]),
        # another thing, not told as a consequence
        (
            "今天去竹园3栋走访，洗衣房的烘干机坏了。图书馆晚上十点就闭馆。",
            ["洗衣房的烘干机坏了", "图书馆晚上十点就闭馆"],
        ),
    ],
)
def test_a_sentence_of_another_point_never_joins(parser, monkeypatch, text, items):
    # however sure the boundary model is that the sentence goes on with the item before
    assert parser.models is not None
    monkeypatch.setattr(parser, "models", dataclasses.replace(parser.models, boundary=_boundary_stub(-4.0)))
    assert texts(parser.parse(text, TODAY)) == items


def test_boundary_rows_include_a_sentence_after_an_item(rules_only):
    text = "洗衣房的烘干机坏了。自习室的空调不制冷"
    row = {"id": "x_3", "intent": "issue", "profile": "campus", "text": text, "items": []}
    two = dict(row, items=[{"key": "烘干机", "category": "宿舍"}, {"key": "空调", "category": "教学"}])
    one = dict(row, items=[{"key": "烘干机", "category": "宿舍"}])
    rows_two = training.boundary_examples(rules_only, [two])
    assert [label for _, label in rows_two] == ["1"]
    assert "b:sentence" in rows_two[0][0][0]
    assert [label for _, label in training.boundary_examples(rules_only, [one])] == ["0"]


# --- a message no cue finds a problem in --------------------------------------------------------


def _clause_stub(feature: str, logit: float) -> LinearModel:
    """A clause model that reads every clause as no problem (log-odds -6), and one with
    `feature` at log-odds `logit`."""
    weights = np.array([[-(logit + 6.0) / 2, (logit + 6.0) / 2]], dtype=np.float32)
    return LinearModel(("0", "1"), {feature: 0}, weights, np.array([3.0, -3.0], dtype=np.float32))


def test_a_message_with_no_stated_problem_keeps_its_likeliest_problem_clause(parser, monkeypatch):
    lone = "上午去敬老院看了刘奶奶，一个人住，下楼买菜要走半个钟头"
    beside = "上午去敬老院看了刘奶奶，屋里的暖气不热。下楼买菜要走半个钟头"
    assert parser.models is not None
    tax = parser.taxonomies["community"]

    def kind(text: str) -> str:
        clauses, _, _ = parser.clauses(text, tax)
        return next(c.kind for c in clauses if "钟头" in c.text)

    # p .4: not a problem by itself, but the likeliest one of a message that states none
    monkeypatch.setattr(parser, "models", dataclasses.replace(parser.models, clause=_clause_stub("c2:钟头", -0.4)))
    assert kind(lone) == "P"
    assert kind(beside) == "N"  # the cue words found a problem: nothing to rescue
    # p .2: too unlikely even alone
    monkeypatch.setattr(parser, "models", dataclasses.replace(parser.models, clause=_clause_stub("c2:钟头", -1.4)))
    assert kind(lone) == "N"


# --- the item-keep model -------------------------------------------------------------------------


def test_keep_rows_label_each_group_by_its_key(rules_only):
    row = {
        "id": "x_2",
        "intent": "visit",
        "profile": "campus",
        "text": "今天去荷园2栋，学生反映洗衣机坏了两台，另外楼道灯不亮",
        "items": [{"key": "洗衣机", "category": "宿舍"}],
    }
    assert [label for _, label in training.group_examples(rules_only, [row])] == ["1", "0"]


def _stub(feature: str) -> LinearModel:
    """A binary model that reads every group as an item unless it has `feature`."""
    weights = np.array([[4.0, -4.0]], dtype=np.float32)  # the feature votes "0" (no item)
    return LinearModel(("0", "1"), {feature: 0}, weights, np.array([-1.0, 1.0], dtype=np.float32))


def test_a_group_the_keep_model_reads_as_no_item_is_dropped(parser, monkeypatch):
    text = "今天去荷园2栋，学生反映洗衣机坏了两台。楼道灯不亮"
    assert texts(parser.parse(text, TODAY)) == ["洗衣机坏了两台", "楼道灯不亮"]
    assert parser.models is not None
    monkeypatch.setattr(parser, "models", dataclasses.replace(parser.models, keep=_stub("c2:楼道")))
    assert texts(parser.parse(text, TODAY)) == ["洗衣机坏了两台"]


def test_a_point_opened_by_lingwai_is_kept_whatever_the_keep_model_says(parser, monkeypatch):
    # 另外 (besides): the writer announces another point, as 也/还 do
    text = "今天走访了一家食品厂，厂里反映污水处理费用太高，另外希望帮忙对接银行贷款。"
    assert parser.models is not None
    monkeypatch.setattr(parser, "models", dataclasses.replace(parser.models, keep=_stub("c2:贷款")))
    assert texts(parser.parse(text, TODAY, "community")) == ["污水处理费用太高", "希望帮忙对接银行贷款"]


def test_a_numbered_point_is_kept_whatever_the_keep_model_says(parser, monkeypatch):
    # 1. 2. 3.: the writer says each point is one; a keep model reading 宽带 as no item drops
    # it from running text, never from a numbered list
    listed = "走访了三家企业，汇总诉求：1.甲厂的货车进不了园区；2.乙厂想招十个焊工；3.丙厂反映宽带老掉线。"
    running = "走访了丙厂，宽带老掉线，货车进不了园区"
    assert parser.models is not None
    monkeypatch.setattr(parser, "models", dataclasses.replace(parser.models, keep=_stub("c2:宽带")))
    assert texts(parser.parse(listed, TODAY, "community")) == ["甲厂的货车进不了园区", "乙厂想招十个焊工", "宽带老掉线"]
    assert all("宽带" not in t for t in texts(parser.parse(running, TODAY, "community")))


def test_training_builds_both_models(rules_only):
    rows = [r for r in training.shipped_rows() if r["id"].startswith(("t1_", "t5_"))]
    models = training.train(rules_only, rows)
    assert models.keep is not None and models.keep.labels == ("0", "1")
    assert models.boundary is not None and models.boundary.labels == ("0", "1")


def test_the_log_odds_of_a_binary_model_agree_with_its_probabilities(parser):
    assert parser.models is not None and parser.models.keep is not None
    model = parser.models.keep
    odds = parser._odds(model)
    assert odds is not None
    weights, bias = odds
    binary = {"k:P", "k0:P", "g:first", "c1:坏", "c2:坏了", "not-a-feature"}
    logit = bias + sum(weights.get(f, 0.0) for f in binary)
    assert 1 / (1 + math.exp(-logit)) == pytest.approx(dict(model.probabilities((binary, {})))["1"], abs=1e-5)

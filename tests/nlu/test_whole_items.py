"""Whole items: one complaint told at length stays one item; marked further points split.

Invented sentences, one rule family per test group (see handlers/nlu/split.py)."""

from .conftest import TODAY


def texts(parsed):
    return [i.text for i in parsed.items]


# --- one voice: a writer's own complaint, however many sentences, is one item -------------------


def test_own_complaint_over_several_sentences_is_one_item(parser):
    text = (
        "我家住在幸福巷5号楼，楼下的洗车店每天早上六点就开始冲水。水流得满路都是，冬天结冰老人摔倒过。"
        "我找过物业好几次，都说管不了。希望有关部门来看看。"
    )
    p = parser.parse(text, TODAY, "community")
    assert p.intent == "issue"
    assert texts(p) == [text.rstrip("。")]


def test_own_complaint_with_a_marked_further_point_splits(parser):
    p = parser.parse("我孩子在二小上学，校门口早上车特别乱。另外学校食堂的饭菜太贵了。", TODAY)
    assert texts(p) == ["我孩子在二小上学，校门口早上车特别乱", "学校食堂的饭菜太贵了"]


def test_what_others_told_the_writer_is_not_their_own_voice(parser):
    # "跟我说": the writer passes on other people's points, each its own item
    p = parser.parse("几个同学跟我说，自习室空调坏了。图书馆晚上闭馆太早。", TODAY)
    assert texts(p) == ["自习室空调坏了", "图书馆晚上闭馆太早"]

"""The masking corpus: every case in privacy_cases.jsonl through handlers.privacy.mask, the
one function group and public outputs use; and a group reply through the real dispatcher."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from handlers.privacy import mask

CASES = [
    json.loads(line)
    for line in (Path(__file__).parent / "privacy_cases.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]


@pytest.mark.parametrize("case", CASES, ids=[c["why"] for c in CASES])
def test_masking_case(case):
    assert mask(case["text"]) == case["masked"]


def test_mask_is_idempotent_on_the_corpus():
    for case in CASES:
        assert mask(case["masked"]) == case["masked"], case["why"]


async def test_group_reply_masks_names_and_numbers(dispatcher):
    from tests.handlers.chat import say

    text = "走访梅园3栋，周杰同学说吃不下，冯小刚和李四发生冲突，学号2021301234，车牌鄂A·12345"
    reply = await say(dispatcher, "zhang", text, chat_id="grp1")
    for secret in ("周杰", "冯小刚", "李四", "2021301234", "12345"):
        assert secret not in reply, reply
    assert "冯某某和李某发生冲突，学号****，车牌鄂A*****" in reply

"""Byte-exact splitting and sliding-window rate limits (injected clock)."""

from __future__ import annotations

import itertools
import json
from datetime import datetime

from bot.dingtalk import limits as dingtalk_limits
from bot.dingtalk.sender import webhook_payload
from bot.outbound import split
from bot.outbound.ratelimit import PER_WEBHOOK, RateLimiter
from bot.wecom import limits as wecom_limits
from bot.wecom.limits import PER_PERSON as PER_PERSON_WECOM
from handlers.clock import FixedClock

LINE = "走访3号宿舍楼，学生反映热水供应不稳定、洗衣机损坏，已转后勤处办理。"  # 34 chars, 3 bytes each + ASCII


def _check(chunks, text, limit, measure=split.utf8_len):
    assert "\n".join(chunks) == text
    assert all(measure(c) <= limit for c in chunks)
    # greedy: the next chunk's first line would not have fitted
    for a, b in itertools.pairwise(chunks):
        assert measure(a + "\n" + b.split("\n")[0]) > limit


def test_wecom_person_2048_bytes_on_line_boundaries():
    text = "\n".join(f"{i:03d}{LINE}" for i in range(120))
    chunks = split.split_text(text, wecom_limits.TEXT_BYTES)
    _check(chunks, text, 2048)
    assert len(chunks) > 5


def test_exact_fit_is_not_split_and_one_byte_more_is():
    line = "民" * 682  # 2046 bytes
    assert split.split_text(line + "\n" + "a", 2048) == [line + "\na"]  # 2046 + 1 + 1 = 2048 bytes
    assert split.split_text(line + "\n" + "ab", 2048) == [line, "ab"]


def test_markdown_4096_and_overlong_line_cut_between_characters():
    text = "# 周报\n" + "民" * 3000 + "\n结束"
    chunks = split.split_text(text, wecom_limits.WEBHOOK_MARKDOWN_BYTES)
    assert all(len(c.encode()) <= 4096 for c in chunks)
    assert "".join(chunks).replace("\n", "") == text.replace("\n", "")
    assert len(chunks[1].encode()) == 4095  # 1365 three-byte characters: never half a character


def test_dingtalk_webhook_20000_bytes_of_json_body():
    text = "\n".join(f'{i}. "{LINE}"\t' for i in range(400))

    def envelope(t):
        return webhook_payload("text", t)

    spans = split.split_spans(text, split.body_budget(envelope, dingtalk_limits.WEBHOOK_BODY_BYTES), split.json_len)
    bodies = [json.dumps(envelope(text[a:b]), ensure_ascii=False).encode() for a, b in spans]
    assert all(len(b) <= 20000 for b in bodies)
    assert all(len(b) > 19000 for b in bodies[:-1])
    assert "\n".join(text[a:b] for a, b in spans) == text


def test_per_person_30_per_minute_and_1000_per_hour():
    clock = FixedClock(datetime(2024, 5, 20, 10, 0))
    rl = RateLimiter(clock)
    for _ in range(30):
        assert rl.acquire("u", PER_PERSON_WECOM) == 0
        clock.advance(seconds=1)
    assert rl.acquire("u", PER_PERSON_WECOM) == 30.0  # the first send leaves the window at 10:01:00
    assert rl.acquire("other", PER_PERSON_WECOM) == 0
    clock.advance(seconds=30)
    assert rl.acquire("u", PER_PERSON_WECOM) == 0
    # hourly cap
    rl2 = RateLimiter(clock)
    for _ in range(1000):
        rl2.record("v")
        clock.advance(seconds=3)
    assert rl2.delay("v", PER_PERSON_WECOM) == 600.0  # 3000 s elapsed; oldest leaves at 3600 s


def test_per_webhook_20_per_minute():
    clock = FixedClock(datetime(2024, 5, 20, 10, 0))
    rl = RateLimiter(clock)
    assert [rl.acquire("w", PER_WEBHOOK) for _ in range(21)][-2:] == [0, 60.0]
    clock.advance(seconds=59)
    assert rl.acquire("w", PER_WEBHOOK) == 1.0
    clock.advance(seconds=1)
    assert rl.acquire("w", PER_WEBHOOK) == 0

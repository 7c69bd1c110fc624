"""The nightly retraining of the understanding models inside `minqing serve`: the corrections
cadres made in chat reach the models, nothing is rebuilt when nothing changed, a failure keeps the
current models."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.app import corrections_path
from handlers.nlu import training
from handlers.nlu.learn import read_jsonl
from handlers.types import IncomingMessage
from scheduler.wiring import retrain_nlu


async def say(app, text: str, n: int) -> str:
    msg = IncomingMessage(
        channel="wecom", msg_id=f"m{n}", user_id="zhang", text=text, received_at=datetime(2026, 11, 18, 10, 0)
    )
    return "\n".join(r.text for r in await app.dispatcher.handle(msg))


async def test_the_days_corrections_are_learned_once(app, monkeypatch):
    assert "#1" in await say(app, "有学生反映晨跑打卡app老是闪退", 1)
    assert "已更正 #1 的分类" in await say(app, "改 #1 分类 教学", 2)
    seen = []

    def retrain(parser, cache_dir, path, lines):  # the real retraining is covered in tests/nlu/test_learning.py
        seen.append([line["items"][0]["category"] for line in lines])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(training.corrections_text(lines), encoding="utf-8")
        return parser.models

    monkeypatch.setattr(training, "retrain", retrain)
    assert await retrain_nlu(app) is True
    assert seen == [["教学"]]
    line = read_jsonl(corrections_path(app.cfg))[0]
    assert line["text"] == "晨跑打卡app老是闪退" and line["was"] != "教学"
    assert await retrain_nlu(app) is False  # nothing new: the models are not rebuilt
    assert len(seen) == 1


async def test_a_failure_keeps_the_current_models(app, monkeypatch, caplog):
    await say(app, "有学生反映晨跑打卡app老是闪退", 1)
    await say(app, "改 #1 分类 教学", 2)
    before = app.parser.models

    def broken(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(training, "retrain", broken)
    with caplog.at_level(logging.ERROR, logger="scheduler.wiring"):
        assert await retrain_nlu(app) is False
    assert app.parser.models is before
    assert [r.getMessage() for r in caplog.records] == ["nlu retrain failed: OSError: disk full"]

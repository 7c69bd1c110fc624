import io
import json

from .conftest import TODAY


def test_run_parse_mixed_lines(parser):
    from handlers.nlu.cli import run_parse

    lines = [
        '{"id": "a", "text": "谢谢"}',
        "今天去荷园5栋，热水器坏了",
        "{not json",
        "",
        '{"id": "c", "text": "村里路灯坏了", "profile": "community", "today": "2026-01-02"}',
    ]
    out = io.StringIO()
    code = run_parse(lines, out, today=TODAY, profile="campus", parser=parser)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert code == 1 and len(rows) == 4
    assert rows[0]["id"] == "a" and rows[0]["intent"] == "other"
    assert rows[1]["id"] == "2" and rows[1]["visit"]["place"] == "荷园5栋"
    assert "error" in rows[2] and rows[2]["id"] == "3"
    assert rows[3]["items"][0]["category"] == "基础设施"
    assert "荷园" in out.getvalue()  # ensure_ascii=False

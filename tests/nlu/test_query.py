import pytest

from .conftest import TODAY


@pytest.mark.parametrize(("text", "want"), [
    ("本月未办结的有哪些", ("items", "open", "this_month", None, False)),
    ("我还有哪些待办", ("items", "open", "all", None, True)),
    ("上周走访情况", ("visits", "any", "last_week", None, False)),
    ("宿舍的问题有哪些没解决", ("items", "open", "all", "宿舍", False)),
    ("本月逾期的", ("items", "overdue", "this_month", None, False)),
    ("这个月我走访了几次", ("visits", "any", "this_month", None, True)),
    ("上个月办结了多少问题", ("items", "resolved", "last_month", None, False)),
    ("我提交的问题处理得怎么样了", ("items", "any", "all", None, True)),
    ("帮我查一下本周新增的安全问题", ("items", "any", "this_week", "安全", False)),
])
def test_query_fields(parser, text, want):
    p = parser.parse(text, TODAY)
    assert p.intent == "query"
    q = p.query
    assert (q.subject, q.status, q.period, q.category, q.mine) == want

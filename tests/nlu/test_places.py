from datetime import date

import pytest

from handlers.nlu.places import detect_place
from handlers.nlu.split import normalize


@pytest.mark.parametrize(
    ("text", "ptype", "place"),
    [
        ("今天去荷园5栋走访", "宿舍", "荷园5栋"),
        ("下午到松苑2栋、松苑3栋查寝", "宿舍", "松苑2栋、松苑3栋"),
        ("中午在三食堂共餐", "食堂", "三食堂"),
        ("在明德楼302听课", "课堂", "明德楼302"),
        ("去电气学院实训室看了看", "课堂", "电气学院实训室"),
        ("到光明村入户走访", "农户", "光明村"),
        ("去学生小赵家家访", "家庭", None),
        ("到青山职业技术学校走访", "学校", "青山职业技术学校"),
        ("到开发区一家电子公司调研", "企业", None),
        ("去恒通物流有限公司走访", "企业", "恒通物流有限公司"),
        ("在北门值守", "点位", "北门"),
        ("在政务服务中心坐窗口", "窗口", None),
        ("去阳光社区看望老人", "社区", "阳光社区"),
        ("去校医院走访", "其他", "校医院"),
        ("到图书馆二楼阅览室看了看", "其他", "图书馆"),
    ],
)
def test_detect_place(text, ptype, place):
    got_type, got_place = detect_place(text)
    assert got_type == ptype
    if place is None:
        assert got_place is None
    else:
        assert got_place is not None and place in got_place


@pytest.mark.parametrize(
    ("text", "profile", "ptype", "place"),
    [
        # an urban village and a residents' property office are neighbourhoods, not farms or windows
        ("下午到河湾城中村排查出租屋", "community", "社区", "河湾城中村"),
        ("到翠竹小区物业服务中心座谈", "community", "社区", "翠竹小区物业服务中心"),
        ("到东风社区党群服务中心看了看", "community", "社区", "东风社区党群服务中心"),
        # a community clinic is a clinic (其他), whatever 社区 in its name says
        ("去东风社区卫生服务中心走访", "community", "其他", "东风社区卫生服务中心"),
        # in a town a …苑 is a housing estate; on campus it is a dorm block
        ("下午去了趟丹桂苑看望独居老人", "community", "社区", "丹桂苑"),
        ("下午去了趟丹桂苑看望生病的同学", "campus", "宿舍", "丹桂苑"),
        # words after the place are not part of it: "跟着燃气公司" names 燃气公司
        ("今天跟着燃气公司入户安检", "community", "企业", "燃气公司"),
    ],
)
def test_what_kind_of_place_it_is(text, profile, ptype, place):
    got_type, got_place = detect_place(text, profile=profile)
    assert got_type == ptype
    assert got_place == place


# --- what the place is: the head noun of its name ----------------------------------------------


@pytest.mark.parametrize(
    "text, place_type, place",
    [
        ("今天到宏达纺织回访，老板说用工紧张", "企业", "宏达纺织"),
        ("周六去了蓝天光电看了下，厂里说订单不错", "企业", "蓝天光电"),
        ("东方生物 3.2 走访，企业反映蒸汽压力不稳", "企业", "东方生物"),
        # who the writer went with is not where they went
        ("今天跟着自来水公司入户查表，走了幸福新村12户，见到居民15人", "社区", "幸福新村"),
        ("在实验楼考场巡考，秩序正常", "点位", None),
        ("今天去了人才市场的春季招聘会，企业要的技工多", "点位", "人才市场的春季招聘会"),
        ("去了校企合作企业恒通机械 学徒班的同学说排班跟上课冲突", "企业", "恒通机械"),
        # an activity at a building is no building's name: 巡楼 is a dorm round here
        ("周三晚上跟宿管一起巡楼 桂园5栋一楼消防门被锁了", "宿舍", "桂园5栋"),
        ("寒假去竹山县看了两户困难学生家 一户房子漏雨", "家庭", None),
    ],
)
def test_place_type_by_head_noun(text, place_type, place):
    profile = "campus" if any(w in text for w in ("学徒", "宿管", "学生")) else "community"
    found_type, found_place = detect_place(normalize(text), profile=profile)
    assert found_type == place_type
    if place is not None:
        assert found_place == place


def test_a_trade_word_inside_other_words_names_no_firm():
    # 电子商务 / 食品经营许可证 are no firm names
    assert detect_place(normalize("今天去电子商务实训室听课"), profile="campus")[0] == "课堂"
    assert detect_place(normalize("今天走访美食街，老板们说办食品经营许可证要跑三趟"), profile="community")[1] is None


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("今天走访了城关镇向阳社区，见到几位居民", "向阳社区"),  # 向: a name's first character here
        ("下午去向阳社区看了看", "向阳社区"),
        ("今天在和平村入户走访", "和平村"),
        ("到阳光小区走访", "阳光小区"),  # 到阳 is no word: 到 is not part of the name
    ],
)
def test_a_place_name_may_begin_with_a_function_character(parser, text, place):
    visit = parser.parse(text, date(2026, 11, 20), "community").visit
    assert visit is not None and visit.place == place

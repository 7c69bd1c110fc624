import pytest

from handlers.nlu.places import detect_place


@pytest.mark.parametrize(("text", "ptype", "place"), [
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
])
def test_detect_place(text, ptype, place):
    got_type, got_place = detect_place(text)
    assert got_type == ptype
    if place is None:
        assert got_place is None
    else:
        assert got_place is not None and place in got_place

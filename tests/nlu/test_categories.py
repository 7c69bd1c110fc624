import pytest

CAMPUS = [
    ("食堂", "三食堂的菜太咸了，分量也少"),
    ("宿舍", "寝室热水器坏了，洗澡没热水"),
    ("教学", "这门课老师照本宣科，作业太多"),
    ("就业", "毕业生反映招聘会岗位太少，简历投了没回音"),
    ("心理", "有个同学最近情绪低落，晚上失眠"),
    ("资助", "家里经济困难，想申请助学金"),
    ("安全", "楼道里有人给电动车充电，存在火灾隐患"),
    ("后勤", "校园路灯坏了好几盏，晚上很黑"),
    ("医疗", "校医院晚上没有医生值班，发烧只能去外面"),
    ("办事", "开在读证明要跑三个部门盖章"),
    ("教职工", "青年教师职称评审压力大，周转房排不上"),
]
COMMUNITY = [
    ("就业", "村里年轻人找不到工作，想参加技能培训"),
    ("教育", "村小学缺老师，孩子上学要走很远"),
    ("医疗", "村卫生室经常缺药，看病要去镇上"),
    ("养老", "独居老人没人照顾，希望建个日间照料中心"),
    ("社保", "几户低保户的低保金还没发放"),
    ("治安", "两户邻居因为宅基地闹纠纷，差点打起来"),
    ("环境", "河道里垃圾成堆，臭味很大"),
    ("基础设施", "村里的路坑坑洼洼，下雨就积水"),
    ("企业", "企业反映融资难，贷款审批太慢"),
    ("农业", "今年稻子病虫害严重，减产了"),
    ("权益", "工地老板拖欠工资半年了"),
]


@pytest.mark.parametrize(("category", "text"), CAMPUS)
def test_campus(parser, category, text):
    assert parser.classify(text, "campus") == category


@pytest.mark.parametrize(("category", "text"), COMMUNITY)
def test_community(parser, category, text):
    assert parser.classify(text, "community") == category


def test_categories_in_order(parser):
    assert parser.categories("campus")[:3] == ("食堂", "宿舍", "教学")
    assert parser.categories("community")[-1] == "其他"


def test_nothing_known_is_other(parser):
    assert parser.classify("嗯嗯", "campus") == "其他"

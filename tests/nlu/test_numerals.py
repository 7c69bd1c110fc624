import pytest

from handlers.nlu.numerals import cn_to_int, count_people


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("两", 2),
        ("俩", 2),
        ("十", 10),
        ("十一", 11),
        ("二十八", 28),
        ("一百零五", 105),
        ("三十六", 36),
        ("两千", 2000),
        ("1万", None),
        ("42", 42),
    ],
)
def test_cn_to_int(text, want):
    assert cn_to_int(text) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("和7名同学座谈", 7),
        ("跟两个研究生聊了聊", 2),
        ("和俩学生一起吃饭", 2),
        ("与十二位老师交流", 12),
        ("明德楼205 学生36人 课堂秩序好", 36),
        ("共走访寝室4间、学生15名", 15),
        ("和3名学生、2名宿管阿姨交流", 5),
        ("见到居民代表4人、村民2人", 6),
        ("访谈学生20名，其中3名学生反映失眠", 20),
        ("接待学生9人次", 9),
        ("走访5户，见到村民8人", 8),
        ("走访农户6户", None),
        ("和十几个同学聊了聊", None),
        ("接待群众大概五十来人", None),
        ("和学生聊了聊", None),
        ("有3个同学说想换宿舍", None),
        ("公司说想招20个实习生", None),
        ("一个班60多人", None),
        # the noun first and the count with 个 closing the clause
        ("在食堂见到了大一的新生5个，聊了聊伙食", 5),
        # people named by what they are, with 的 and no noun, then met
        ("晚上跟3个大二的聊了一会儿", 3),
        ("和两个研三的一起吃了午饭", 2),
        ("和3个宿舍的一起开会", None),  # rooms, not people
        # a roll call: those present, not those expected
        ("去机房听课，应到40人实到37人", 37),
        ("参加班会，全班35人到了33人", 33),
        ("听了一节课 一共28个学生 来了25个", 25),
        # one count is read once ("代表8名学生" is not 代表8名 + 8名学生)
        ("和读者代表8名学生座谈", 8),
        ("与企业的两位高管座谈", 2),
        ("与3名种植大户聊了聊收成", 3),
        # people who went with the writer are companions, not people met
        ("和两名网格员去了桂花小区，看望独居老人", None),
        ("跟3位老师一起到实训基地看了看", None),
        ("陪社区3名老人去做体检", 3),  # those the writer accompanied were met
        # "一个X" is someone, not a count of people met
        ("排了两个小时队，就一个医生在坐诊", None),
        ("一个同学跑了三趟还没办完", None),
        ("和一个同学聊了聊", 1),
        # what a room holds is no meeting
        ("去了员工宿舍，一间屋住6个人", None),
        ("电话家访了4个学生家长", 4),
        # a family or a pair named as a whole
        ("去了小周家 一家四口都在", 4),
        ("见到了小王母女俩", 2),
        ("看望了村里的老两口", 2),
        # a bare count after a meeting verb, or followed by "all there"
        ("去敬老院看了看，见到5位，都挺精神", 5),
        ("回访实习生 6个都见到了", 6),
        ("有个寝室三个人全在打游戏", 3),
        ("看了8名顶岗实习生", 8),
        ("见了6个在附近工地干活的，聊了聊", 6),
        # a room for four, building sites, people one must find are no people met
        ("员工宿舍是四人间，有空调", None),
        ("去辖区3个在建工地转了转", None),
        ("报个账要找三个领导签字", None),
        # companions on the rounds, then those met
        ("我和两名网格员分三次走访了困难户12户，见到群众15人", 15),
        ("跟两位校领导座谈", 2),
        ("开了个座谈会，参加的有12位同学", 12),  # those who came
        ("和企业负责人、2名车间主任座谈", 2),  # titles are people: 主任, 书记, 经理
        ("和3位村支部书记座谈", 3),
    ],
)
def test_count_people(text, want):
    assert count_people(text) == want

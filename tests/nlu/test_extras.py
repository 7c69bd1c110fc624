"""A school's own dictionary and keywords, loaded without a release."""

from datetime import date

from handlers.nlu import Parser


def test_extra_dict_and_keywords(tmp_path):
    words = tmp_path / "school.txt"
    words.write_text("知行苑 10 宿舍\n", encoding="utf-8")
    extra = tmp_path / "school.toml"
    extra.write_text('[campus.keywords."后勤"]\ntop = ["智慧门闸"]\n', encoding="utf-8")
    parser = Parser.load(cache_dir=tmp_path / "cache", extra_dict=words, extra_keywords=extra)
    p = parser.parse("今天去知行苑走访，智慧门闸经常失灵", date(2026, 11, 18))
    assert p.visit.place_type == "宿舍" and p.visit.place == "知行苑"
    assert [i.category for i in p.items] == ["后勤"]
    assert (tmp_path / "cache" / "jieba.cache").exists()

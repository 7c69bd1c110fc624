"""The parser's fast paths give exactly what the plain computation gives (issue 9, speed).

Each fast path is checked against a straightforward reference on every corpus text (dev.jsonl
and train/*.jsonl) and on hand-made edge cases: char n-grams, lexicon counts, the people-count
search near numerals, the date and place guards, the shared cue scan and the linear scores.
"""

from __future__ import annotations

import pickle
import re
from datetime import date

import numpy as np
import pytest

from handlers.nlu import dates, numerals, places
from handlers.nlu.classify import Lexicon
from handlers.nlu.learn import _DIGITS, _SKIP, LinearModel, char_ngrams, corpus_files, read_jsonl
from handlers.nlu.segmenter import Segmenter
from handlers.nlu.split import cue_hits, has_cue, normalize

TEXTS = [str(row["text"]) for path in corpus_files() for row in read_jsonl(path)]
EDGES = ["", "，", "12345", "第12号", "a1b22c333", "热水，不稳定！网络3栋", "  空 格  ", "！！好", "x"]


def _ngrams_reference(text: str, n_max: int = 3, prefix: str = "c") -> set[str]:
    """The n-grams as first written: a loop over windows of each punctuation-free run."""
    out = set()
    for run in _SKIP.split(_DIGITS.sub("0", text)):
        for size in range(1, n_max + 1):
            for i in range(len(run) - size + 1):
                out.add(f"{prefix}{size}:" + run[i : i + size])
    return out


def test_char_ngrams_equal_the_windowed_loop():
    for text in TEXTS + EDGES:
        assert char_ngrams(text) == _ngrams_reference(text), text
        assert char_ngrams(text[:40], 2, prefix="o") == _ngrams_reference(text[:40], 2, "o"), text
    out = {"kept"}
    assert char_ngrams("网络卡", out=out) is out and "kept" in out and "c3:网络卡" in out


def _counts_reference(lexicon: Lexicon, text: str) -> dict[str, int]:
    """Lexicon.counts as first written: every length at every position, longest first."""
    found: set[str] = set()
    covered = -1
    for i in range(len(text)):
        for n in lexicon.lengths:
            w = text[i : i + n]
            if len(w) == n and w in lexicon.table:
                if i + n > covered:
                    found.add(w)
                    covered = i + n
                break
    out: dict[str, int] = {}
    for w in found:
        for cat in lexicon.table[w]:
            out[cat] = out.get(cat, 0) + 1
    return out


def test_lexicon_counts_equal_the_full_scan(parser):
    for tax in parser.taxonomies.values():
        for text in TEXTS + EDGES:
            assert tax.lexicon.counts(text) == _counts_reference(tax.lexicon, text), text
    merged = Lexicon({"宿舍": ["热水器"]})
    merged.merge({"后勤": ["热水", "热水器坏"]})  # a merge re-indexes the first characters
    assert merged.counts("热水器坏了") == {"后勤": 1}
    assert merged.counts("热水器") == {"宿舍": 1}  # 热水 inside the longer word is not counted again
    assert merged.counts("热水") == {"后勤": 1}


def test_people_patterns_found_near_numerals_as_by_finditer():
    # the reach covers the longest person noun a match may start with
    width = re.compile(numerals._NOUN).pattern
    assert re._parser.parse(width).getwidth()[1] <= numerals._NOUN_REACH  # type: ignore[attr-defined]
    cases = TEXTS + EDGES + ["学生代表十二名和村民代表3人", "宝妈们5个，参赛选手12名", "一二三四五六七八九十个人"]
    for text in cases:
        for rx, need in numerals._NEEDS.items():
            near = [m.span() for m in numerals._near(rx, need, text)]
            assert near == [m.span() for m in rx.finditer(text)], text


def test_date_guards_skip_only_patterns_that_cannot_match(monkeypatch):
    today = date(2026, 11, 18)
    guarded = [dates.find_dates(text, today) for text in TEXTS + EDGES]
    unguarded = [(kind, rx, ("",)) for kind, rx, _ in dates._PATTERNS]  # "" is in every text
    monkeypatch.setattr(dates, "_PATTERNS", unguarded)
    assert [dates.find_dates(text, today) for text in TEXTS + EDGES] == guarded


@pytest.mark.parametrize(
    ("rx", "needed"),
    [
        (places._DORM, "栋幢号舍"),
        (places._DORM_LIST, "栋幢号舍"),
        (places._BUILDING, "楼"),
        (places._GATE, "门"),
        (places._REGION, "区镇街乡县"),
        (places._GARDEN, "园"),
    ],
)
def test_place_guards_name_a_character_of_every_match(rx, needed):
    for text in TEXTS:
        for m in rx.finditer(text):
            assert any(ch in m.group(0) for ch in needed), (text, m.group(0))


def test_cue_scan_is_shared_and_equals_search(parser):
    cues = parser.cues
    for raw in TEXTS[:400] + EDGES:
        text = normalize(raw)
        for rx in (cues.problem, cues.request, cues.neutral):
            first = cue_hits(rx, text)
            assert first == [m.span() for m in rx.finditer(text) if m.end() > m.start()]
            assert cue_hits(rx, text) == first  # the latest hits, for the same message object
            assert has_cue(rx, text) == (rx.search(text) is not None)
    # the latest hits belong to one text object: another one is scanned anew
    rx = re.compile("坏")
    assert cue_hits(rx, "灯坏了") == [(1, 2)]
    assert cue_hits(rx, "".join(["坏", "了"])) == [(0, 1)]
    # a pattern that may match an empty string: has_cue answers as search does
    maybe_empty = re.compile("x*")
    assert has_cue(maybe_empty, "abc") and cue_hits(maybe_empty, "abc") == []


def _model() -> LinearModel:
    index = {"a": 0, "b": 1, "k:x": 2}
    weights = np.array([[1.0, 0.0, 0.5], [0.0, 2.0, 0.5], [0.25, 0.0, 1.0]], dtype=np.float32)
    return LinearModel(("p", "q", "r"), index, weights, np.array([0.1, 0.2, 0.3], dtype=np.float32))


def test_linear_scores_sum_known_rows_and_weighted_values():
    m = _model()
    got = m.scores(({"a", "b", "unknown"}, {"k:x": 2.0, "k:unknown": 5.0}))
    want = np.array([1.0 + 0.0 + 0.5, 0.0 + 2.0 + 0.0, 0.5 + 0.5 + 2.0]) + np.array([0.1, 0.2, 0.3])
    assert np.allclose(got, want, atol=1e-6)
    assert np.allclose(m.scores((set(), {})), [0.1, 0.2, 0.3])  # the bias alone


def test_probabilities_best_first_ties_in_label_order_and_allowed():
    m = _model()
    tied = LinearModel(("p", "q", "r"), {}, np.zeros((0, 3), dtype=np.float32), np.zeros(3, dtype=np.float32))
    assert [label for label, _ in tied.probabilities((set(), {}))] == ["p", "q", "r"]
    ranked = m.probabilities(({"b"}, {}))
    assert ranked[0][0] == "q" and abs(sum(p for _, p in ranked) - 1.0) < 1e-9
    assert [label for label, _ in m.probabilities(({"b"}, {}), ("p", "r"))] == ["r", "p"]
    assert m.probabilities(({"b"}, {}), ("nothing",)) == []


def test_pickled_model_leaves_its_gather_table_out():
    m = _model()
    m.scores(({"a"}, {}))  # builds the table
    copy = pickle.loads(pickle.dumps(m))
    assert copy._table is None and copy.index == m.index and np.array_equal(copy.weights, m.weights)
    assert np.array_equal(copy.scores(({"a"}, {})), m.scores(({"a"}, {})))


GRAM_EDGES = [
    "a1b22c333",
    "第12号楼3栋，5人",
    "热水，不稳定！网络3栋",
    "  空 格  ",
    "𠀋𠀋好，好𠀋",
    "123",
    "，，，",
    "x",
]


def _spans(text: str) -> list[tuple[int, int]]:
    """Stretches of a message as the models read them: the whole, each comma-cut piece, and
    windows that start and end anywhere (inside digit runs too)."""
    out = [(0, len(text))]
    at = 0
    for piece in re.split(r"([，。！？,])", text):
        out.append((at, at + len(piece)))
        at += len(piece)
    step = max(1, len(text) // 6)
    out += [(a, b) for a in range(0, len(text), step) for b in range(a, len(text) + 1, step + 1)]
    return out


def test_message_grams_select_the_rows_of_the_char_ngram_names(parser):
    models = parser.models
    assert models is not None and models.keep is not None and models.boundary is not None
    found = parser._message_grams("热水不稳定")
    assert found is not None
    table = found[0]
    cases = [
        (models.intent, "c", 3),
        (models.category["campus"], "c", 3),
        (models.keep, "c", 3),
        (models.keep, "o", 2),
        (models.boundary, "bo", 2),
        (models.boundary, "bc", 2),
    ]
    for raw in TEXTS[::5] + GRAM_EDGES:
        text = normalize(raw)
        grams = table.message(text)
        for start, end in _spans(text):
            for model, prefix, n in cases:
                names = char_ngrams(text[start:end], n, prefix=prefix)
                want = {model.index[name] for name in names if name in model.index}
                got = set(table.rows(model, prefix, grams.span(start, end, n)).tolist())
                assert got - {len(model.index) + 1} == want, (text, start, end, prefix)
    # a binary model's log-odds weights: the sum Parser._odds gives for the same names
    text = normalize(TEXTS[0])
    grams = table.message(text)
    odds = parser._odds(models.keep)
    assert odds is not None
    want = sum(odds[0].get(name, 0.0) for name in char_ngrams(text, 3))
    assert abs(table.odds(models.keep, "c", grams.span(0, len(text), 3)) - want) < 1e-9


def test_parse_reads_the_same_with_and_without_message_grams(parser, monkeypatch):
    rows = [row for path in corpus_files() for row in read_jsonl(path)]
    fast = [parser.parse(str(r["text"]), date.fromisoformat(str(r["today"])), str(r["profile"])) for r in rows]
    monkeypatch.setattr(type(parser), "_message_grams", lambda self, text: None)  # every n-gram named and looked up
    plain = [parser.parse(str(r["text"]), date.fromisoformat(str(r["today"])), str(r["profile"])) for r in rows]
    assert [p.to_json("x") for p in fast] == [p.to_json("x") for p in plain]


def test_segmenter_cuts_every_corpus_text_as_jieba(parser):
    seg = Segmenter(parser.tokenizer)  # a fresh one: its per-character table fills as it goes
    for text in TEXTS + EDGES + ["N1考试 GPA3.5 app打不开", "一", "的的的的"]:
        want = [t for t in parser.tokenizer.cut(text, HMM=False) if t.strip()]
        assert seg.tokens(text) == want, text

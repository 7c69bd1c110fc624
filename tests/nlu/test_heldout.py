"""Held-out corpora (written apart from dev, by other hands' styles) through the parser, scored by
score.py. heldout.jsonl (121 lines) was used while hardening the parser; fresh.jsonl (25 lines) was
scored once before any change made for it; letters.jsonl (60 citizens' letters and hotline lines)
and blind8.jsonl (80 lines from settings unlike the training slices) likewise. Floors sit a little
below the figures reached, so that a change that helps dev but hurts other schools' and towns'
messages is caught. (The keyword rules
had been tuned on heldout.jsonl to 0.99 category; the learned model, which never saw it, reaches
0.93 there: the floor follows the honest figure.)"""

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from handlers.nlu.learn import CORPUS_DIR

CORPUS = Path(__file__).parent / "corpus"
FLOORS = {
    "heldout.jsonl": {
        "intent": 0.97,
        "visit.date": 0.98,
        "visit.place_type": 0.96,
        "visit.place": 0.95,
        "visit.people": 0.93,
        "query": 0.95,
        "resolve.ref": 0.95,
        "items.f1": 0.92,
        # .933 until session 8; .908 since the category model learns from the item texts the
        # learned splitter cuts (training.train), which moved two heldout items and two letters
        # items the other way (letters .897 → .927)
        "items.category": 0.90,
        "items.category_lenient": 0.95,
    },
    # written and labelled by someone who had not seen the parser; scored blind once on 67980ff
    # (intent .900, items F1 .818, category .921), then read while writing session 7's rules
    "letters.jsonl": {
        "intent": 0.93,
        "visit.date": 0.95,
        "visit.place_type": 0.95,
        "items.f1": 0.86,
        "items.category": 0.88,
        "items.category_lenient": 0.95,
    },
    # 80 lines from new settings, written and labelled by someone who had not seen the parser;
    # scored blind once on 65e5425 (intent .963, place type .814, items F1 .888, category .779,
    # one false resolve), then read while writing session 8's intent and place rules
    "blind8.jsonl": {
        "intent": 0.96,
        "visit.date": 0.96,
        "visit.place_type": 0.92,
        "visit.people": 0.93,
        "resolve.ref": 1.0,
        "items.f1": 0.86,
        "items.category": 0.76,
        "items.category_lenient": 0.90,
    },
    "fresh.jsonl": {
        "intent": 0.92,
        "visit.date": 0.95,
        "visit.place_type": 0.90,
        "items.f1": 0.80,
        "items.category_lenient": 0.90,
    },
}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_heldout_figures(parser, tmp_path, name):
    pred = tmp_path / "pred.jsonl"
    with open(CORPUS / name, encoding="utf-8") as f, open(pred, "w", encoding="utf-8") as out:
        for line in f:
            row = json.loads(line)
            parsed = parser.parse(row["text"], date.fromisoformat(row["today"]), row["profile"])
            out.write(json.dumps(parsed.to_json(row["id"]), ensure_ascii=False) + "\n")
    score = CORPUS_DIR / "score.py"  # the corpus's own scorer, shipped with it
    cmd = [sys.executable, str(score), str(CORPUS / name), str(pred), "--json"]
    figures = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    low = {k: (figures[k], v) for k, v in FLOORS[name].items() if figures[k] < v}
    assert not low, low

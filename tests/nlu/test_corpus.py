"""The whole dev corpus through the parser, scored by the corpus's own score.py. dev.jsonl is part
of the models' training data, so this is an in-sample check (the models and rules still fit what
they learned from); the honest figures are `minqing nlu eval --loso` (README, 指标)."""

import json
import subprocess
import sys
from datetime import date

from handlers.nlu.learn import CORPUS_DIR as CORPUS

TARGETS = {
    "intent": 0.95,
    "visit.date": 0.97,
    "visit.place_type": 0.90,
    "visit.people": 0.95,
    "items.f1": 0.90,
    "items.category": 0.90,
}


def test_dev_corpus_figures(parser, tmp_path):
    pred = tmp_path / "pred.jsonl"
    with open(CORPUS / "dev.jsonl", encoding="utf-8") as f, open(pred, "w", encoding="utf-8") as out:
        for line in f:
            row = json.loads(line)
            parsed = parser.parse(row["text"], date.fromisoformat(row["today"]), row["profile"])
            out.write(json.dumps(parsed.to_json(row["id"]), ensure_ascii=False) + "\n")
    cmd = [sys.executable, str(CORPUS / "score.py"), str(CORPUS / "dev.jsonl"), str(pred), "--json"]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    figures = json.loads(res.stdout)
    low = {k: (figures[k], v) for k, v in TARGETS.items() if figures[k] < v}
    assert not low, low

"""Measuring the parser as a new school would meet it: cross-validation over the shipped corpus.

``leave_one_slice_out`` trains on every slice but one and scores the held-out slice with the
corpus's own scorer (``data/corpus/score.py``); ``k_fold`` does the same over random folds of
all rows. Both print per-figure tables; ``category_report`` adds per-category precision/recall
and a confusion table of item categories."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, cast

from .learn import CORPUS_DIR, slice_of
from .parser import Parser
from .training import DEFAULT_MARGIN, shipped_rows, train

FIGURES = (
    "intent",
    "items.f1",
    "items.category",
    "visit.people",
    "visit.place_type",
    "visit.date",
    "query",
    "resolve.ref",
)
TARGETS = {
    "intent": 0.96,
    "items.f1": 0.90,
    "items.category": 0.88,
    "visit.people": 0.95,
    "visit.place_type": 0.92,
    "visit.date": 0.97,
    "query": 0.93,
}


def score(gold: Sequence[dict[str, Any]], predictions: Sequence[dict[str, Any]]) -> dict[str, float]:
    """The corpus scorer's figures for predictions of gold rows (runs score.py --json)."""
    with tempfile.TemporaryDirectory() as tmp:
        g, p = Path(tmp) / "gold.jsonl", Path(tmp) / "pred.jsonl"
        g.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in gold), encoding="utf-8")
        p.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in predictions), encoding="utf-8")
        out = subprocess.run(
            [sys.executable, str(CORPUS_DIR / "score.py"), str(g), str(p), "--json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    return cast(dict[str, float], json.loads(out))


def predict(parser: Parser, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The parser's corpus-shaped prediction for each row."""
    return [
        parser.parse(r["text"], date.fromisoformat(r["today"]), r.get("profile") or "campus").to_json(r["id"])
        for r in rows
    ]


def resolves_without_ref(rows: Sequence[dict[str, Any]], predictions: Sequence[dict[str, Any]]) -> int:
    """Predicted resolves on rows whose gold label is not a resolve (texts naming no item)."""
    gold = {r["id"]: r for r in rows}
    return sum(1 for p in predictions if p["intent"] == "resolve" and gold[p["id"]]["intent"] != "resolve")


def _run(
    parser: Parser, train_rows: list[dict[str, Any]], test_rows: list[dict[str, Any]]
) -> tuple[dict[str, float], list[dict[str, Any]]]:
    saved = parser.models
    try:
        parser.models = train(parser, train_rows, margin=saved.margin if saved else DEFAULT_MARGIN)
        preds = predict(parser, test_rows)
    finally:
        parser.models = saved
    figures = score(test_rows, preds)
    figures["false_resolves"] = resolves_without_ref(test_rows, preds)
    return figures, preds


def leave_one_slice_out(
    parser: Parser, rows: list[dict[str, Any]] | None = None, out: Callable[[str], None] = print
) -> dict[str, dict[str, float]]:
    """Train on all slices but one (dev.jsonl always trains), score the held-out slice."""
    rows = rows if rows is not None else shipped_rows()
    slices = sorted({slice_of(r) for r in rows} - {"d"})
    results = {}
    all_gold, all_pred = [], []
    for name in slices:
        test = [r for r in rows if slice_of(r) == name]
        figures, preds = _run(parser, [r for r in rows if slice_of(r) != name], test)
        results[name] = figures
        all_gold += test
        all_pred += preds
    results["all"] = score(all_gold, all_pred)
    results["all"]["false_resolves"] = resolves_without_ref(all_gold, all_pred)
    _table(results, out)
    return results


def k_fold(
    parser: Parser,
    k: int = 5,
    rows: list[dict[str, Any]] | None = None,
    seed: int = 7,
    out: Callable[[str], None] = print,
) -> tuple[dict[str, float], list[dict[str, Any]], list[dict[str, Any]]]:
    """k-fold cross-validation over all rows (seeded shuffle); returns figures, gold, predictions."""
    rows = list(rows if rows is not None else shipped_rows())
    random.Random(seed).shuffle(rows)
    gold, preds = [], []
    for i in range(k):
        test = rows[i::k]
        train_rows = [r for j, r in enumerate(rows) if j % k != i]
        _, p = _run(parser, train_rows, test)
        gold += test
        preds += p
    figures = score(gold, preds)
    figures["false_resolves"] = resolves_without_ref(gold, preds)
    _table({f"{k}-fold": figures}, out)
    return figures, gold, preds


def category_report(
    gold: Sequence[dict[str, Any]], preds: Sequence[dict[str, Any]], out: Callable[[str], None] = print
) -> None:
    """Per-category precision/recall of found items and the confusion table (gold row, predicted column)."""
    pred = {p["id"]: p for p in preds}
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    for g in gold:
        pitems = list((pred.get(g["id"]) or {}).get("items") or [])
        claimed: set[int] = set()
        for gi in g.get("items") or []:
            k = next((k for k, pi in enumerate(pitems) if k not in claimed and gi["key"] in pi["text"]), None)
            if k is not None:
                claimed.add(k)
                confusion[gi["category"]][pitems[k]["category"]] += 1
    cats = sorted(set(confusion) | {c for row in confusion.values() for c in row})
    out(f"{'category':8s} {'n':>5s} {'prec':>6s} {'recall':>6s}")
    for c in cats:
        tp = confusion[c][c]
        n = sum(confusion[c].values())
        predicted = sum(confusion[g][c] for g in cats)
        out(f"{c:8s} {n:5d} {tp / predicted if predicted else 0:6.3f} {tp / n if n else 0:6.3f}")
    out("\nconfusion (rows gold, columns predicted)")
    out("        " + "".join(f"{c[:4]:>5s}" for c in cats))
    for row in cats:
        out(f"{row[:4]:8s}" + "".join(f"{confusion[row][c]:5d}" for c in cats))


def _table(results: dict[str, dict[str, float]], out: Callable[[str], None]) -> None:
    out(f"{'held out':12s}" + "".join(f"{f:>17s}" for f in FIGURES) + f"{'false_resolves':>16s}")
    for name, figs in results.items():
        cells = []
        for f in FIGURES:
            v = figs.get(f)
            mark = "" if v is None or f not in TARGETS or v >= TARGETS[f] else "*"
            cells.append(f"{'-' if v is None else f'{v:.3f}'}{mark:1s}".rjust(17))
        out(f"{name:12s}" + "".join(cells) + f"{int(figs.get('false_resolves', 0)):16d}")
    out("(* below target: " + ", ".join(f"{k} ≥ {v}" for k, v in TARGETS.items()) + ")")

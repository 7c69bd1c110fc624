#!/usr/bin/env python3

"""Score a message parser against a labelled corpus (see README.md beside this file).

usage: score.py CORPUS.jsonl PREDICTIONS.jsonl [--errors N] [--json]

PREDICTIONS has one JSON object per line with the corpus line's "id" and the parser's
"intent", "visit", "items" (each with "category" and "text"), "query" and "resolve".
Prints one table of figures; with --errors N also prints up to N misses per figure.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict


def load(path: str) -> dict[str, dict]:
    rows = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f"{path}:{n}: not JSON: {e}")
            rows[str(row.get("id"))] = row
    return rows


def ratio(hit: int, total: int) -> float:
    return hit / total if total else 1.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("predictions")
    ap.add_argument("--errors", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    a = ap.parse_args()
    gold, pred = load(a.corpus), load(a.predictions)
    hits: Counter = Counter()
    totals: Counter = Counter()
    misses: dict[str, list] = defaultdict(list)

    def check(name: str, ok: bool, gid: str, want, got) -> None:
        totals[name] += 1
        if ok:
            hits[name] += 1
        else:
            misses[name].append((gid, want, got))

    item_tp = item_fp = item_fn = 0
    cat_hit = cat_lenient = cat_total = 0
    for gid, g in gold.items():
        p = pred.get(gid)
        if p is None:
            check("answered", False, gid, "a prediction", None)
            p = {}
        else:
            check("answered", True, gid, None, None)
        check("intent", p.get("intent") == g["intent"], gid, g["intent"], p.get("intent"))
        gv, pv = g.get("visit"), p.get("visit") or {}
        if gv:
            check("visit.date", pv.get("date") == gv["date"], gid, gv["date"], pv.get("date"))
            check("visit.place_type", pv.get("place_type") == gv["place_type"], gid,
                  gv["place_type"], pv.get("place_type"))
            want, got = gv.get("place"), pv.get("place")
            ok = (want is None and not got) or (bool(want) and bool(got) and (want in got or got in want))
            check("visit.place", ok, gid, want, got)
            check("visit.people", pv.get("people") == gv.get("people"), gid, gv.get("people"),
                  pv.get("people"))
        gq, pq = g.get("query"), p.get("query") or {}
        if gq:
            ok = all(pq.get(k) == v for k, v in gq.items())
            check("query", ok, gid, gq, p.get("query"))
        gr = g.get("resolve")
        if gr:
            check("resolve.ref", (p.get("resolve") or {}).get("ref") == gr["ref"], gid, gr["ref"],
                  (p.get("resolve") or {}).get("ref"))
        # items: a gold item is found when a predicted item's text contains its key;
        # each predicted item may be claimed once.
        pitems = [i for i in (p.get("items") or []) if isinstance(i, dict)]
        # copies of one text are one item: the extra copies can match nothing
        seen_texts: set[str] = set()
        claimed: set[int] = set()
        for k, pi in enumerate(pitems):
            t = str(pi.get("text", ""))
            if t in seen_texts:
                claimed.add(k)
            seen_texts.add(t)
        copies = len(claimed)
        for gi in g.get("items") or []:
            match = next((k for k, pi in enumerate(pitems)
                          if k not in claimed and gi["key"] in str(pi.get("text", ""))), None)
            if match is None:
                item_fn += 1
                misses["items.recall"].append((gid, gi["key"], [pi.get("text") for pi in pitems]))
                continue
            claimed.add(match)
            item_tp += 1
            got = pitems[match].get("category")
            cat_total += 1
            if got == gi["category"]:
                cat_hit += 1
                cat_lenient += 1
            else:
                if got in gi.get("also", []):
                    cat_lenient += 1
                misses["items.category"].append((gid, gi["category"], got))
        extra = len(pitems) - len(claimed) + copies
        if extra > 0:
            item_fp += extra
            misses["items.precision"].append((gid, [gi["key"] for gi in g.get("items") or []],
                                              [pi.get("text") for k, pi in enumerate(pitems)
                                               if k not in claimed] + ["(copy)"] * copies))
    figures = {name: round(ratio(hits[name], totals[name]), 4) for name in totals}
    precision, recall = ratio(item_tp, item_tp + item_fp), ratio(item_tp, item_tp + item_fn)
    figures["items.precision"] = round(precision, 4)
    figures["items.recall"] = round(recall, 4)
    figures["items.f1"] = round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0
    figures["items.category"] = round(ratio(cat_hit, cat_total), 4)
    figures["items.category_lenient"] = round(ratio(cat_lenient, cat_total), 4)
    if a.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        for name, value in figures.items():
            print(f"{name:24s} {value:.4f}")
    if a.errors:
        for name, rows in misses.items():
            print(f"\n## misses: {name} ({len(rows)})")
            for gid, want, got in rows[: a.errors]:
                text = gold[gid]["text"]
                print(f"{gid}: want={want!r} got={got!r}\n    {text}")


if __name__ == "__main__":
    main()

"""A message's character n-grams looked up once, for every learned model and every span of it.

The learned models see the character n-grams (:func:`learn.char_ngrams`) of many stretches of one
message: the intent model the whole text (``c1:``–``c3:``), the category and item-keep models each
item (``c``, and ``o1:``–``o2:`` of the item's opening), the clause model each neutral clause, the
boundary model each weakly joined clause (``bo``, ``bc``). Built as strings per stretch and per
model, each name is then looked up in that model's large index, whose entries are no longer in
the processor's caches by the time the next message comes: most of the learned layer's time.

Here the n-grams of the whole message are built once per position and looked up once in one
table of every n-gram some model knows (:class:`GramTable`: n-gram → id); a stretch's n-grams are
then slices of the message's id lists, and each model maps ids to its weight rows with one numpy
gather over a compact array. The rows found are exactly those of the names char_ngrams gives for
the stretch (digit runs fold to "0", no n-gram crosses a character char_ngrams splits on, a
repeated n-gram counts once), so scores are the same sums (in another order: float rounding of
the last bit aside, identical).
"""

from __future__ import annotations

import pickle
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from itertools import repeat
from operator import add, gt

import numpy as np

from .learn import _DIGITS, LinearModel, Models

_N_MAX = 3  # the longest n-gram any model uses
_UNKNOWN = -1  # the id of an n-gram no model knows (reads the last entry of every map: no row)


class GramTable:
    """Every n-gram of the given feature prefixes that the given models know, with an id, and for
    each (model, prefix) the id → weight-row map (``rows``) and, for a binary "0"/"1" model, the
    id → log-odds weight map (``odds``, float64 as Parser._odds).

    models: (model, prefixes) pairs; a prefix is a char_ngrams prefix ("c", "o", "bo", "bc")."""

    def __init__(self, models: Iterable[tuple[LinearModel, Sequence[str]]]) -> None:
        pairs = list(models)
        ids: dict[str, int] = {}
        # (model, prefix) → the n-grams it knows under the prefix and their rows
        found: dict[tuple[int, str], tuple[list[str], list[int]]] = {}
        for model, prefixes in pairs:
            names = list(model.index)  # in sorted order as trained (DictVectorizer sorts); else sorted here
            if any(map(gt, names, names[1:])):
                names.sort()
            for prefix in prefixes:
                grams: list[str] = []
                rows: list[int] = []
                for k in range(1, _N_MAX + 1):
                    tag = f"{prefix}{k}:"
                    # the names that start with the tag: between it and the tag with ";" (":" + 1)
                    tagged = names[bisect_left(names, tag) : bisect_left(names, f"{prefix}{k};")]
                    cut = len(tag)
                    for name in tagged:
                        if len(name) == cut + k:
                            grams.append(name[cut:])
                            rows.append(model.index[name])
                for gram in grams:
                    ids.setdefault(gram, len(ids))
                found[(id(model), prefix)] = (grams, rows)
        # the two (k-1)-grams of every known k-gram get an id too (no model row when no model
        # knows them), so that an n-gram is looked up only where both of its parts are known: one
        # whose part is unknown cannot be in the table either (see MessageGrams)
        for k in range(_N_MAX, 1, -1):
            longer = [g for g in ids if len(g) == k]
            for part in sorted({g[:-1] for g in longer} | {g[1:] for g in longer}):
                ids.setdefault(part, len(ids))
        # one dict per n-gram size (the single characters' small one stays in the caches), made
        # anew so that its keys lie together in memory (a pickle round trip allocates them in order)
        by_size: list[dict[str, int]] = [{} for _ in range(_N_MAX)]
        for gram, i in ids.items():
            by_size[len(gram) - 1][gram] = i
        self.ids: list[dict[str, int]] = pickle.loads(pickle.dumps(by_size, protocol=pickle.HIGHEST_PROTOCOL))
        size = len(ids) + 1  # the last entry answers _UNKNOWN
        self._rows: dict[tuple[int, str], np.ndarray] = {}
        self._odds: dict[tuple[int, str], np.ndarray] = {}
        self._models: list[LinearModel] = []  # kept alive: maps are keyed by their id
        for model, prefixes in pairs:
            self._models.append(model)
            absent = len(model.index) + 1  # the model's zero row (see LinearModel._rows)
            binary = sorted(model.labels) == ["0", "1"]
            if binary:
                one, zero = model.labels.index("1"), model.labels.index("0")
                diff = (model.weights[:, one] - model.weights[:, zero]).astype(np.float64)  # as Parser._odds
            for prefix in prefixes:
                grams, rows = found[(id(model), prefix)]
                table = np.full(size, absent, dtype=np.intp)
                table[np.fromiter(map(ids.__getitem__, grams), dtype=np.intp, count=len(grams))] = rows
                self._rows[(id(model), prefix)] = table
                if binary:
                    odds = np.zeros(size, dtype=np.float64)
                    known = table != absent
                    odds[known] = diff[table[known]]
                    self._odds[(id(model), prefix)] = odds

    @classmethod
    def of_models(cls, models: Models) -> GramTable:
        """The table of a parser's model set: the character n-grams of the intent, category and
        clause models (``c``), the item-keep model (``c``, ``o``) and the boundary model (``bo``, ``bc``)."""
        parts: list[tuple[LinearModel, Sequence[str]]] = [(models.intent, ("c",))]
        parts += [(model, ("c",)) for model in models.category.values()]
        for model, prefixes in ((models.clause, ("c",)), (models.keep, ("c", "o")), (models.boundary, ("bo", "bc"))):
            if model is not None:
                parts.append((model, prefixes))
        return cls(parts)

    def message(self, text: str) -> MessageGrams:
        """The n-gram ids of one message."""
        return MessageGrams(text, self.ids)

    def rows(self, model: LinearModel, prefix: str, ids: list[int]) -> np.ndarray:
        """The model's weight rows of the n-grams with these ids under `prefix` (repeats removed;
        unknown ones read the model's zero row)."""
        return self._rows[(id(model), prefix)].take(list(set(ids)))

    def odds(self, model: LinearModel, prefix: str, ids: list[int]) -> float:
        """The sum of a binary model's log-odds weights of the n-grams (repeats counted once)."""
        return float(self._odds[(id(model), prefix)].take(list(set(ids))).sum())


class MessageGrams:
    """The ids (:class:`GramTable`) of every 1–3-gram of one message, by size and position in the
    message with its digit runs folded to "0" (an n-gram across a character char_ngrams splits
    on is in no model: it reads as unknown)."""

    __slots__ = ("_fold", "_ids", "text")

    def __init__(self, text: str, ids: list[dict[str, int]]) -> None:
        self.text = text
        folded = _DIGITS.sub("0", text)
        self._fold: list[int] | None = None
        if len(folded) != len(text):  # position of each character of text in the folded text
            fold, at, digit = [], -1, False
            for ch in text:
                was, digit = digit, "0" <= ch <= "9"
                if not (digit and was):
                    at += 1
                fold.append(at)
            self._fold = fold
        grams: list[str] = list(folded)
        known = list(map(ids[0].get, grams, repeat(_UNKNOWN, len(grams))))
        self._ids = [known]
        for k in range(2, _N_MAX + 1):
            # a k-gram is in the table only if both its (k-1)-grams are: the others are not looked up
            get = ids[k - 1].get
            grams = list(map(add, grams, folded[k - 1 :]))
            pairs = zip(grams, known, known[1:], strict=False)  # `known` has one more: its last pairs with none
            known = [get(g, _UNKNOWN) if a >= 0 and b >= 0 else _UNKNOWN for g, a, b in pairs]
            self._ids.append(known)

    def span(self, start: int, end: int, n_max: int) -> list[int]:
        """The ids of the 1..n_max-grams of text[start:end] (as char_ngrams reads it)."""
        if end <= start:
            return []
        fold = self._fold
        a, b = (start, end) if fold is None else (fold[start], fold[end - 1] + 1)
        out: list[int] = []
        for k in range(1, min(n_max, b - a) + 1):
            out += self._ids[k - 1][a : b - k + 1]
        return out

    def find(self, words: str) -> int:
        """Where `words` occurs in the message (any occurrence has the same n-grams), or -1."""
        return self.text.find(words) if words else -1

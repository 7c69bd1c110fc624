"""Keyword classification of item texts over a profile's taxonomy (data/<profile>.toml)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

_MEMO_LIMIT = 200_000  # tokens whose keywords are remembered
WEIGHTS = {"top": 4.0, "strong": 3.0, "medium": 2.0, "weak": 1.0}


@dataclass
class Taxonomy:
    """One profile: ordered categories, weighted keywords, phrase rules and place priors."""

    name: str
    categories: tuple[str, ...]
    fallback: str
    keywords: dict[str, dict[str, float]] = field(default_factory=dict)
    rules: list[tuple[re.Pattern[str], str, float]] = field(default_factory=list)
    place_prior: dict[str, str] = field(default_factory=dict)
    place_weight: dict[str, float] = field(default_factory=lambda: {"base": 1.5, "sense": 0.0})
    aliases: dict[str, str] = field(default_factory=dict)
    lexicon: Lexicon = field(default_factory=lambda: Lexicon({}))

    @classmethod
    def from_data(cls, name: str, data: Mapping[str, Any]) -> Taxonomy:
        """Build from a parsed profile TOML table."""
        cats = tuple(data["categories"])
        tax = cls(name=name, categories=cats, fallback=data.get("fallback", cats[-1]))
        tax.merge(data)
        return tax

    def merge(self, data: Mapping[str, Any]) -> None:
        """Merge keywords, rules, priors and aliases of the same TOML shape (later wins on ties)."""
        for cat in data.get("categories", ()):
            if cat not in self.categories:
                self.categories = (*self.categories[:-1], cat, self.categories[-1])
        for cat, table in data.get("keywords", {}).items():
            if cat not in self.categories:
                raise ValueError(f"{self.name}: unknown category {cat!r} in keywords")
            for level, words in table.items():
                weight = WEIGHTS.get(level)
                if weight is None:
                    weight = float(level)
                for word in words:
                    self.keywords.setdefault(word, {})[cat] = weight
        for rule in data.get("rules", ()):
            self.rules.append((re.compile(rule["pattern"]), rule["category"], float(rule.get("weight", 3))))
        self.place_prior.update(data.get("place_prior", {}))
        self.place_weight.update({k: float(v) for k, v in data.get("place_weight", {}).items()})
        self.aliases.update(data.get("aliases", {}))


class Lexicon:
    """A category → words table (``data/lexicon.toml``) matched as substrings of a text.

    words: category → words (two characters or more; shorter ones are ignored). :meth:`counts`
    gives how many distinct words of each category a text contains."""

    def __init__(self, words: Mapping[str, Iterable[str]]) -> None:
        table: dict[str, set[str]] = {}
        for cat, ws in words.items():
            for w in ws:
                if len(w) >= 2:
                    table.setdefault(w, set()).add(cat)
        self.table = {w: tuple(sorted(cats)) for w, cats in table.items()}
        self._index()

    def _index(self) -> None:
        self.lengths = sorted({len(w) for w in self.table}, reverse=True)
        # first two characters → lengths of the words that start with them, longest first: a
        # position whose two characters start no word is passed over with one lookup
        starts: dict[str, set[int]] = {}
        for w in self.table:
            starts.setdefault(w[:2], set()).add(len(w))
        self.starts = {head: tuple(sorted(ns, reverse=True)) for head, ns in starts.items()}

    def merge(self, words: Mapping[str, Iterable[str]]) -> None:
        """Add more category → words (a school's own vocabulary)."""
        extra = Lexicon(words)
        for w, cats in extra.table.items():
            self.table[w] = tuple(sorted(set(self.table.get(w, ())) | set(cats)))
        self._index()

    def counts(self, text: str) -> dict[str, int]:
        """Category → number of distinct lexicon words found in text (a word inside a longer
        word found at the same place is not counted again)."""
        table, starts = self.table, self.starts
        found: set[str] = set()
        covered = -1  # end of the last word found: shorter words inside it add nothing
        for i in range(len(text) - 1):
            lengths = starts.get(text[i : i + 2])
            if lengths is None:
                continue
            for n in lengths:
                w = text[i : i + n]
                if len(w) == n and w in table:
                    if i + n > covered:
                        found.add(w)
                        covered = i + n
                    break
        out: dict[str, int] = {}
        for w in found:
            for cat in self.table[w]:
                out[cat] = out.get(cat, 0) + 1
        return out


class Classifier:
    """Scores jieba tokens of an item against a taxonomy's keywords."""

    def __init__(self, taxonomy: Taxonomy, context: frozenset[str] = frozenset()) -> None:
        self.taxonomy = taxonomy
        self.context = context  # place and people words: never read in the place's sense
        self.token_topics: dict[str, tuple[bool, frozenset[str]]] = {}  # per-token memo of the parser
        self.max_len = max((len(w) for w in taxonomy.keywords), default=1)
        self._found: dict[str, list[str]] = {}  # token → its keywords (_words), filled as met

    def _words(self, tok: str) -> list[str]:
        """Keywords in one token: the token itself, else the longest keywords inside it
        (remembered per token: the taxonomy does not change once classifiers are built)."""
        found = self._found.get(tok)
        if found is None:
            if len(self._found) > _MEMO_LIMIT:
                self._found.clear()
            found = self._found[tok] = self._scan(tok)
        return found

    def _scan(self, tok: str) -> list[str]:
        kw = self.taxonomy.keywords
        if tok in kw:
            return [tok]
        out, i, n = [], 0, len(tok)
        while n >= 3 and i < n - 1:
            for j in range(min(n, i + self.max_len), i + 1, -1):
                if tok[i:j] in kw:
                    out.append(tok[i:j])
                    i = j
                    break
            else:
                i += 1
        return out

    def topic_words(self, tok: str) -> list[str]:
        """Keywords in one token that can name what a complaint is about: two characters or more,
        at least medium weight."""
        kw = self.taxonomy.keywords
        return [w for w in self._words(tok) if len(w) >= 2 and max(kw[w].values()) >= 2.0]

    def scores(
        self,
        segments: Iterable[tuple[Iterable[str], float]],
        text: str,
        place_type: str | None = None,
        place: str | None = None,
    ) -> dict[str, float]:
        """Category scores of one item: keyword weights of the tokens of each segment times the
        segment's weight (the clause stating the problem counts more than its context), phrase
        rules over the item text, and a prior from the visit's place type or place name.

        The visit's place type is context (``place_prior`` and ``place_weight`` in the profile): a
        small vote for the place's category (``base``), and a word that is also one of that
        category's keywords is read in the place's sense, its votes for other categories cut by
        the share ``sense``: at a canteen "窗口开得少排队太久" is about canteen windows (食堂, not
        办事), while a student's anxiety raised during a dorm visit has no dorm word and stays 心理.
        Place and people words (宿舍, 同学) take no part: they only say where the talk happened.
        A place known only by its name (no type) gives the base vote alone."""
        kw = self.taxonomy.keywords
        weight = self.taxonomy.place_weight
        prior = self.taxonomy.place_prior.get(place_type or "")
        named = False
        if not prior and place:
            prior, named = self._top({c: w for word in self._words_in(place) for c, w in kw[word].items()}), True
        total: dict[str, float] = {}
        best: dict[str, float] = {}
        known = self._found.get  # the per-token memo of _words, read inline (most tokens hold no keyword)
        for tokens, factor in segments:
            for tok in tokens:
                words = known(tok)
                if words is None:
                    words = self._words(tok)
                for word in words:
                    best[word] = max(best.get(word, 0.0), factor)
        for word, factor in best.items():
            votes = kw[word]
            # at the place a word belongs to, it means the place's thing (食堂的窗口)
            sense = prior is not None and not named and prior in votes and word not in self.context
            for cat, w in votes.items():
                if sense and cat != prior:
                    w *= 1.0 - weight["sense"]
                total[cat] = total.get(cat, 0.0) + w * factor
        for rx, cat, w in self.taxonomy.rules:
            if rx.search(text):
                total[cat] = total.get(cat, 0.0) + w
        if prior:
            total[prior] = total.get(prior, 0.0) + weight["base"]
        return total

    def _words_in(self, text: str) -> list[str]:
        kw = self.taxonomy.keywords
        n = len(text)
        return [text[i:j] for i in range(n) for j in range(i + 2, min(n, i + self.max_len) + 1) if text[i:j] in kw]

    def _top(self, total: dict[str, float]) -> str | None:
        if not total:
            return None
        order = {c: i for i, c in enumerate(self.taxonomy.categories)}
        return max(total, key=lambda c: (total[c], -order.get(c, 99)))

    def best(
        self,
        segments: Iterable[tuple[Iterable[str], float]],
        text: str,
        place_type: str | None = None,
        place: str | None = None,
    ) -> str:
        """The highest-scoring category; ties go to the earlier category; none -> fallback."""
        return self._top(self.scores(segments, text, place_type, place)) or self.taxonomy.fallback

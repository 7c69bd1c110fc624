"""Features of the learned models: what the intent and category classifiers see.

Kept apart from the models so training (``training.py``) and prediction (``parser.py``) use the
very same functions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .classify import Classifier
from .learn import Features, char_ngrams
from .places import PlaceMatch, place_cues
from .split import STRONG, Clause, Group, continues

# how much the visit's place type may say about an item's category: a small feature value, so
# the regularised model can lean on it only as one weak signal among the item's own words
PLACE_TYPE_VALUE = 0.3
PLACE_RULE_VALUE = 2.0  # the rule layer's place type, as a strong feature of the place-type model
KEYWORD_SCALE = 0.25  # keyword taxonomy score → feature value (scores run 0–12)
LEXICON_SCALE = 1.0  # domain lexicon words of a category found in an item → feature value, per word
LEXICON_CAP = 4  # words counted at most per category
_STRONG_STOP = re.compile(r"[。！？!?；;\n]")


@dataclass(frozen=True)
class Signals:
    """The rule detectors' verdicts on one normalized message.

    flags: detector name → verdict (see Parser.signals); ref: the item number named, if any;
    dates: (offset, date) of every date found; own_dates: those in the writer's own words;
    places: place mentions."""

    flags: dict[str, bool]
    ref: int | None
    dates: list[tuple[int, date]]
    own_dates: list[date]
    places: list[PlaceMatch]


def intent_features(text: str, sig: Signals, grams: bool = True) -> Features:
    """Character 1–3-grams of the message, its length band and the rule verdicts (without
    `grams`, all but the n-grams: the parser reads those off grams.MessageGrams)."""
    binary = char_ngrams(text, 3) if grams else set()
    binary.update(f"r:{name}" for name, on in sig.flags.items() if on)
    band = 0 if len(text) <= 12 else 1 if len(text) <= 30 else 2 if len(text) <= 80 else 3
    binary.add(f"len:{band}")
    return binary, {}


def item_features(
    words: str,
    segments: Iterable[tuple[Iterable[str], float]],
    classifier: Classifier,
    place_type: str | None,
    grams: bool = True,
) -> Features:
    """Character 1–3-grams and jieba tokens of an item's text (tokens outside the clause that
    states the problem at half weight), the keyword taxonomy's score per category, and (weakly)
    the visit's place type (without `grams`, all but the n-grams)."""
    segments = [(list(tokens), weight) for tokens, weight in segments]
    binary = char_ngrams(words, 3) if grams else set()
    weighted: dict[str, float] = {}
    get = weighted.get
    for tokens, weight in segments:
        keys = map("w:".__add__, tokens)
        if weight >= 1.0:
            binary.update(keys)
            continue
        for key in keys:
            # a token of a fuller segment wins; its first sighting fixes its place in the dict
            if get(key, -1.0) < weight:
                weighted[key] = weight
    for key in binary.intersection(weighted):
        del weighted[key]  # a token also in a full-weight segment counts as a binary feature
    for cat, score in classifier.scores(segments, words).items():
        weighted[f"k:{cat}"] = min(score, 12.0) * KEYWORD_SCALE
    for cat, count in classifier.taxonomy.lexicon.counts(words).items():
        weighted[f"x:{cat}"] = min(count, LEXICON_CAP) * LEXICON_SCALE
    if place_type:
        weighted[f"p:{place_type}"] = PLACE_TYPE_VALUE
    return binary, weighted


def clause_features(text: str, clause: Clause, index: int, first_problem: int, grams: bool = True) -> Features:
    """What the clause model sees of one neutral clause: its character 1–3-grams, its length band,
    whether it opens the message, lies before the first cue-stated problem, or is a listed point
    (without `grams`, all but the n-grams)."""
    content = text[clause.content_start : clause.end]
    binary = char_ngrams(content, 3) if grams else set()
    n = len(content)
    binary.add(f"clen:{0 if n <= 4 else 1 if n <= 10 else 2 if n <= 20 else 3}")
    if index == 0:
        binary.add("c:first")
    if clause.end <= first_problem:
        binary.add("c:before")
    if clause.enumerated or clause.listed:
        binary.add("c:listed")
    if clause.also:
        binary.add("c:also")
    return binary, {}


def place_features(text: str, rule_type: str, place: str | None, places: list[PlaceMatch], profile: str) -> Features:
    """What the place-type model sees of a visit: the rule layer's verdict, the place name's and
    the other place mentions' last characters (what kind of place: …栋, …卡口, …养老院), and the
    character 1–2-grams of the writer's opening words (where the visit is told), the two characters
    before each place (the verb: 去了, 走访, 值守), the clue families of places.place_cues (what
    was done, whom the writer met), alone and paired with the rule verdict; each also paired
    with the profile where it matters (a 苑 is a dorm on campus, a housing estate in a town)."""
    binary = {f"rule:{rule_type}", f"prof:{profile}", f"rule:{rule_type}|{profile}"}
    if place:
        binary.update(f"pend:{place[-k:]}" for k in (1, 2, 3) if len(place) >= k)
        binary.add(f"pend:{place[-1:]}|{profile}")
    for p in places[:4]:
        binary.add(f"mtype:{p.place_type}")
        binary.update(f"mend:{p.name[-k:]}" for k in (1, 2) if len(p.name) >= k)
        binary.add(f"mverb:{text[max(p.start - 2, 0) : p.start]}")  # 去了, 走访, 值守 …
    for cue in place_cues(text):
        binary.add(f"cue:{cue}")
        binary.add(f"cue:{cue}|rule:{rule_type}")
    char_ngrams(text[:40], 2, prefix="o", out=binary)
    return binary, {f"rulew:{rule_type}": PLACE_RULE_VALUE}


def group_features(
    text: str,
    group: Group,
    words: str,
    index: int,
    count: int,
    previous: Group | None = None,
    voice: bool = False,
    grams: bool = True,
) -> Features:
    """What the item-keep model sees of one group the rules made (is it a real item, or an
    action taken, praise, a title, background?): the character 1–3-grams of the item's text and
    1–2-grams of its opening, its clause kinds (the cue verdicts) and their sequence, its length
    and clause-count bands, and its place among the message's `count` groups (`index` 0-based)
    and in the message (opens it, ends it, a numbered point); how its first clause is opened and
    whether the rules read it as a continuation (a consequence, a remedy); and whether it shares
    a sentence with the `previous` group; whether the message is one person's letter in their own
    `voice` (whose later sentences mostly tell the first one's problem at length). Without
    `grams`, all but the n-grams."""
    binary: set[str] = set()
    if grams:
        char_ngrams(words, 3, out=binary)
        char_ngrams(words[:4], 2, prefix="o", out=binary)
    kinds = [c.kind for c in group.clauses]
    binary.update(f"k:{k}" for k in kinds)
    binary.add(f"k0:{kinds[0]}")
    binary.add("ks:" + "".join(dict.fromkeys(kinds)))
    n = len(words)
    binary.add(f"glen:{0 if n <= 6 else 1 if n <= 12 else 2 if n <= 25 else 3 if n <= 50 else 4}")
    binary.add(f"gcl:{min(len(kinds), 4)}")
    binary.add(f"gn:{min(count, 4)}")
    if index == 0:
        binary.add("g:first")
    if index == count - 1:
        binary.add("g:last")
    if group.clauses[0].start == 0:
        binary.add("g:opens")
    if not text[group.end :].strip(" ，,。.！!？?；;"):
        binary.add("g:ends")
    if any(c.enumerated for c in group.clauses):
        binary.add("g:listed")
    if any(c.also or c.another for c in group.clauses):
        binary.add("g:also")
    if any(c.speaker for c in group.clauses):
        binary.add("g:speaker")
    if voice:
        binary.add("g:voice" + ("_first" if index == 0 else "_later"))
    first = group.clauses[0]
    binary.add(f"g:op{first.opener}")
    if first.cont:
        binary.add("g:cont")
    if continues(first):
        binary.add("g:continues")
    if previous is not None:
        binary.add("g:after")
        if not _STRONG_STOP.search(text, previous.end, first.start):
            binary.add("g:same_sentence")
            binary.add(f"g:same_op{first.opener}")
    return binary, {}


def boundary_features(
    text: str,
    group: list[Clause],
    clause: Clause,
    attach: bool,
    distinct: bool,
    before: frozenset[str],
    own: frozenset[str],
    grams: bool = True,
) -> Features:
    """What the boundary model sees when a problem or request `clause` follows an item (`group`,
    its clauses so far) in the same sentence, joined by a comma or a space: the rules' verdict
    (`attach`, and the topic test `distinct`), the separator, the two clauses' kinds, the clause's
    opening 1–2-grams and its 1–2-grams, its continuation flags, whether its topic words (`own`)
    are those of the item so far (`before`), how many character bigrams the two share, and their
    length bands. Without `grams`, all but the n-grams."""
    prev = group[-1]
    content = text[clause.content_start : clause.end]
    sep = text[prev.end : clause.start].strip()
    binary = {f"b:rule{int(attach)}", f"b:distinct{int(distinct)}", f"b:kinds{prev.kind}{clause.kind}"}
    binary.add("b:sep" + (sep[:1] if sep else ("space" if prev.end < clause.start else "none")))
    if _STRONG_STOP.search(text, prev.end, clause.start) or clause.opener == STRONG:
        binary.add("b:sentence")  # the clause opens a sentence of its own after the item's
    if grams:
        char_ngrams(content[:3], 2, prefix="bo", out=binary)
        char_ngrams(content, 2, prefix="bc", out=binary)
    for name, on in (
        ("cont", clause.cont),
        ("continues", continues(clause)),
        ("also", clause.also),
        ("another", clause.another),
        ("listed", clause.listed),
        ("speaker", clause.speaker),
        ("enumerated", any(c.enumerated for c in group)),
    ):
        if on:
            binary.add(f"b:{name}")
    binary.add("b:topic" + ("none" if not own or not before else "same" if before & own else "diff"))
    mine = {content[i : i + 2] for i in range(len(content) - 1)}
    head = text[group[0].content_start : prev.end]
    theirs = {head[i : i + 2] for i in range(len(head) - 1)}
    shared = len(mine & theirs)
    binary.add(f"b:shared{min(shared, 3)}")
    n, m = len(content), len(head)
    binary.add(f"b:clen{0 if n <= 5 else 1 if n <= 10 else 2 if n <= 20 else 3}")
    binary.add(f"b:glen{0 if m <= 8 else 1 if m <= 20 else 2 if m <= 40 else 3}")
    binary.add(f"b:gp{min(sum(1 for c in group if c.kind == 'P'), 3)}")
    return binary, {}

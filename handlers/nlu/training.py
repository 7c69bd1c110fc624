"""Building the learned models from labelled messages: examples, training, caching.

Sources, in order: the shipped corpus (``data/corpus``: dev.jsonl and the eight training
slices) and the organisation's own category corrections (``改 #N 分类 …``, exported by
``minqing nlu train`` / the nightly job to a JSON-lines file in the corpus format). The result
is deterministic for the same inputs and cached by their fingerprint."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from .classify import Taxonomy
from .features import clause_features, group_features, intent_features, item_features, place_features
from .learn import (
    Features,
    Models,
    corpus_files,
    fingerprint,
    fit,
    fit_nb,
    load_cached,
    read_jsonl,
    save_cached,
    slice_of,
)
from .split import normalize, one_voice
from .trainable import DATA_DIR
from .trainable import TrainableParser as Parser  # the narrow interface parser.Parser implements

log = logging.getLogger(__name__)

INTENT_C = 2.0
# the intent and category models drop features seen in a single corpus example (learn._common): a
# quarter of the table, as accurate held out (leave-one-slice-out intent .982 both ways, category
# up), faster to score; the item models keep theirs (their held-out F1 fell without them)
MIN_EXAMPLES = 2
CATEGORY_C = 8.0  # NB-LR (learn.fit_nb): ±.005 between 4 and 16 on leave-one-slice-out
CLAUSE_C = 1.0
KEEP_C = 1.0
BOUNDARY_C = 1.0
PLACE_C = 1.0
CORRECTION_WEIGHT = 3.0  # a cadre's correction outweighs one corpus line of similar wording
LEXICON_WEIGHT = 0.05  # a domain lexicon word taught as a tiny example of its category
# p(best) - p(second) below which the reply offers the second choice: on leave-one-slice-out it is
# offered for about one item in seven, where the first choice is right less than half the time
DEFAULT_MARGIN = 0.4
_STRONG = re.compile(r"[。！？!?；;\n]")


def shipped_rows() -> list[dict[str, Any]]:
    """Every labelled row of the shipped corpus."""
    return [row for path in corpus_files() for row in read_jsonl(path)]


def correction_rows(path: Path | None) -> list[dict[str, Any]]:
    """Rows of the organisation's corrections file (corpus format), [] when there is none."""
    if path is None or not Path(path).exists():
        return []
    return read_jsonl(Path(path))


def _sentence(text: str, key: str) -> str:
    at = text.find(key)
    if at < 0:
        return key
    lo = max((m.end() for m in _STRONG.finditer(text, 0, at)), default=0)
    hi = next((m.start() for m in _STRONG.finditer(text, at + len(key))), len(text))
    return text[lo:hi].strip()


def category_examples(parser: Parser, rows: Iterable[dict[str, Any]]) -> dict[str, list[tuple[Features, str, float]]]:
    """(features, category, weight) per profile for every labelled item: the item text is the
    splitter's item that contains the label's key (what prediction will see), else the sentence
    around the key; a correction row's whole text is its item."""
    out: dict[str, list[tuple[Features, str, float]]] = {}
    for row in rows:
        if not row.get("items"):
            continue
        profile = row.get("profile") or "campus"
        tax = parser.taxonomies.get(profile)
        if tax is None:
            continue
        classifier = parser.classifiers[profile]
        text = normalize(row["text"], parser._is_word)
        place_type = (row.get("visit") or {}).get("place_type")
        correction = slice_of(row) == "corr"
        groups = [] if correction else parser._groups(text, tax)
        for gold in row["items"]:
            if gold["category"] not in tax.categories:
                continue
            key = normalize(gold.get("key") or "")
            match = next(((w, seg) for w, seg in groups if key and key in w), None)
            if match is None:
                words = text if correction else _sentence(text, key)
                match = (words, [(parser._tokens(words), 1.0)])
            feats = item_features(match[0], match[1], classifier, place_type)
            out.setdefault(profile, []).append((feats, gold["category"], CORRECTION_WEIGHT if correction else 1.0))
    return out


def lexicon_examples(parser: Parser, profile: str) -> list[tuple[Features, str, float]]:
    """Each word of the profile's domain lexicon (data/lexicon.toml) and each taxonomy keyword of
    at least medium weight as a tiny labelled example of its categories: its character n-grams
    and tokens only, at LEXICON_WEIGHT. This teaches the category model words no labelled message
    used ("道闸" is 治安 in a town) without moving the weights of the rule features, which a lone
    keyword would trivially satisfy. Sorted: deterministic."""
    tax = parser.taxonomies[profile]
    words: dict[str, set[str]] = {w: set(cats) for w, cats in tax.lexicon.table.items()}
    for word, votes in tax.keywords.items():
        if len(word) >= 2:
            words.setdefault(word, set()).update(c for c, w in votes.items() if w >= 2.0)
    out: list[tuple[Features, str, float]] = []
    for word, cats in sorted(words.items()):
        binary, _ = item_features(word, [(parser._tokens(word), 1.0)], parser.classifiers[profile], None)
        out += [((binary, {}), cat, LEXICON_WEIGHT) for cat in sorted(cats) if cat in tax.categories]
    return out


def intent_examples(parser: Parser, rows: Iterable[dict[str, Any]]) -> list[tuple[Features, str]]:
    """(features, intent) for every corpus row (correction rows carry no intent label)."""
    out = []
    for row in rows:
        if slice_of(row) == "corr" or not row.get("intent"):
            continue
        text = normalize(row["text"], parser._is_word)
        today = date.fromisoformat(row["today"])
        out.append((intent_features(text, parser.signals(text, today)), row["intent"]))
    return out


def _reports(parser: Parser, rows: Iterable[dict[str, Any]]) -> Iterator[tuple[str, Taxonomy, list[str]]]:
    """(normalized text, taxonomy, labelled item keys) of each labelled visit or issue (not the
    organisation's corrections, which carry no item keys in their text)."""
    for row in rows:
        if row.get("intent") not in ("visit", "issue") or slice_of(row) == "corr":
            continue
        tax = parser.taxonomies.get(row.get("profile") or "campus")
        if tax is None:
            continue
        keys = [k for k in (normalize(g.get("key") or "") for g in row.get("items") or []) if k]
        yield normalize(row["text"], parser._is_word), tax, keys


def clause_examples(parser: Parser, rows: Iterable[dict[str, Any]]) -> list[tuple[Features, str]]:
    """(features, "1"/"0") for every clause the cues leave neutral in a labelled visit or issue:
    "1" when a labelled item's key lies in it (a problem the cue lists missed)."""
    out = []
    for text, tax, keys in _reports(parser, rows):
        clauses, _, _ = parser.clauses(text, tax, learned=False)
        first = min((c.start for c in clauses if c.kind in ("P", "R")), default=len(text))
        for i, c in enumerate(clauses):
            if c.kind != "N":
                continue
            content = text[c.content_start : c.end]
            label = "1" if any(k and k in content for k in keys) else "0"
            out.append((clause_features(text, c, i, first), label))
    return out


def group_examples(parser: Parser, rows: Iterable[dict[str, Any]]) -> list[tuple[Features, str]]:
    """(features, "1"/"0") for every group the rules make in a labelled visit or issue: "1" when
    the group's item text contains a labelled item's key (a real item), "0" for the rest (actions
    taken, praise, titles, background the cue rules took for a problem)."""
    out = []
    for text, tax, keys in _reports(parser, rows):
        found = parser._candidates(text, tax)
        voice = len(found) > 1 and one_voice(text)
        for i, (words, group, _) in enumerate(found):
            label = "1" if any(k and k in words for k in keys) else "0"
            out.append(
                (group_features(text, group, words, i, len(found), found[i - 1][1] if i else None, voice), label)
            )
    return out


def boundary_examples(parser: Parser, rows: Iterable[dict[str, Any]]) -> list[tuple[Features, str]]:
    """(features, "1"/"0") for every place where a problem or request clause is weakly joined to
    an item in a labelled visit or issue: "1" (starts a new item) when both the item so far and
    the clause (with its trailing neutral clauses) hold a labelled key, "0" otherwise."""
    out = []
    for text, tax, keys in _reports(parser, rows):
        for feats, (g0, g1), (c0, c1) in parser._boundaries(text, tax):
            split = any(k in text[g0:g1] for k in keys) and any(k in text[c0:c1] for k in keys)
            out.append((feats, "1" if split else "0"))
    return out


def place_examples(parser: Parser, rows: Iterable[dict[str, Any]]) -> list[tuple[Features, str]]:
    """(features, place type) for every labelled visit."""
    from .places import detect_place

    out = []
    for row in rows:
        if row.get("intent") != "visit" or not row.get("visit"):
            continue
        text = normalize(row["text"], parser._is_word)
        sig = parser.signals(text, date.fromisoformat(row["today"]))
        rule_type, place = detect_place(text, parser.known_places, sig.places, row.get("profile") or "campus")
        feats = place_features(text, rule_type or "其他", place, sig.places, row.get("profile") or "campus")
        out.append((feats, row["visit"]["place_type"]))
    return out


def train(parser: Parser, rows: Sequence[dict[str, Any]], margin: float = DEFAULT_MARGIN, key: str = "") -> Models:
    """Fit the intent model, the clause model, the boundary and item-keep models and one category
    model per profile on `rows`."""
    intent = fit(intent_examples(parser, rows), c=INTENT_C, min_examples=MIN_EXAMPLES)
    clause_rows = clause_examples(parser, rows)
    clause = fit(clause_rows, c=CLAUSE_C) if len({label for _, label in clause_rows}) == 2 else None
    saved = parser.models
    try:
        parser.models = Models(intent, {}, margin, key, clause)  # clauses as this clause model reads them
        boundary_rows = boundary_examples(parser, rows)
        boundary = fit(boundary_rows, c=BOUNDARY_C) if len({label for _, label in boundary_rows}) == 2 else None
        parser.models = Models(intent, {}, margin, key, clause, boundary=boundary)  # and groups them
        group_rows = group_examples(parser, rows)
        keep = fit(group_rows, c=KEEP_C) if len({label for _, label in group_rows}) == 2 else None
        # the category model learns from the item texts these models will cut at prediction
        # (not the rules' alone, nor those of models trained on other rows)
        parser.models = Models(intent, {}, margin, key, clause, keep=keep, boundary=boundary)
        by_profile = category_examples(parser, rows)
    finally:
        parser.models = saved
    category = {}
    for profile, examples in by_profile.items():
        examples = examples + lexicon_examples(parser, profile)
        if len({label for _, label, _ in examples}) >= 2:
            category[profile] = fit_nb(
                [(f, label) for f, label, _ in examples],
                c=CATEGORY_C,
                weights=[w for _, _, w in examples],
                min_examples=MIN_EXAMPLES,
            )
    place_rows = place_examples(parser, rows)
    place = fit(place_rows, c=PLACE_C) if len({label for _, label in place_rows}) >= 2 else None
    return Models(intent, category, margin, key, clause, place, keep, boundary)


def source_key(parser: Parser, corrections: Path | None) -> str:
    """Fingerprint of everything a model set is built from: corpus files, corrections, the
    taxonomy and cue data (keyword scores and rule verdicts are features)."""
    parts: list[bytes | str] = [p.read_bytes() for p in corpus_files()]
    parts += [p.read_bytes() for p in sorted(Path(__file__).parent.glob("*.py"))]  # rules are features
    parts += [p.read_bytes() for p in sorted(DATA_DIR.glob("*.toml"))]
    parts.append(repr(sorted(parser.known_places.items())))
    if corrections is not None and Path(corrections).exists():
        parts.append(Path(corrections).read_bytes())
    return fingerprint(*parts)


def load_or_train(parser: Parser, cache_dir: Path, corrections: Path | None = None, force: bool = False) -> Models:
    """The cached model set for the current sources, trained (and cached) when absent or forced."""
    key = source_key(parser, corrections)
    path = Path(cache_dir) / f"nlu-{key[:20]}.pkl"
    if not force:
        cached = load_cached(path)
        if isinstance(cached, Models) and cached.key == key:
            return cached
    rows = shipped_rows() + correction_rows(corrections)
    models = train(parser, rows, key=key)
    save_cached(path, models)
    for old in Path(cache_dir).glob("nlu-*.pkl"):
        if old != path:
            old.unlink(missing_ok=True)
    log.info("nlu models trained: %d rows, key %s", len(rows), key[:12])
    return models


def corrections_text(lines: Sequence[dict[str, Any]]) -> str:
    """The corrections file's content for `lines` (JSON lines, UTF-8 text)."""
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)


def retrain(parser: Parser, cache_dir: Path, corrections: Path, lines: Sequence[dict[str, Any]]) -> Models:
    """Rebuild the models with the organisation's corrections `lines` (corpus format) and swap
    them into `parser`: the models are trained and cached first, then the corrections file is
    replaced atomically, so other processes watching it (Parser.refresh) find them ready."""
    corrections = Path(corrections)
    corrections.parent.mkdir(parents=True, exist_ok=True)
    staged = corrections.with_suffix(".staged")
    staged.write_text(corrections_text(lines), encoding="utf-8")
    models = load_or_train(parser, cache_dir, staged, force=True)  # the key depends on bytes, not name
    staged.replace(corrections)
    parser.models = models
    parser.watch(cache_dir, corrections)
    return models

"""The parser façade: load data once, then parse messages with pure functions."""
from __future__ import annotations

import logging
import os
import tomllib
from datetime import date
from pathlib import Path

import jieba

from . import intent as intents
from .classify import Classifier, Taxonomy
from .dates import find_dates
from .model import Parsed, ParsedItem, ParsedQuery, ParsedVisit
from .numerals import count_people
from .places import PLACE_TYPES, detect_place, find_places
from .query import parse_query
from .split import Cues, Group, classify_clause, group_items, item_text, normalize, scan, segment

DATA_DIR = Path(__file__).parent / "data"
PROFILES = ("campus", "community")
CACHE_NAME = "jieba.cache"


def default_cache_dir() -> Path:
    """The app-owned cache directory: $MINQING_CACHE_DIR, else ./data/cache."""
    return Path(os.environ.get("MINQING_CACHE_DIR") or Path.cwd() / "data" / "cache")


def _read_dict(path: Path) -> list[tuple[str, int | None, str | None]]:
    """Lines of a jieba user dictionary: word [freq] [tag]."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.strip().split()
        if not parts or parts[0].startswith("#"):
            continue
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tag = parts[-1] if len(parts) > 1 and not parts[-1].isdigit() else None
        out.append((parts[0], freq, tag))
    return out


class Parser:
    """Understands cadre messages. Build once with :meth:`load`; :meth:`parse` is pure."""

    def __init__(self, tokenizer: jieba.Tokenizer, taxonomies: dict[str, Taxonomy], cues: Cues,
                 known_places: dict[str, str]) -> None:
        self.tokenizer = tokenizer
        self.taxonomies = taxonomies
        self.classifiers = {name: Classifier(t) for name, t in taxonomies.items()}
        self.cues = cues
        self.known_places = known_places
        self._freq = tokenizer.FREQ

    @classmethod
    def load(cls, cache_dir: Path | None = None, extra_dict: Path | None = None,
             extra_keywords: Path | None = None) -> Parser:
        """Initialise jieba once (its cache file inside cache_dir), load both taxonomy profiles,
        the language cues and the user dictionaries. extra_dict is a jieba user dictionary
        (``word [freq] [tag]``; a place type as tag registers a place name, e.g. ``明德楼 10 课堂``);
        extra_keywords is a TOML file merged into the profiles: either top-level tables of the
        profile shape (applied to every profile that has the category) or ``[campus]`` /
        ``[community]`` tables, plus an optional ``[cues]`` table of the cues.toml shape."""
        cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        cache_dir.mkdir(parents=True, exist_ok=True)
        logging.getLogger("jieba").setLevel(logging.WARNING)
        tok = jieba.Tokenizer()
        tok.tmp_dir = str(cache_dir)
        tok.cache_file = CACHE_NAME
        tok.initialize()

        taxonomies = {}
        for name in PROFILES:
            with open(DATA_DIR / f"{name}.toml", "rb") as f:
                taxonomies[name] = Taxonomy.from_data(name, tomllib.load(f))
        with open(DATA_DIR / "cues.toml", "rb") as f:
            cue_data = tomllib.load(f)
        if extra_keywords is not None:
            with open(extra_keywords, "rb") as f:
                extra = tomllib.load(f)
            for name, tax in taxonomies.items():
                if name in extra:
                    tax.merge(extra[name])
                shared = {k: v for k, v in extra.items() if k not in PROFILES and k != "cues"}
                if shared.get("keywords"):
                    shared = dict(shared)
                    shared["keywords"] = {c: t for c, t in shared["keywords"].items() if c in tax.categories}
                if shared:
                    tax.merge(shared)
            for kind, table in extra.get("cues", {}).items():
                base = cue_data.setdefault(kind, {})
                for key in ("words", "patterns"):
                    base[key] = list(base.get(key, [])) + list(table.get(key, []))

        known: dict[str, str] = {}
        dicts = [DATA_DIR / "userdict.txt"] + ([Path(extra_dict)] if extra_dict is not None else [])
        for path in dicts:
            for word, freq, tag in _read_dict(path):
                tok.add_word(word, freq or 300, tag)
                if tag in PLACE_TYPES:
                    known[word] = tag
        for tax in taxonomies.values():
            for word in tax.keywords:
                if len(word) >= 2 and word not in tok.FREQ:
                    tok.add_word(word, 300)
        return cls(tok, taxonomies, Cues.from_data(cue_data), known)

    # --- public helpers -----------------------------------------------------------------------

    def categories(self, profile: str) -> tuple[str, ...]:
        """The profile's category list, in order."""
        return self._taxonomy(profile).categories

    def classify(self, text: str, profile: str = "campus", place_type: str | None = None) -> str:
        """Category of one item text (used when a cadre adds or edits an item)."""
        text = normalize(text)
        classifier = self.classifiers[self._taxonomy(profile).name]
        return classifier.best([(self._tokens(text), 1.0)], text, place_type)

    def _taxonomy(self, profile: str) -> Taxonomy:
        try:
            return self.taxonomies[profile]
        except KeyError:
            raise ValueError(f"unknown profile {profile!r}; expected one of {PROFILES}") from None

    def _spans(self, text: str, start: int = 0, end: int | None = None) -> list[tuple[int, str]]:
        """jieba tokens of text[start:end] with their offsets in text."""
        out, pos = [], start
        for tok in self.tokenizer.cut(text[start:end], HMM=False):
            if tok.strip():
                out.append((pos, tok))
            pos += len(tok)
        return out

    @staticmethod
    def _segments(spans: list[tuple[int, str]], group: Group) -> list[tuple[list[str], float]]:
        """Tokens of an item's clauses, weighted: the clause that states the problem counts fully,
        the speaker ("老师反映") and the surrounding context count half."""
        head = next((c for c in group.clauses if c.kind in ("P", "R")), group.clauses[0])

        def tokens(start: int, end: int) -> list[str]:
            return [tok for pos, tok in spans if start <= pos < end]

        segments = [(tokens(c.content_start, c.end), 1.0 if c is head else 0.5) for c in group.clauses]
        if head.content_start > head.start:
            segments.append((tokens(head.start, head.content_start), 0.5))
        return segments

    def _tokens(self, text: str) -> list[str]:
        return [t for t in self.tokenizer.cut(text, HMM=False) if t.strip()]

    def _is_word(self, word: str) -> bool:
        return bool(self._freq.get(word))

    # --- parsing -----------------------------------------------------------------------------

    def parse(self, text: str, today: date, profile: str = "campus") -> Parsed:
        """Understand one message sent on `today` under a profile ("campus" or "community")."""
        tax = self._taxonomy(profile)
        text = normalize(text, self._is_word)
        if not text or intents.CORRECTION.search(text):
            return Parsed("other", None, (), None, None)
        if intents.is_resolve(text):
            return Parsed("resolve", None, (), None, intents.find_resolve_ref(text))
        if intents.is_query(text):
            q = parse_query(text, today, tax.categories, tax.aliases)
            return Parsed("query", None, (), ParsedQuery(**q), None)
        if intents.is_future_or_notice(text) or (intents.HELP.search(text) and len(text) < 40):
            return Parsed("other", None, (), None, None)

        cut = intents.REPORTED.search(text)
        own = text[: cut.start()] if cut else text
        dates = find_dates(text, today)
        own_dates = [d for pos, d in dates if pos < len(own)]
        matches = find_places(text, self.known_places)
        is_visit = intents.has_visit(text, bool(own_dates), matches)
        place_type, place = detect_place(text, self.known_places, matches) if is_visit else (None, None)
        items = self._items(text, tax, place_type, place)
        if is_visit:
            visit = ParsedVisit(own_dates[0] if own_dates else (dates[0][1] if dates else today),
                                place_type or "其他", place, count_people(text))
            return Parsed("visit", visit, items, None, None)
        if items:
            return Parsed("issue", None, items, None, None)
        return Parsed("other", None, (), None, None)

    def _items(self, text: str, tax: Taxonomy, place_type: str | None,
               place: str | None = None) -> tuple[ParsedItem, ...]:
        clauses = segment(text)
        hits = scan(text, self.cues)
        for c in clauses:
            classify_clause(c, self.cues, hits)
        classifier = self.classifiers[tax.name]
        out: list[ParsedItem] = []
        seen: set[str] = set()
        for group in group_items(clauses):
            words = item_text(text, group)
            if len(words) < 2 or words in seen:
                continue
            seen.add(words)
            first = group.clauses[0]
            spans = self._spans(text, min(first.start, first.content_start), group.end)
            category = classifier.best(self._segments(spans, group), words, place_type, place)
            out.append(ParsedItem(category, words))
        return tuple(out)

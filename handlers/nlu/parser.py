"""The parser façade: load data once, then parse messages with pure functions."""

from __future__ import annotations

import itertools
import logging
import math
import os
import re
import time
import tomllib
from datetime import date
from pathlib import Path

import jieba
import numpy as np

from . import intent as intents
from .classify import Classifier, Taxonomy
from .dates import find_dates
from .features import (
    Signals,
    boundary_features,
    clause_features,
    group_features,
    intent_features,
    item_features,
    place_features,
)
from .grams import GramTable, MessageGrams
from .learn import Features, LinearModel, Models
from .model import Parsed, ParsedItem, ParsedQuery, ParsedVisit
from .numerals import count_people
from .places import PLACE_TYPES, detect_place, find_places
from .query import asks_about_records, parse_query, question_topic
from .segmenter import Segmenter
from .split import (
    ENUMERATED,
    WEAK,
    Clause,
    Cues,
    Group,
    classify_clause,
    cue_hits,
    demote_title,
    group_items,
    has_cue,
    item_text,
    letter_points,
    normalize,
    numbered,
    one_voice,
    opens_new_point,
    promote_points,
    scan,
    segment,
)
from .trainable import DATA_DIR

log = logging.getLogger(__name__)
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

    def __init__(
        self, tokenizer: jieba.Tokenizer, taxonomies: dict[str, Taxonomy], cues: Cues, known_places: dict[str, str]
    ) -> None:
        self.tokenizer = tokenizer
        self.taxonomies = taxonomies
        context = cues.people | cues.places
        self.classifiers = {name: Classifier(t, context) for name, t in taxonomies.items()}
        self.cues = cues
        self.known_places = known_places
        self._freq = tokenizer.FREQ
        self.segmenter = Segmenter(tokenizer)
        self.models: Models | None = None  # attached by load()
        self._learning: tuple[Path, Path | None, float, float] | None = None
        self._binary: dict[int, tuple[LinearModel, dict[str, float], float]] = {}  # see _odds
        self._grams: tuple[Models, GramTable] | None = None  # see _message_grams
        self._latest: MessageGrams | None = None  # the n-grams of the message being parsed

    @classmethod
    def load(
        cls,
        cache_dir: Path | None = None,
        extra_dict: Path | None = None,
        extra_keywords: Path | None = None,
        corrections: Path | None = None,
        learned: bool = True,
    ) -> Parser:
        """Initialise jieba once (its cache file inside cache_dir), load both taxonomy profiles,
        the language cues and the user dictionaries. extra_dict is a jieba user dictionary
        (``word [freq] [tag]``; a place type as tag registers a place name, e.g. ``明德楼 10 课堂``);
        extra_keywords is a TOML file merged into the profiles: either top-level tables of the
        profile shape (applied to every profile that has the category) or ``[campus]`` /
        ``[community]`` tables, plus an optional ``[cues]`` table of the cues.toml shape.
        corrections is the organisation's category corrections (JSON lines, corpus format);
        with learned (the default) the intent and category models are loaded from the cache or
        trained (see training.py) in cache_dir, or in $MINQING_NLU_CACHE when set (shared by
        test runs and worker processes); learned=False gives the rule layer alone."""
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
        with open(DATA_DIR / "lexicon.toml", "rb") as f:
            lexicon = tomllib.load(f)
        for name, tax in taxonomies.items():
            tax.lexicon.merge(lexicon.get(name, {}))
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
        parser = cls(tok, taxonomies, Cues.from_data(cue_data), known)
        if learned:
            from .training import load_or_train

            models_dir = Path(os.environ.get("MINQING_NLU_CACHE") or cache_dir)
            parser.models = load_or_train(parser, models_dir, corrections)
            parser.watch(models_dir, corrections)
        return parser

    @property
    def models_dir(self) -> Path | None:
        """Where this parser's learned models are cached (None for the rule layer alone)."""
        return self._learning[0] if self._learning is not None else None

    def watch(self, cache_dir: Path, corrections: Path | None) -> None:
        """Remember where the models come from, taking the corrections file as seen now."""
        self._learning = (
            Path(cache_dir),
            Path(corrections) if corrections else None,
            _mtime(corrections),
            time.monotonic(),
        )

    def refresh(self, force: bool = False) -> bool:
        """Load the models again when the corrections file changed (checked at most once a
        minute, or now with force): how worker processes pick up a nightly retraining. The
        retraining itself (``training.retrain``) writes the model cache before the file, so a
        refresh finds the models built and only reads them. Returns True when models changed."""
        if self._learning is None:
            return False
        cache_dir, corrections, seen, checked = self._learning
        now = time.monotonic()
        if not force and now - checked < _REFRESH_SECONDS:
            return False
        mtime = _mtime(corrections)
        self._learning = (cache_dir, corrections, mtime, now)
        if mtime == seen and not force:
            return False
        from .training import load_or_train

        self.models = load_or_train(self, cache_dir, corrections)
        log.info("nlu models reloaded after a change of %s (%s)", corrections, self.models.key[:12])
        return True

    # --- public helpers -----------------------------------------------------------------------

    def categories(self, profile: str) -> tuple[str, ...]:
        """The profile's category list, in order."""
        return self._taxonomy(profile).categories

    def category_of_name(self, word: str, profile: str) -> str | None:
        """The category `word` names outright (a category or one of its aliases: 食堂, 看病), else None."""
        tax = self._taxonomy(profile)
        return word if word in tax.categories else tax.aliases.get(word)

    def classify(self, text: str, profile: str = "campus", place_type: str | None = None) -> str:
        """Category of one item text (used when a cadre adds or edits an item)."""
        return self.categorize(normalize(text), profile, place_type)[0]

    def _taxonomy(self, profile: str) -> Taxonomy:
        try:
            return self.taxonomies[profile]
        except KeyError:
            raise ValueError(f"unknown profile {profile!r}; expected one of {PROFILES}") from None

    def _spans(self, text: str) -> list[tuple[int, str]]:
        """jieba tokens of text with their offsets (whitespace left out)."""
        return self.segmenter.spans(text)

    @staticmethod
    def _segments(spans: list[tuple[int, str]], group: Group) -> list[tuple[list[str], float]]:
        """Tokens of an item's clauses, weighted: the clause that states the problem counts fully,
        the speaker ("老师反映") and the surrounding context count half."""
        head = next(
            (c for c in group.clauses if c.kind == "P"),
            next((c for c in group.clauses if c.kind == "R"), group.clauses[0]),
        )

        def tokens(start: int, end: int) -> list[str]:
            return [tok for pos, tok in spans if start <= pos < end]

        segments = [(tokens(c.content_start, c.end), 1.0 if c is head else 0.5) for c in group.clauses]
        if head.content_start > head.start:
            segments.append((tokens(head.start, head.content_start), 0.5))
        return segments

    def _tokens(self, text: str) -> list[str]:
        return self.segmenter.tokens(text)

    def search_words(self, text: str) -> list[str]:
        """The smallest words of `text` of two characters or more, for finding it in records that
        word it otherwise (「拖欠工资」 → 拖欠, 工资 finds 「拖欠了两个月工资」)."""
        found = [w for w in dict.fromkeys(self.tokenizer.cut_for_search(text)) if len(w) >= 2]
        return [w for w in found if not any(o != w and o in w for o in found)]

    def _is_word(self, word: str) -> bool:
        return bool(self._freq.get(word))

    # --- parsing -----------------------------------------------------------------------------

    def parse(self, text: str, today: date, profile: str = "campus") -> Parsed:
        """Understand one message sent on `today` under a profile ("campus" or "community").

        The intent comes from the learned intent model over the text and the rule detectors'
        verdicts (:meth:`signals`), with one hard gate: ``resolve`` only when the message names
        one of the bot's item numbers in done-wording (:func:`intent.is_resolve`). Items are the
        rule splitter's, each classified by the learned category model when one is attached."""
        tax = self._taxonomy(profile)
        if self._learning is not None:
            self.refresh()
        text = normalize(text, self._is_word)
        if not text:
            return Parsed("other", None, (), None, None)
        sig = self.signals(text, today)
        intent = self._intent(text, sig)
        if intent == "resolve":
            return Parsed("resolve", None, (), None, sig.ref)
        if intent == "query":
            q = parse_query(text, today, tax.categories, tax.aliases)
            if q["subject"] == "items" and q["category"] is None:
                q["category"] = self._topic_category(text, tax)
            return Parsed("query", None, (), ParsedQuery(**q), None)
        if intent == "other":
            return Parsed("other", None, (), None, None)
        is_visit = intent == "visit"
        place_type, place = self._place(text, sig, tax.name) if is_visit else (None, None)
        whole = not is_visit and (sig.flags["relay"] or one_voice(text))
        points = None if is_visit else letter_points(text[intents.relay_end(text) :], sig.flags["relay"])
        if points:  # a letter of several points, each told at length: one item each
            items = tuple(item for point in points for item in self._whole_item(point, tax))
        else:
            items = self._items(text, tax, place_type, place, whole=whole)
        if is_visit:
            own_dates = sig.own_dates
            visit = ParsedVisit(
                own_dates[0] if own_dates else today,
                place_type or "其他",
                place,
                count_people(text),
            )
            return Parsed("visit", visit, items, None, None)
        if not items and not sig.flags["done"]:
            items = self._whole_item(text, tax)  # a subject line; a bare "已解决" is no problem
        return Parsed("issue", None, items, None, None) if items else Parsed("other", None, (), None, None)

    def signals(self, text: str, today: date) -> Signals:
        """The rule detectors' verdicts on a normalized message (features of the intent model)."""
        relay = intents.relay_end(text)
        cut = intents.REPORTED.search(text)
        own = text[: cut.start()] if cut else text
        if relay:
            own = own[:relay]  # the complainant's words after the lead-in are not the writer's visit
        dates = find_dates(text, today)
        own_dates = [d for pos, d in dates if pos < len(own)]
        # the day the writer says they went comes first: 「昨天有同学拉肚子，今天我去食堂看了」
        mine = relay or len(text)  # in a relayed letter "我" is the complainant
        ends = [pos for pos, _ in dates[1:]] + [len(text)] if dates else []  # a date's clause ends at the next
        spans = zip(dates, ends, strict=True)
        going = next((d for (pos, d), end in spans if pos < mine and intents.writer_goes_at(text, pos, end)), None)
        if going is not None:
            own_dates = [going, *(d for d in own_dates if d != going)]
        places = find_places(text, self.known_places, self.segmenter.freq)
        ref = intents.find_resolve_ref(text)
        usage = bool(intents.HELP.search(text))  # how to use the bot, not what it holds
        resolve = ref is not None and intents.is_resolve(text)  # it needs an item number: none, no resolve
        flags = {
            "correction": bool(intents.CORRECTION.search(text)),
            "resolve": resolve,
            "ref": ref is not None,
            "done": bool(intents.RESOLVED.search(text)),
            "query": not usage and (intents.is_query(text) or (asks_about_records(text) and not resolve)),
            "future": intents.is_future_or_notice(text),
            "help": usage,
            "visit": intents.has_visit(
                own if relay else text, bool(own_dates), [p for p in places if p.end <= len(own)] if relay else places
            ),
            "relay": bool(relay),
            "served": intents.served(text),
            "went": intents.went(own),
            "dont_record": intents.dont_record(text),
            "asks": bool(intents.ASKING.search(text) or intents.QUERY_ASK.search(text)),
            "problem": has_cue(self.cues.problem, text) or has_cue(self.cues.request, text),
            "date": bool(own_dates),
            "place": bool(places),
            "reported": cut is not None,
        }
        return Signals(flags, ref, dates, own_dates, places)

    def _intent(self, text: str, sig: Signals) -> str:
        if self.models is None:
            return _rule_intent(sig)
        model = self.models.intent
        rows = self._gram_rows(model, text, 0, len(text))
        for label, _ in model.probabilities(intent_features(text, sig, grams=rows is None), rows=rows):
            if label in ("visit", "issue") and sig.flags["dont_record"]:
                continue  # "这条不用记录": the writer asks for nothing to be recorded
            if label == "resolve" and not sig.flags["resolve"]:
                continue  # never close an item the message does not name in done-wording
            if label == "visit" and sig.flags["served"] and not sig.flags["future"]:
                return "issue"  # a citizen's own errand told as a going: what they met is the problem
            if label == "visit" and not sig.flags["visit"] and not sig.flags["future"] and sig.flags["problem"]:
                # someone else went (「有人挨家挨户…，老人被骗了」): what they found is the problem
                return "issue"
            if label == "visit" and (not sig.flags["visit"] or sig.flags["future"]):
                continue  # nothing says the writer went anywhere (someone else's words, a plan, a complaint)
            if label == "query" and sig.flags["done"] and not sig.flags["query"] and not sig.flags["asks"]:
                continue  # "3栋热水已解决" states a result, it asks nothing
            if label == "query" and not sig.flags["query"] and (sig.flags["help"] or sig.flags["future"]):
                continue  # "走访记录可以补录吗" asks how to use the bot; "下周计划去…" is a plan
            return label
        return "other"

    def _topic_category(self, text: str, tax: Taxonomy) -> str | None:
        """The category of a question's topic named by its problem (「拖欠工钱的问题」 → 权益), only
        when a taxonomy word is in it and the category model is sure (else the question stays
        about every category: a wrong filter would hide records)."""
        topic = question_topic(text)
        if topic is None:
            return None
        segments = [(self._tokens(topic), 1.0)]
        if not any(v > 0 for v in self.classifiers[tax.name].scores(segments, topic).values()):
            return None
        category, alternative = self.categorize(topic, tax.name, segments=segments)
        return category if alternative is None and category != tax.fallback else None

    def _place(self, text: str, sig: Signals, profile: str) -> tuple[str, str | None]:
        """(place type, place name) of a visit: the rule layer's reading. A named site says by its
        head noun what kind of place it is (华鑫精密 is a firm, 铁路新村 an estate); only when no site
        is named does the place model weigh the other clues (the visit's words, the places mentioned)."""
        place_type, place = detect_place(text, self.known_places, sig.places, profile)
        model = self.models.place if self.models is not None else None
        if model is not None and place is None:
            feats = place_features(text, place_type or "其他", place, sig.places, profile)
            place_type = model.probabilities(feats)[0][0]
        return place_type, place

    def _whole_item(self, text: str, tax: Taxonomy) -> tuple[ParsedItem, ...]:
        """An issue with no clause the splitter recognises ("某小区停水三天了"): the text is the item."""
        words = text[intents.relay_end(text) :] or text
        words = _CLOSING.sub("", _GREETING.sub("", _LEAD_IN.sub("", words)))
        said = _SAID.match(words)
        if said and len(words) - said.end() >= 4:
            words = words[said.end() :]  # "有学生反映晨跑打卡app老是闪退": the problem is what they said
        words = words.strip(" ，。！？!?,.;；：:")
        if len(words) < 4:
            return ()
        category, alternative = self.categorize(words, tax.name)
        return (ParsedItem(category, words, alternative),)

    def clauses(
        self, text: str, tax: Taxonomy, learned: bool = True
    ) -> tuple[list[Clause], list[tuple[int, str]], _Topics]:
        """The message's clauses with their kinds, its tokens (offset, token) and topic words.

        Kinds come from the language cues; with `learned`, a neutral clause that the clause model
        reads as a problem ("作业基本不写", "墙体倾斜得厉害") becomes one (the cue lists cannot
        know every way a problem is told). The points of a list are then promoted
        (:func:`split.promote_points`); training the clause model (`learned` False) sees the
        cue kinds alone."""
        early = {"problem": cue_hits(self.cues.problem, text), "request": cue_hits(self.cues.request, text)}
        starts = [s for s, _ in early["problem"]] + [s for s, _ in early["request"]]
        hits = scan(text, self.cues, early)
        spans = self._spans(text)
        classifier = self.classifiers[tax.name]
        topics = _Topics(text, spans, hits["problem"], classifier, self.cues)
        clauses = segment(text, topics.run_on_cuts())
        for c in clauses:
            classify_clause(c, self.cues, hits)
        model = self.models.clause if learned and self.models is not None else None
        odds = self._odds(model)
        if odds is not None:
            weights, bias = odds
            first = min(starts, default=len(text))
            likeliest, most = None, _LONE_PROBLEM_LOGIT
            for i, c in enumerate(clauses):
                if c.kind != "N":
                    continue
                grams = self._gram_odds(model, text, (("c", c.content_start, c.end, 3),))
                binary = clause_features(text, c, i, first, grams=grams is None)[0]
                logit = bias + (grams or 0.0) + sum(map(weights.get, binary, _ZEROS))
                if logit > 0:
                    c.kind = "P"
                elif logit > most:
                    likeliest, most = c, logit
            if likeliest is not None and not any(c.kind in ("P", "R") for c in clauses):
                # a message no cue finds a problem in: its most problem-like clause, when likely
                # enough (「…看了特困老人…下山买东西要走一个多钟头」)
                likeliest.kind = "P"
        demote_title(text, clauses)
        if learned:
            promote_points(clauses, text)
        return clauses, spans, topics

    def _candidates(self, text: str, tax: Taxonomy) -> list[tuple[str, Group, list[tuple[list[str], float]]]]:
        """(item text, group, weighted token segments) of each group the rules make, in order."""
        clauses, spans, topics = self.clauses(text, tax)
        if not any(c.kind in ("P", "R") for c in clauses):
            return []  # nothing states a problem or a request: no clause can start an item
        out = []
        seen: set[str] = set()
        # the whole message as faint context of each item: a canteen visit's "菜太咸" is 食堂, a
        # list announced as 「关于加装电梯的诉求：」 lends its topic to each point
        message = ([tok for _, tok in spans], CONTEXT_WEIGHT)
        odds = self._odds(self.models.boundary if self.models is not None else None)
        boundary = None
        if odds is not None:
            weights, bias = odds

            def boundary(group: list[Clause], clause: Clause, attach: bool) -> bool:
                if not attach and (_marked(group, clause) or (clause.kind == "P" and topics.distinct(group, clause))):
                    return False  # the writer marked another point (、, 也/又, 还/另, a new speaker) or another thing
                start, end = clause.content_start, clause.end
                spans = (("bo", start, min(start + 3, end), 2), ("bc", start, end, 2))
                grams = self._gram_odds(self.models.boundary if self.models else None, text, spans)
                binary, _ = topics.boundary_features(group, clause, attach, grams=grams is None)
                split = bias + (grams or 0.0) + sum(map(weights.get, binary, _ZEROS))
                if attach:
                    return split < _SPLIT_LOGIT
                if "b:sentence" in binary:
                    # a sentence of its own continues the item when the model is sure, and it names
                    # no other thing unless it reads as a consequence: 「烘干机坏了。学生只能把湿衣服晾在
                    # 走廊里」, not 「澡堂的水龙头坏了。图书馆晚上十点就闭馆」
                    own = "b:topicdiff" not in binary or "b:continues" in binary
                    # a plea that names nothing (「麻烦相关部门管一管」) asks for every point: no one's
                    plea = self._bare_plea(text[clause.content_start : clause.end])
                    return own and not plea and split < _SENTENCE_LOGIT
                return split < _MERGE_LOGIT

        previous: Group | None = None
        groups = group_items(clauses, topics.distinct, boundary)
        points = {id(g) for g in groups if g.clauses[0].enumerated and numbered(text, g.clauses[0])}
        for group in groups:
            first = group.clauses[0]
            if len(points) >= 2 and id(group) in points and first.kind in ("P", "R"):
                group.marked = True  # a numbered point of a list of problems: one item each, none dropped
            elif previous is not None and first.kind in ("P", "R") and opens_new_point(first):
                group.marked = True  # 「…，另外希望…」: the writer announces another point
            elif previous is not None and first.opener == WEAK:
                group.marked = _marked(previous.clauses, first) or (
                    first.kind == "P" and topics.distinct(previous.clauses, first)
                )
            previous = group
            words = item_text(text, group)
            if len(words) < 2 or words in seen:
                continue
            seen.add(words)
            lo = min(first.start, first.content_start)
            local = [(pos, tok) for pos, tok in spans if lo <= pos < group.end]
            out.append((words, group, [*self._segments(local, group), message]))
        return out

    def _odds(self, model: LinearModel | None) -> tuple[dict[str, float], float] | None:
        """(feature → weight, bias) of a binary "0"/"1" model as log-odds of "1", for a sum in
        plain Python (a handful of binary features: faster than the model's matrix product);
        built once per model."""
        if model is None:
            return None
        cached = self._binary.get(id(model))
        if cached is None or cached[0] is not model:
            one, zero = model.labels.index("1"), model.labels.index("0")
            diff = (model.weights[:, one] - model.weights[:, zero]).tolist()
            weights = {name: diff[row] for name, row in model.index.items()}
            if len(self._binary) >= _BINARY_KEPT:
                self._binary.clear()  # models replaced by a retraining: forget theirs
            cached = self._binary[id(model)] = (model, weights, float(model.bias[one] - model.bias[zero]))
        return cached[1], cached[2]

    def _message_grams(self, text: str) -> tuple[GramTable, MessageGrams] | None:
        """The attached models' n-gram table (built once per model set) and the n-grams of the
        message `text` (made once per message object: the message being parsed), or None
        without models."""
        models = self.models
        if models is None:
            return None
        known = self._grams
        if known is None or known[0] is not models:
            known = self._grams = (models, GramTable.of_models(models))
            self._latest = None
        latest = self._latest
        if latest is None or latest.text is not text:
            latest = self._latest = known[1].message(text)
        return known[1], latest

    def _gram_rows(self, model: LinearModel, text: str, start: int, end: int) -> np.ndarray | None:
        """The model's weight rows of the character 1–3-grams (``c``) of text[start:end], read off
        the message's n-grams (see grams.py), or None without models."""
        found = self._message_grams(text)
        if found is None:
            return None
        table, grams = found
        return table.rows(model, "c", grams.span(start, end, 3))

    def _gram_odds(
        self, model: LinearModel | None, text: str, spans: tuple[tuple[str, int, int, int], ...]
    ) -> float | None:
        """A binary model's summed log-odds weights of the n-grams of each (prefix, start, end,
        n_max) span of `text`, read off the message's n-grams, or None without models."""
        found = self._message_grams(text) if model is not None else None
        if found is None or model is None:
            return None
        table, grams = found
        return sum(table.odds(model, prefix, grams.span(start, end, n)) for prefix, start, end, n in spans)

    def _boundaries(self, text: str, tax: Taxonomy) -> list[tuple[Features, tuple[int, int], tuple[int, int]]]:
        """Each place where the boundary model would decide (a problem or request clause weakly
        joined to an item stating one), as the rules group the message: (features, the item's
        span so far, the span of the clause with the neutral clauses that follow it)."""
        clauses, _, topics = self.clauses(text, tax)
        if not any(c.kind in ("P", "R") for c in clauses):
            return []
        at = {id(c): i for i, c in enumerate(clauses)}
        out = []

        def record(group: list[Clause], clause: Clause, attach: bool) -> bool:
            j = at[id(clause)] + 1
            while j < len(clauses) and clauses[j].kind == "N" and clauses[j].opener == WEAK:
                j += 1
            feats = topics.boundary_features(group, clause, attach)
            out.append((feats, (group[0].content_start, group[-1].end), (clause.content_start, clauses[j - 1].end)))
            return attach

        group_items(clauses, topics.distinct, record)
        return out

    def _groups(self, text: str, tax: Taxonomy) -> list[tuple[str, list[tuple[list[str], float]]]]:
        """(item text, weighted token segments) of each item the splitter finds: the rules'
        groups, less those the item-keep model reads as no problem (an action taken, praise, a
        report's title, background) when that model is attached."""
        found = self._candidates(text, tax)
        odds = self._odds(self.models.keep if self.models is not None else None)
        if odds is not None and found:
            weights, bias = odds
            n = len(found)
            voice = n > 1 and one_voice(text)
            kept = []
            best, best_logit = None, _RESCUE_LOGIT
            for i, (words, group, segments) in enumerate(found):
                if group.marked:
                    kept.append((words, group, segments))  # a point the writer marked as another one
                    continue
                at = text.find(words)
                spans = (("c", at, at + len(words), 3), ("o", at, at + min(len(words), 4), 2))
                grams = self._gram_odds(self.models.keep if self.models else None, text, spans) if at >= 0 else None
                previous = found[i - 1][1] if i else None
                binary, _ = group_features(text, group, words, i, n, previous, voice, grams=grams is None)
                logit = bias + (grams or 0.0) + sum(map(weights.get, binary, _ZEROS))
                if logit >= _KEEP_LOGIT:
                    kept.append((words, group, segments))
                elif logit >= best_logit:
                    best, best_logit = found[i], logit
            if not kept and best is not None:
                kept.append(best)  # the rules found problems and the model doubts them all: the likeliest one
            found = kept
        return [(words, segments) for words, _, segments in found if not self._bare_plea(words)]

    def _bare_plea(self, words: str) -> bool:
        """A request that names nothing of its own (「希望学校重视」「麻烦相关部门管一管」): every
        word is one every plea says (cues.toml [plea])."""
        if not words.lstrip(_PUNCT).startswith(_PLEA_OPENERS):
            return False  # most groups: no tokens needed
        tokens = [t for t in self._tokens(words) if t.strip(_PUNCT)]
        return bool(tokens) and tokens[0] in _PLEA_OPENERS and all(t in self.cues.plea for t in tokens)

    def _items(
        self, text: str, tax: Taxonomy, place_type: str | None, place: str | None = None, whole: bool = False
    ) -> tuple[ParsedItem, ...]:
        groups = self._groups(text, tax)
        if whole and groups and not ENUMERATED.search(text):
            # one complainant's letter is one problem told at length, unless they number points
            return self._whole_item(text, tax)
        out: list[ParsedItem] = []
        for words, segments in groups:
            category, alternative = self.categorize(words, tax.name, place_type, place, segments)
            out.append(ParsedItem(category, words, alternative))
        return tuple(out)

    def categorize(
        self,
        words: str,
        profile: str,
        place_type: str | None = None,
        place: str | None = None,
        segments: list[tuple[list[str], float]] | None = None,
    ) -> tuple[str, str | None]:
        """(category, second choice when the model is unsure, else None) of one item text."""
        tax = self._taxonomy(profile)
        classifier = self.classifiers[tax.name]
        if segments is None:
            segments = [(self._tokens(words), 1.0)]
        model = self.models.category.get(tax.name) if self.models is not None else None
        if model is None:
            return classifier.best(segments, words, place_type, place), None
        latest = self._latest
        at = latest.find(words) if latest is not None else -1
        rows = self._gram_rows(model, latest.text, at, at + len(words)) if latest is not None and at >= 0 else None
        feats = item_features(words, segments, classifier, place_type, grams=rows is None)
        ranked = model.probabilities(feats, tax.categories, rows=rows)
        (best, p1), (second, p2) = ranked[0], ranked[1] if len(ranked) > 1 else (None, 0.0)
        # an item filed under the fallback (其他) always names the likeliest real category as its
        # second choice: the office refiles those, and the reply shows how
        likeliest = next((c for c, _ in ranked if c != tax.fallback), None)
        if p1 < _UNKNOWN_BELOW and not any(k.startswith("k:") for k in feats[1]):
            return tax.fallback, likeliest  # no known word and no confident guess: "嗯嗯" is 其他
        assert self.models is not None  # the category model came from them
        if best == tax.fallback:
            return best, likeliest
        return best, (second if p1 - p2 < self.models.margin else None)


_PLEA_OPENERS = ("希望", "恳请", "请求", "恳求", "麻烦", "建议", "请", "盼望")
_PUNCT = " \t，,。.！!？?；;：:、…~～\"“”'‘’（）()"
_REFRESH_SECONDS = 60.0
CONTEXT_WEIGHT = 0.5  # the message's words around an item (category LOSO .735 → .75 at 0.4–0.8)
_BINARY_KEPT = 6  # binary models whose log-odds weights are kept (see Parser._odds): two model sets
_ZEROS = itertools.repeat(0.0)  # the default of each feature weight looked up in a binary model (see _odds)
_UNKNOWN_BELOW = 0.5  # category probability under which an item with no taxonomy word is 其他
_SPLIT_LOGIT = 0.0  # boundary log-odds from which a weakly joined problem clause starts a new item (p .5)
# a clause the rules start a new item with joins the item before only when the boundary model is
# this sure it continues it (the rules' splits are mostly right: "应急灯不亮 水龙头一直漏水")
_MERGE_LOGIT = math.log(0.15 / 0.85)
_SENTENCE_LOGIT = math.log(0.15 / 0.85)  # a sentence of its own joins the item before below this
_KEEP_LOGIT = 0.0  # item-keep log-odds under which a rule group is not an item (p .5)
_LONE_PROBLEM_LOGIT = math.log(0.33 / 0.67)  # clause-model log-odds from which the likeliest clause is one
_RESCUE_LOGIT = math.log(0.25 / 0.75)  # when no group is kept: the likeliest one from here on is


def _marked(group: list[Clause], clause: Clause) -> bool:
    """Whether the writer marks `clause` as a further point after the item `group`: a parallel
    list (、), 也/又 of another thing, 还/另, a new speaker, or a point after one handed over."""
    return clause.listed or clause.also or clause.another or clause.speaker or group[-1].kind == "H"


def _mtime(path: Path | str | None) -> float:
    try:
        return os.stat(path).st_mtime if path else 0.0
    except OSError:
        return 0.0


def _rule_intent(sig: Signals) -> str:
    """The intent by the rule detectors alone (when no learned model is attached)."""
    f = sig.flags
    if f["correction"]:
        return "other"
    if f["resolve"]:
        return "resolve"
    if f["query"]:
        return "query"
    if f["future"]:
        return "other"
    if f["visit"]:
        return "visit"
    return "issue" if f["problem"] else "other"


# the narrative lead-in of a relayed complaint or subject line: "工单标题：", "市民来电反映："
_LEAD_IN = re.compile(
    r"^(?:[^，。：:]{0,12}(?:标题|摘录|来信|来电|留言|转来[^：:]{0,8}|反映|诉求|投诉|求助|建议)[：:]\s*)"
)
# a letter's salutation and closing formula, no part of the problem: 「尊敬的社区领导您好！」「此致敬礼！」
_GREETING = re.compile(
    r"^(?:尊敬的|亲爱的)?[^，。！!：:？?]{0,10}?(?:领导|书记|老师|校长|主任|市长|区长|县长|镇长|局长|同志|工作人员)们?"
    r"(?:您好|你们好|你好|好)?[，,！!。：:\s]+"
)
_CLOSING = re.compile(r"[，,。！!\s]*(?:此致敬礼|此致|敬礼|谢谢(?:您|你们|领导)?|万分感谢|感谢)[！!。~～\s]*$")
_SAID = re.compile(r"^(?:有|据|听)?[^，。：:；]{0,10}?(?:反映|反馈|说|提到|表示|吐槽|抱怨)(?:说|了)?[：:，,]?\s*")
_PARTICLES = "了啦的呢啊呀哈"
_SENTENCE_ENDS = "。！？!?；;\n"
_MEMO_LIMIT = 200_000  # tokens whose topic words are remembered
_PERSON_ENDINGS = ("人员", "人", "们", "者", "生", "户")


def _person(word: str, cues: Cues) -> bool:
    return word in cues.people or (len(word) >= 3 and word.endswith(_PERSON_ENDINGS) and not cues.problem.search(word))


def _token_topics(tok: str, classifier: Classifier, cues: Cues) -> tuple[bool, frozenset[str]]:
    """Whether a token names people, and the topic words in it (see _Topics)."""
    return _person(tok, cues), frozenset(
        w
        for w in classifier.topic_words(tok)
        if not _person(w, cues) and w not in cues.places and not cues.problem.fullmatch(w)
    )


class _Topics:
    """What each stretch of a message is about: the taxonomy keywords among its jieba tokens that
    name a thing (热水, 网络, 窗口), not a person (学生) or a problem predicate (偏咸, 太吵)."""

    def __init__(
        self,
        text: str,
        spans: list[tuple[int, str]],
        problems: list[tuple[int, int]],
        classifier: Classifier,
        cues: Cues,
    ) -> None:
        self.text = text
        self.spans = spans
        self.problems = problems
        self.words: list[tuple[int, frozenset[str]]] = []
        self.people: list[int] = []
        # where the message names a place of the campus or town (宿舍, 食堂, 村里): no topic of its own,
        # but two problems at two different places are two things (「宿舍没热水，食堂菜太贵」)
        self.places = [(pos, tok) for pos, tok in spans if tok in cues.places]
        memo = classifier.token_topics
        if len(memo) > _MEMO_LIMIT:
            memo.clear()
        for pos, tok in spans:
            info = memo.get(tok)
            if info is None:
                info = memo[tok] = _token_topics(tok, classifier, cues)
            person, found = info
            if person:
                self.people.append(pos)
            if found:
                self.words.append((pos, found))

    def between(self, start: int, end: int) -> tuple[int, frozenset[str]]:
        """Position of the first topic word in text[start:end] (or -1) and all topic words there."""
        first, found = -1, frozenset[str]()
        for pos, words in self.words:
            if start <= pos < end:
                if first < 0:
                    first = pos
                found |= words
        return first, found

    def distinct(self, group: list[Clause], clause: Clause) -> bool:
        """Whether clause names another thing than the item so far, as the subject of its own
        problem: "热水不稳定，晚上宿舍网络很卡" (热水 / 网络), not "…实训设备老旧，跟不上企业需求"."""
        first, own = self.between(clause.content_start, clause.end)
        problem = next((s for s, e in self.problems if clause.content_start <= s < clause.end), None)
        if problem is not None and self._elsewhere(group, clause, problem):
            return True
        if not own:
            return False
        first_end = first + len(next(t for p, t in self.spans if p == first))
        # the clause opens with its predicate: a consequence of the thing before (a topic token
        # that only runs into the predicate, 「走廊灯不亮」's 灯不亮, still names its subject first)
        if problem is None or first >= problem:
            return False
        if first_end > problem:
            # only the part before the predicate names the thing: 「好几个灯不亮」 after 「灯光太暗」 is
            # the same lights, 「走廊灯不亮」 after 「投影仪坏了」 another thing
            own = frozenset((self.text[first:problem],))
            first_end = problem
        if any(clause.content_start <= pos < problem for pos in self.people):
            return False  # what the problem does to people: "教学型老师很难评上"
        if "都" in self.text[first_end:problem]:
            return False  # its reach: "网络晚上特别卡，打游戏都掉线"
        head = next(i for i, c in enumerate(group) if c.kind in ("P", "R"))
        before: frozenset[str] = frozenset()
        for c in group[head:]:
            before |= self.between(c.content_start, c.end)[1]
        return bool(before) and not any(w in b or b in w for w in own for b in before)

    def _elsewhere(self, group: list[Clause], clause: Clause, problem: int) -> bool:
        """Whether `clause` opens with a place (宿舍, 食堂, 村里) other than the one the item's first
        problem clause opens with, and states its own problem: 「宿舍没热水，食堂菜太贵」."""
        head = next((c for c in group if c.kind in ("P", "R")), None)
        here = self.opening_place(clause.content_start, problem)
        there = self.opening_place(head.content_start, head.end) if head is not None else None
        return here is not None and there is not None and here != there

    def opening_place(self, start: int, end: int) -> str | None:
        """The place word the text at `start` opens with, if it does before `end`."""
        return next((tok for pos, tok in self.places if pos == start and pos < end), None)

    def boundary_features(self, group: list[Clause], clause: Clause, attach: bool, grams: bool = True) -> Features:
        """The boundary model's features of `clause` after the item `group` (see
        features.boundary_features), with this message's topic words (n-grams only with `grams`)."""
        head = next((i for i, c in enumerate(group) if c.kind in ("P", "R")), 0)
        before: frozenset[str] = frozenset()
        for c in group[head:]:
            before |= self.between(c.content_start, c.end)[1]
        own = self.between(clause.content_start, clause.end)[1]
        distinct = clause.kind == "P" and self.distinct(group, clause)
        return boundary_features(self.text, group, clause, attach, distinct, before, own, grams)

    def run_on_cuts(self) -> list[int]:
        """Positions where an unpunctuated message moves from one complaint to the next:
        right after a problem predicate, where a new topic word opens a clause with its own
        problem ("热水不稳定晚上网络很卡" cuts before 晚上)."""
        starts = {pos for pos, _ in self.spans}
        cuts = []
        for (s, e), (s2, _) in zip(self.problems, self.problems[1:], strict=False):
            closed = bool(_CLOSED.match(self.text, s)) or bool(_CONNECTIVE.match(self.text, e))
            while e < len(self.text) and self.text[e] in _PARTICLES:
                e, closed = e + 1, True
            if not closed or e not in starts or e >= s2 or _BREAK.search(self.text, e, s2):
                continue
            lead = _LEAD.match(self.text, e)
            first, own = self.between(lead.end() if lead else e, s2)
            if own and first == (lead.end() if lead else e):
                before = self.between(s - 12 if s >= 12 else 0, e)[1]
                if before and not (before & own):
                    cuts.append(e)
        return cuts


# a predicate that closes its clause: 不稳定, 太贵, 很卡, 没人管 (or one followed by 了)
_CLOSED = re.compile(r"不|没|太|很|特别|非常|偏|比较|较|有点|有些|挺|过于|超级|严重|经常|老是|总是")
_CONNECTIVE = re.compile(r"还有|另外|而且|并且|此外|再就是|然后")
_BREAK = re.compile(r"[，。；;,、！？!?\s:：]")
_LEAD = re.compile(
    r"(?:晚上|白天|早上|中午|下午|上午|夜里|平时|有时候|有时|现在|目前|最近|周末|冬天|夏天|另外|还有|而且)+"
)

"""Cut a message into clauses and group the clauses that state problems into items.

A clause is one stretch between separators (punctuation, spaces, enumeration markers such as
一是/二是/1./（2）, connectives such as 另外/还有/而且, contrast words such as 但是/就是). Each clause
gets a kind from the language cues in ``data/cues.toml``:

- ``P`` problem, ``R`` request or question (both can start an item),
- ``F`` fixed on the spot (cancels the item it follows), ``H`` handed over (kept),
- ``X`` praise, negated problem or the cadre's own inquiry (ends an item),
- ``N`` neutral context (joins the neighbouring item).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

_FULLWIDTH = {chr(c): chr(c - 0xFEE0) for c in range(0xFF10, 0xFF1A)}
_FULLWIDTH.update({chr(c): chr(c - 0xFEE0) for c in range(0xFF21, 0xFF3B)})
_FULLWIDTH.update({chr(c): chr(c - 0xFEE0) for c in range(0xFF41, 0xFF5B)})
_FULLWIDTH.update({"\u3000": " ", "\u00a0": " ", "．": ".", "／": "/", "＃": "#"})
_FW = str.maketrans(_FULLWIDTH)
_CJK = "\u4e00-\u9fff"
_SPACE_IN_WORD = re.compile(rf"(?<=[{_CJK}]) +(?=[{_CJK}])")
_SPACES = re.compile(r"[ \t]+")
_CJK_PUNCT = re.compile(r"[，。；！？、：]")


def normalize(text: str, is_word: Callable[[str], bool] | None = None) -> str:
    """Half-width digits and letters, one space per run, and no typo spaces inside a word ("快递驿 站")."""
    text = _SPACES.sub(" ", text.translate(_FW).strip())
    if is_word is None:
        return text
    if len(_SPACE_IN_WORD.findall(text)) >= 3 and not _CJK_PUNCT.search(text):
        return text  # spaces are this writer's punctuation ("热水还是不稳定 洗澡洗一半就凉了 然后…")

    def join(m: re.Match[str]) -> str:
        s, e = m.start(), m.end()
        left, right = text[max(0, s - 2) : s], text[e : e + 2]
        if left[-1:] in _JOIN_AFTER or right[:1] in _JOIN_BEFORE:
            return ""
        # a word broken by the space, whose halves do not stand as words with their neighbours
        # (two or three characters: 「看不清 空调」 keeps its space, 清空 notwithstanding)
        stands = (is_word(left) or is_word(text[max(0, s - 3) : s])) and (is_word(right) or is_word(text[e : e + 3]))
        if is_word(left[-1:] + right[:1]) and not stands:
            return ""
        return m.group(0)

    return _SPACE_IN_WORD.sub(join, text)


# --- segmentation ---------------------------------------------------------------------------

STRONG, ENUM, CONN, WEAK = 3, 2, 1, 0
_SEP = re.compile(r"(?P<strong>[。！？!?；;\n]+|(?<![0-9])\.(?![0-9])|[：:])|(?P<weak>[，,、]+\s*|\s+)")
_ENUM = re.compile(
    r"(?:(?<=^)|(?<=[\s，,。；;：:、]))(?:[一二三四五六七八九十]是|其[一二三四五]|第[一二三四五六七八九十](?:[，,、\s]|是|点|(?=[：:]|$))|"
    r"首先|其次|再次|最后|[0-9]{1,2}(?:[、)）]|\.(?![0-9]))|[（(][0-9一二三四五六七八九十]{1,2}[)）]|[①②③④⑤⑥⑦⑧⑨⑩])"
)
# a message that numbers its points: 1. 2. / 一是 二是 / ① ② / （1）（2）
ENUMERATED = re.compile(
    r"(?:^|[\s，,。；;：:])(?:[1-9](?:[、)）]|\.(?![0-9]))|[一二三四五]是|[（(][1-9一二三四五][)）]|[①②③④⑤]|其[一二]|"
    r"第[一二三四五](?:[，,、：:\s]|是|点))"
)
_BARE_ENUM = re.compile(rf"(?:(?<=^)|(?<=[\s。，,；;：:]))([1-9])\s+(?=[{_CJK}])")
# ordinal points glued to the words before them: "村民反映一是…下陈了二是…三是…"
_ORDINAL = re.compile(r"(?<![第之唯统专同])(?:[一二三四五六七八九十]是|一个是)(?![不否])")
# words that open another point (另外, 还有就是); 而且, 并且, 加上 also join clauses but pile onto the same one
_NEW_POINT = "另外|此外|另一方面|再就是|还有就是|再有就是|除此之外|除此以外|再一个"
_CONN = re.compile(rf"{_NEW_POINT}|而且|并且|加上")
_CONN_START = re.compile(r"还有|同时|再有|再者|也有|另有|另一[个户位家]")
_CONTRAST = re.compile(r"但是|(?<![不])但(?!凡|愿)|不过|可是|只是|就是(?!说|那|这)")
_MARKER = re.compile(rf"^(?:{_ENUM.pattern}|{_CONN.pattern}|{_CONTRAST.pattern}|[1-9](?=\s|$)|[、，,\s]|还有)+")
_LEAD_MARKER = re.compile(rf"^(?:{_ENUM.pattern}|一个是|{_CONN.pattern}|[1-9](?=\s|$)|[、，,\s]|还有)+")
_JOIN_AFTER = set("太很最更挺较偏特非比")
_JOIN_BEFORE = set("了的得")


@dataclass
class Clause:
    """One clause: its span in the normalized text, its opener and its kind."""

    start: int
    end: int
    opener: int
    text: str
    kind: str = "N"
    content_start: int = 0  # where the words to analyse start (after markers and reporter)
    text_start: int = 0  # where the item's visible text starts (after enumeration markers and reporter)
    cont: bool = False  # continues the item before it (consequence, no own subject)
    also: bool = False  # explicitly a further point (还/也/另)
    enumerated: bool = False  # opened by 一是/1./（2）
    listed: bool = False  # opened by 、 (a parallel list)
    another: bool = False  # "X也不够", "Y又坏了", "有人…": a further thing or other people
    speaker: bool = False  # opens with its own reporter ("…，说…")


def numbered(text: str, clause: Clause) -> bool:
    """Whether `clause` opens with a number or ordinal the writer put there (1. / 一是 / （2） / ①)."""
    return bool(_ENUM.match(text, clause.start)) or bool(_ORDINAL.match(text, clause.start))


_OPENS_NEW_POINT = re.compile(rf"(?:{_NEW_POINT})")


def opens_new_point(clause: Clause) -> bool:
    """Whether `clause` opens with a word that announces another point (另外, 此外, 再就是)."""
    return clause.opener == CONN and bool(_OPENS_NEW_POINT.match(clause.text))


def segment(text: str, extra_cuts: Iterable[int] = ()) -> list[Clause]:
    """Clauses of text, each with the strongest separator that opens it. extra_cuts are positions
    where an unpunctuated message changes topic ("热水不稳定晚上网络很卡"); they cut weakly."""
    cuts: dict[int, int] = {pos: WEAK for pos in extra_cuts}

    def cut(pos: int, kind: int) -> None:
        cuts[pos] = max(cuts.get(pos, -1), kind)

    gaps: list[tuple[int, int]] = []
    listed: set[int] = set()
    for m in _SEP.finditer(text):
        kind = STRONG if m.group("strong") else WEAK
        gaps.append((m.start(), m.end()))
        cut(m.end(), kind)
        if m.group(0).strip() == "、":
            listed.add(m.end())
    enumerated: set[int] = set()
    for m in _ENUM.finditer(text):
        cut(m.start(), ENUM)
        enumerated.add(m.start())
    bare = list(_BARE_ENUM.finditer(text))
    numbers = [int(m.group(1)) for m in bare]
    if len(bare) >= 2 and numbers[:2] == [1, 2]:
        for m in bare:
            cut(m.start(), ENUM)
            enumerated.add(m.start())
    ordinals = list(_ORDINAL.finditer(text))
    said = [m.group(0) for m in ordinals]
    if said[:1] in (["一是"], ["一个是"]) and "二是" in said:
        # "一是…二是…三是" (or "一个是…二是") told without a pause: still one point each
        for m in ordinals:
            cut(m.start(), ENUM)
            enumerated.add(m.start())
    for m in _CONN.finditer(text):
        cut(m.start(), CONN)
    for m in _CONN_START.finditer(text):
        if m.start() == 0 or text[m.start() - 1] in " ，,。；;：:、\n":
            cut(m.start(), CONN)
    for m in _CONTRAST.finditer(text):
        cut(m.start(), WEAK)
    cut(0, STRONG)
    positions = sorted(cuts)
    gap_starts = [gs for gs, _ in gaps]
    clauses: list[Clause] = []
    for i, pos in enumerate(positions):
        end = positions[i + 1] if i + 1 < len(positions) else len(text)
        # the separator itself belongs to no clause
        g = bisect_left(gap_starts, pos)  # gaps do not overlap: only the first one at or after pos
        if g < len(gaps):
            gs, ge = gaps[g]
            if gs < end <= ge or ge == end:
                end = gs
        piece = text[pos:end]
        marker = _MARKER.match(piece)
        if not piece.strip(" ，,、。；;：:！？!?") or (marker and marker.end() == len(piece)):
            # an empty stretch or a bare marker passes its opener on to the next clause
            if i + 1 < len(positions):
                cuts[positions[i + 1]] = max(cuts[positions[i + 1]], cuts[pos])
                if pos in enumerated:
                    enumerated.add(positions[i + 1])
            continue
        clauses.append(Clause(pos, end, cuts[pos], piece, enumerated=pos in enumerated, listed=pos in listed))
    return clauses


# --- clause kinds ---------------------------------------------------------------------------

_LEAD_TIME = re.compile(
    r"^(?:晚上|白天|早上|中午|下午|上午|夜里|平时|有时候|有时|每次|每天|每周|现在|目前|最近|近期|一到|下雨天|周末|冬天|"
    r"夏天|假期|期末|开学|节假日|高峰期|饭点|[0-9一二三四五六七八九十]+点(?:以后|后|前)?)+"
)
_CONT_START = re.compile(
    r"^(?:没|不|太|很|也|还|又|都|就|才|一直|经常|总是|老是|常常|特别|非常|比较|有点|有些|已经|容易|导致|造成|影响|以致|结果|"
    r"所以|因此|甚至|连|只能|只好|没法|无法|不能|根本|完全|基本|几乎|差点|险些|存在|出现|严重|越来越|离|要|得|需|"
    r"一[\u4e00-\u9fff]{1,3}就|(?:学生|同学|老师|老人|家长|孩子|大家|村民|居民|群众|他们|她们|我们|他|她)们?(?:上课|只能|没法|"
    r"无法|不能|来不及|赶不上|都|经常|老是|容易|要|得|还得|就|很|也))"
)
_CONSEQUENCE = re.compile(
    r"只能|只好|没法|无法|来不及|赶不上|不方便|容易|差点|险些|导致|造成|影响|以致|耽误|受影响|不安全|危险|存在.{0,4}隐患|有隐患|根本"
)
_VISIT = re.compile(
    r"走访|家访|入户|查寝|共餐|座谈|听课|听了|值守|值班|执勤|看望|慰问|调研|巡查|巡堤|接待|交流|聊了|聊天|吃饭|吃午饭|吃晚饭|"
    r"午餐|午饭|晚饭|早餐|进课堂|坐窗口|体验|参加|开展|深入|转了|看了|去了|回访|见到|碰见|碰到|一起|陪同|带队|"
    r"[0-9一二三四五六七八九十两]+(?:名|位|个)?(?:人|学生|同学|老师|村民|群众|居民|户|间)|"
    r"^(?:今天|昨天|前天|上周|本周|这周|周[一二三四五六日天]|[0-9]+[月.]|[一二三四五六七八九十]+月)|"
    # a day of the month and a going: 「10号在梅园食堂」 (not 「3号楼…」)
    r"^[0-9一二三四五六七八九十]{1,3}[号日](?=\s*(?:上午|下午|中午|晚上|早上)?\s*(?:在|去|到))"
)
_ALSO = re.compile(r"^(?:还|也|另|并|再)")
# a clause about other people: "有人…", "其中一个同学…", "1户孩子…"
_OTHER_SUBJECT = re.compile(
    r"^(?:其中)?(?:有人|有个|有位|有名|有一|[0-9一二两三四五六七八九十]+(?:户|名|位|个(?:同学|学生|人|老人|孩子)))"
)
_REQUEST_START = re.compile(r"^(?:希望|建议|要求|请|盼|恳请|能否|可否|呼吁)")
_ANOTHER = re.compile(
    rf"^[{_CJK}A-Za-z0-9]{{2,}}?(?:也|又)(?:不|没|坏|太|很|有|经常|老是|总是|比较|特别|一直|紧|少|缺|差|贵|慢|难|被|堵|漏|断|歪|破|停|拖)"
)
# another thing that also goes wrong, by grammar alone: 「篮筐也歪了」「快递员也不送上门了」「下水道也被堵了」
# (the thing before 也 is named, not done: 「催了也不回」「打电话也没人接」「宁愿送外卖也不进厂」 go on with
# the same complaint)
_ANOTHER_WRONG = re.compile(
    rf"^(?!担心|害怕|怕)(?:(?!宁愿|宁可|即使|就算|哪怕)(?![了打催找问说叫喊])[{_CJK}A-Za-z0-9]){{2,}}?"
    r"(?:也|又)(?:不|没|坏|太|少|缺|差|贵|慢|难|被|堵|漏|断|歪|破|停|拖)"
)


_CLAUSE_END = r"(?=$|[，。；;,、！？!?\s:：])"


def trie_pattern(words: Iterable[str]) -> str:
    """One regular expression for a set of literal words, factored by common prefixes
    (房|房租|房租补贴 -> 房(?:租(?:补贴)?)?), which the regex engine tries far faster than a flat
    alternation. Longest match first, like the alternation sorted by length."""
    trie: dict[str, Any] = {}
    for word in words:
        if not word:
            continue
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = True

    def build(node: dict[str, Any]) -> str:
        end = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if end:
            return body + "?" if len(branches) == 1 and len(body) == 1 else f"(?:{body})?"
        return body

    body = build(trie)
    if not body:
        return "(?!x)x"
    # a first-character test lets the engine skip most positions without trying every branch
    first = "".join(re.escape(ch) for ch in sorted(k for k in trie if k))
    return f"(?=[{first}]){body}"


@dataclass
class Cues:
    """Compiled language cues (see data/cues.toml)."""

    problem: re.Pattern[str]
    request: re.Pattern[str]
    praise: re.Pattern[str]
    negation: re.Pattern[str]
    neutral: re.Pattern[str]
    fixed: re.Pattern[str]
    failed: re.Pattern[str]
    handover: re.Pattern[str]
    reporter: re.Pattern[str]
    inquiry: re.Pattern[str]
    people: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()
    plea: frozenset[str] = frozenset()

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Cues:
        """Build from the parsed cues.toml table (plus any extra words merged in)."""

        def rx(name: str, guard: str = "") -> re.Pattern[str]:
            table = data.get(name, {})
            words = set(table.get("words", []))
            parts = [f"{guard}(?:{trie_pattern(words)})"] if words else []
            # "$" in a cue means the end of a clause, also when the whole message is scanned at once
            for p in table.get("patterns", []):
                parts.append(f"(?:{p[:-1] + _CLAUSE_END if p.endswith('$') else p})")
            return re.compile("|".join(parts) or "(?!x)x")

        return cls(
            problem=rx("problem"),
            request=rx("request"),
            praise=rx("praise", "(?<![不没未])"),
            negation=rx("negation"),
            neutral=rx("neutral"),
            fixed=rx("fixed"),
            failed=re.compile(data.get("fixed", {}).get("failed", "(?!x)x") or "(?!x)x"),
            handover=rx("handover"),
            reporter=rx("reporter"),
            inquiry=rx("inquiry"),
            people=frozenset(data.get("context", {}).get("people", [])),
            places=frozenset(data.get("context", {}).get("places", [])),
            plea=frozenset(data.get("plea", {}).get("words", [])),
        )


# the latest text scanned with each cue pattern and its hits: the intent detectors and the
# splitter look at the same message object, which is then scanned once (by identity: another
# message, even one with the same words, is a new object and is scanned anew). Keyed by the
# pattern's id (kept alive in the value): a pattern's own hash digests its whole compiled code.
_LATEST: dict[int, tuple[re.Pattern[str], str, list[tuple[int, int]]]] = {}
_LATEST_LIMIT = 256  # patterns remembered (one set per parser's cues)


def cue_hits(rx: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the non-empty matches of cue pattern `rx` in `text`."""
    latest = _LATEST.get(id(rx))
    if latest is not None and latest[0] is rx and latest[1] is text:
        return list(latest[2])
    hits = [m.span() for m in rx.finditer(text) if m.end() > m.start()]
    if len(_LATEST) >= _LATEST_LIMIT:
        _LATEST.clear()
    _LATEST[id(rx)] = (rx, text, hits)
    return list(hits)


def has_cue(rx: re.Pattern[str], text: str) -> bool:
    """Whether cue pattern `rx` matches anywhere in `text` (as ``rx.search``), from the hits of
    :func:`cue_hits` when the pattern cannot match an empty string."""
    if _min_width(rx) > 0:
        return bool(cue_hits(rx, text))
    return rx.search(text) is not None


_WIDTHS: dict[int, tuple[re.Pattern[str], int]] = {}  # by id, as _LATEST


def _min_width(rx: re.Pattern[str]) -> int:
    """The fewest characters a match of rx spans (0 when unknown)."""
    known = _WIDTHS.get(id(rx))
    if known is not None and known[0] is rx:
        return known[1]
    try:
        width = int(re._parser.parse(rx.pattern, rx.flags).getwidth()[0])  # type: ignore[attr-defined]
    except Exception:  # the regex parser's internals: assume the worst
        width = 0
    if len(_WIDTHS) >= _LATEST_LIMIT:
        _WIDTHS.clear()
    _WIDTHS[id(rx)] = (rx, width)
    return width


def _outside(hits: list[tuple[int, int]], spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    if not spans or not hits:
        return hits
    return [h for h in hits if not any(s <= h[0] and h[1] <= e for s, e in spans)]


_SCANNED = ("problem", "request", "praise", "negation", "neutral", "fixed", "failed", "handover", "inquiry")
Hits = dict[str, list[tuple[int, int]]]


def scan(text: str, cues: Cues, hits: Hits | None = None) -> Hits:
    """Cue hits over a whole message, once, in message offsets (kinds already in `hits` are kept)."""
    out = dict(hits or {})
    for name in _SCANNED:
        if name not in out:
            out[name] = cue_hits(getattr(cues, name), text)
    return out


def classify_clause(clause: Clause, cues: Cues, hits: Hits | None = None) -> None:
    """Set kind, content start, continuation and 'also' flags of one clause.

    `hits` are the message's cue hits from :func:`scan`; without them the clause is scanned alone.
    """
    if hits is None:
        shifted = scan(clause.text, cues).items()
        hits = {k: [(s + clause.start, e + clause.start) for s, e in v] for k, v in shifted}
    text = clause.text
    lead = _MARKER.match(text)
    offset = lead.end() if lead else 0
    clause.also = bool(_ALSO.match(text[offset - 2 if offset >= 2 else 0 :])) or bool(
        lead and re.match(r"还有|另", text)
    )
    visible = _LEAD_MARKER.match(text)
    clause.text_start = clause.start + (visible.end() if visible else 0)
    rep = cues.reporter.search(text, offset)
    if (
        rep
        and not any(clause.start <= s < clause.start + rep.start() for s, _ in hits["problem"])
        and rep.start() - offset <= 16
    ):
        offset = rep.end()
        clause.text_start = clause.start + offset
    else:
        rep = None
    clause.content_start = clause.start + offset
    content = text[offset:]
    if not content.strip():
        clause.kind = "REP" if rep else "N"
        return
    lo, hi = clause.content_start, clause.end

    def inside(name: str) -> list[tuple[int, int]]:
        found = hits[name]  # in message order
        if not found or found[-1][0] < lo or found[0][0] >= hi:
            return []
        return [(s, e) for s, e in found if lo <= s < hi]

    if inside("inquiry") and not inside("request"):
        clause.kind = "X"
        return
    if inside("fixed") and not inside("failed"):
        clause.kind = "F"
        return
    negation = inside("negation")
    shields = negation + inside("neutral")
    praise = inside("praise")
    hand = inside("handover")
    # a problem cue that overlaps a praise word is part of it: 很热 in 很热情
    problems = [
        h for h in _outside(inside("problem"), shields + hand) if not any(s < h[1] and h[0] < e for s, e in praise)
    ]
    requests = _outside(inside("request"), shields)
    if problems:
        clause.kind = "P"
    elif requests:
        clause.kind = "R"
    elif hand:
        clause.kind = "H"
    elif praise or negation:
        clause.kind = "X"
    elif _VISIT.search(content) and not rep:
        clause.kind = "V"
    elif rep and _raised(text, rep) and not inside("neutral") and len(content.strip(" ，,。.!！")) >= 3:
        # what people raised (「12名同学反映米饭夹生」) is a problem, cue words or not; that what they
        # raised is solved now (「上次反映的问题都解决了」) is news of no problem
        clause.kind = "X" if _SOLVED.search(content) else "P"
    else:
        clause.kind = "N"
    body = _LEAD_TIME.sub("", content.lstrip("，, "))
    clause.cont = bool(_CONT_START.match(body)) or bool(_CONSEQUENCE.search(content))
    clause.another = bool(_OTHER_SUBJECT.match(body)) or (not clause.cont and bool(_ANOTHER.search(body)))
    if clause.kind == "N" and not clause.cont and _ANOTHER_WRONG.match(body):
        clause.kind = "P"
    # a new speaker with an explicit subject ("另一位老人说", "企业反映") starts a new point
    clause.speaker = rep is not None and rep.start() > (lead.end() if lead else 0) + 1


# --- grouping -------------------------------------------------------------------------------


@dataclass
class Group:
    """Clauses that together state one item."""

    clauses: list[Clause] = field(default_factory=list)
    cancelled: bool = False
    marked: bool = False  # the writer marks it as another point than the item before (set by the parser)

    @property
    def start(self) -> int:
        """Character offset where the item's text begins (after a marker or reporter)."""
        first = self.clauses[0]
        return first.text_start if first.kind in "PRN" else first.start

    @property
    def end(self) -> int:
        """Character offset just past the group's last clause."""
        return self.clauses[-1].end


def text_of(clause: Clause) -> str:
    """The clause's content: its words after markers and the reporter."""
    return clause.text[clause.content_start - clause.start :]


# A comma-joined clause that opens with one of these continues the complaint before it: a cause,
# a consequence, an example or an elaboration, a remedy ("…，因为…", "…，特别是…", "…，害得…").
_SAME_POINT = re.compile(
    r"^(?:因为|由于|原因是|主要是|主要因为|特别是|尤其|比如|例如|像是|包括|其中|就是说|也就是|导致|所以|因此|造成|"
    r"影响|以致|以至于|结果|害得|搞得|弄得|使得|让|使|希望|建议|要求|想|能不能|能否|可否|不然|否则|"
    r"报修|反映过|投诉过|找过|说过|问过|催过|打过电话|"
    r"[0-9一二两三四五六七八九十几]+(?:[个位名张台间次天周月年门节分秒点岁元块]|多|到|左右)|"
    r"(?:学生|同学|老师|老人|家长|孩子|大家|村民|居民|群众|新生|员工|工人|职工|他们|她们|我们|有的|有些)[们都也就]?"
    r"(?:只能|只好|没法|无法|不能|要|得|就|都|也|经常|老是|总是|常常|还得))"
)
# a reaction to the complaint is part of it ("学生有意见", "老人意见大")
_REACTION = re.compile(r"有意见|意见(?:很|比较|特别)?大|不满意?|抱怨|叫苦|吐槽|怨言|质疑")


def continues(clause: Clause) -> bool:
    """Whether a comma-joined problem clause continues the complaint before it (see _SAME_POINT)."""
    body = _LEAD_TIME.sub("", text_of(clause).lstrip("，, "))
    return clause.cont or bool(_SAME_POINT.match(body)) or bool(_REACTION.search(body))


Distinct = Callable[[list[Clause], Clause], bool]
Boundary = Callable[[list[Clause], Clause, bool], bool]
_VERDICT_STRIP = " ，,。.!！?？了啊呀啦的"
_ASK_START = re.compile(r"^(?:希望|建议|要求|请|能不能|能否|可否|可不可以|最好)")


def group_items(
    clauses: list[Clause], distinct: Distinct | None = None, boundary: Boundary | None = None
) -> list[Group]:
    """Group classified clauses into items (see the module docstring).

    `distinct(group_clauses, clause)` decides whether a comma-joined problem clause raises a new
    problem of its own (another topic) rather than continuing the item before it. `boundary(
    group_clauses, clause, attach)` has the last word on a problem or request clause joined
    weakly (comma, space) to an item that already states one: it gets the rules' verdict
    `attach` and returns whether the clause continues that item (True) or starts its own."""
    groups: list[Group] = []
    current: Group | None = None
    pending: list[Clause] = []
    last_sentence_group: Group | None = None
    reported = False
    for c in clauses:
        if c.kind == "V" and reported:
            c.kind = "N"  # after the first complaint, visit words are part of what was said
        if c.kind in ("P", "R", "REP"):
            reported = True
        new_sentence = c.opener >= CONN
        if new_sentence:
            last_sentence_group = current if c.opener == STRONG else None
            current = None
            pending = []
        if c.kind in ("P", "R"):
            # within a sentence a complaint, its causes, consequences and remedy are one item;
            # a parallel list (、), an explicit further point (还有, X也…) starts another
            prev = current.clauses[-1] if current is not None else None
            parallel = c.listed and prev is not None and prev.kind == "P" and c.kind == "P"
            # a speaker's bare verdict on the complaint before is part of it ("学生觉得太久")
            verdict = c.speaker and len(text_of(c).strip(_VERDICT_STRIP)) <= 3
            attach = (
                current is not None and not c.also and not parallel and not c.another and (not c.speaker or verdict)
            )
            if (
                attach
                and current is not None
                and distinct is not None
                and c.kind == "P"
                and c.opener == WEAK
                and any(x.kind == "P" for x in current.clauses)
                and not continues(c)
                and distinct(current.clauses, c)
            ):
                attach = False  # "热水不稳定，晚上宿舍网络很卡": two complaints in one sentence
            if (
                attach
                and current is not None
                and prev is not None
                and prev.kind == "H"
                and c.kind == "P"
                and not continues(c)
            ):
                attach = False  # "…渗水点已上报，巡堤人员偏少": what was passed on is closed
            if (
                attach
                and current is not None
                and c.kind == "R"
                and _ASK_START.match(text_of(c))
                and not any(x.kind == "P" for x in current.clauses)
            ):
                attach = False  # a question, then a request of its own ("问…什么时候开始，能不能…")
            if current is not None and c.opener == WEAK and not verdict and any(x.enumerated for x in current.clauses):
                attach = True  # in 一是/二是 and 1. 2. reports each point is one item
            if (
                boundary is not None
                and current is not None
                and c.opener == WEAK
                and any(x.kind in ("P", "R") for x in current.clauses)
            ):
                attach = boundary(current.clauses, c, attach)
            remedy = _REQUEST_START.match(text_of(c))
            if (
                current is None
                and c.kind == "R"
                and last_sentence_group is not None
                and not pending
                and not c.enumerated
                and not c.also
                and remedy
            ):
                current, attach = last_sentence_group, True
            if (
                current is None
                and boundary is not None
                and not __import__("os").environ.get("NOX")
                and last_sentence_group is not None
                and c.kind == "P"
                and not c.enumerated
                and any(x.kind in ("P", "R") for x in last_sentence_group.clauses)
                and boundary(last_sentence_group.clauses, c, False)
            ):
                # a sentence that goes on telling the item before (its consequence, its extent,
                # what people met: 「阳台太小。冬天衣服干不了」) continues it, when the model is sure
                current, attach = last_sentence_group, True
                current.clauses.extend(pending)
            if attach and current is not None:
                current.clauses.append(c)
            else:
                current = Group([*pending, c])
                groups.append(current)
            pending = []
            last_sentence_group = None
        elif c.kind == "F":
            target = current or last_sentence_group
            if target is not None:
                target.cancelled = True
            current, pending = None, []
        elif c.kind == "H":
            target = current or last_sentence_group
            if target is not None:
                target.clauses.append(c)
            pending = []
        elif c.kind == "N":
            if current is not None:
                current.clauses.append(c)
            else:
                pending.append(c)
        else:  # X, V, REP: context ends here
            current, pending = None, []
            last_sentence_group = None
    return [g for g in groups if not g.cancelled]


# news that something is solved (「都解决了」「已经修好」), not 「还没解决」
_SOLVED = re.compile(r"(?<![没未不])(?:(?:都|均|已经?|全)(?:解决|修好|办好|处理好|落实)了?|(?:解决|修好|办好)了)")
# reporters that mean "raised a problem": what follows is an item, cue words or not
_RAISED = re.compile(r"反映|反馈|抱怨|吐槽|提出|提了|投诉")
# a counted group of the people met, right before a plain 说/提到 (「12名同学说」「几位村民提到」)
_COUNTED_PEOPLE = re.compile(
    r"(?:\d{1,3}|[一二两三四五六七八九十几多]{1,3})\s*(?:名|个|位)[^，,。；;]{0,6}?"
    r"(?:同学|学生|村民|居民|老人|家长|工人|职工|员工|群众|老师|商户|农户)们?$"
)


def _raised(text: str, rep: re.Match[str]) -> bool:
    """Whether the reporter `rep` in clause `text` says people raised something: a complaint
    verb (反映, 吐槽 …), any reporting verb after a counted group of the people met, or one
    said again (「还说…」「也提到…」「另外说…」: what else they raised)."""
    return bool(
        _RAISED.match(text, rep.start())
        or _COUNTED_PEOPLE.search(text, 0, rep.start())
        or _SAID_AGAIN.search(text, 0, rep.start())
    )


_SAID_AGAIN = re.compile(r"(?:还|也|另外|此外)$")


def item_text(text: str, group: Group) -> str:
    """The item's own words: from its first content character to the end of its last clause,
    without the story of the visit before what people said ("…跟十二个同学聊了一下主要是说")."""
    piece = text[group.start : group.end]
    lead = _LEAD_MARKER.match(piece)
    if lead and len(piece) - lead.end() >= 2:
        piece = piece[lead.end() :]
    story = _NARRATIVE.match(piece)
    if story and len(piece) - story.end() >= 4:
        piece = piece[story.end() :]
    return piece.strip(" ，,、。；;：:！？!?")


# an unpunctuated visit story that runs into what was said: "今天晚上去了梅园三栋跟十二个同学聊了一下主要是说"
_NARRATIVE = re.compile(
    r"^[^，。；;,!?！？]{0,40}?(?:去了?|到了?|在|跟|和|与|同)[^，。；;,!?！？]{0,30}?(?:聊|谈|座谈|交流|了解|吃饭|共餐)"
    r"[^，。；;,!?！？]{0,8}?(?:主要是?|重点是?|大家|他们|同学们|都)?(?:说|反映|提到|讲|聊到|谈到|吐槽)(?:了|的是|是|说)?"
)


# the writer speaks of their own trouble ("我家孩子…", "本人…", "我们打过三次12345"), not of what
# others told them ("跟我说", "给我打电话", "我校")
_OWN_VOICE = re.compile(
    r"(?<![跟和给对找问向让叫带陪同与帮替])(?:本人|我(?![校院区县市镇局处司厂])(?:们|家|的)?|俺(?:们|家)?|咱(?:们|家)?)"
)
# a writer's mark of a further point: 1. 2. / 一是 / 另外 / 还有 / 同时 — 还有, 同时, 也有 only opening
# a clause (「上周还有女生看见」 goes on with the story), and not hearsay (「也有人说…」); 而且, 并且, 加上
# pile onto the same complaint (「改成了半小时一班，而且经常晚点」)
_FURTHER = re.compile(
    rf"{_NEW_POINT}|其次|再次|{ENUMERATED.pattern}|(?:^|[。；;！!？?，,\s])(?:{_CONN_START.pattern})(?!人说|人讲)"
)


# a sentence that opens with one of these starts the next point of a letter: 「…一直拖着。还有就是小区垃圾站…」
_NEXT_POINT = re.compile(rf"(?:(?<=[。！？!?；;])|^)\s*(?:{_NEW_POINT})[，,：:]?\s*")


def letter_points(text: str, relayed: bool) -> list[str] | None:
    """The points of one complainant's letter (relayed, or in the writer's own voice) whose only
    marks of a further point open a sentence (「…。另外…」「…。还有就是…」): the text of each point,
    each a problem told at length; None when the text is no such letter."""
    if not (relayed or _OWN_VOICE.search(text)) or ENUMERATED.search(text):
        return None
    cuts = [m for m in _NEXT_POINT.finditer(text) if m.start() > 0]
    if not cuts:
        return None
    bounds = [0, *[m.start() for m in cuts], len(text)]
    points = [_NEXT_POINT.sub("", text[a:b], count=1) for a, b in pairwise(bounds)]
    return None if _FURTHER.search("".join(points)) else points


def one_voice(text: str) -> bool:
    """Whether text is one person's own complaint told at length, with no mark of a further point:
    such a letter ("我家住在…，油烟直接往窗户里灌…。夏天开不了窗…。恳请…") states one problem, its
    causes, consequences and remedy, however many sentences it takes."""
    return bool(_OWN_VOICE.search(text)) and not _FURTHER.search(text)


# a lead-in that announces a list of points: "村民提了几个事：", "反映比较集中的有三点：", "主要是三块："
_ANNOUNCE = re.compile(
    r"(?:几|[两三四五六七八九]|[2-9])(?:个|件|点|条|块|方面)?(?:事情?|情况|问题|意见|建议|诉求|困难|方面|块|点)"
    r"|(?:问题|意见|诉求|困难|情况)(?:有|如下|主要有|集中在)|(?:几|[两三四五六七八九]|[2-9])(?:个|件|点|条)$"
    # "反映以下情况：", "发现如下问题：", "有下面几点："
    r"|(?:以下|如下|下面|下列)(?:几|[两三四五六七八九]|[2-9])?(?:个|件|点|条)?"
    r"(?:事情?|情况|问题|意见|建议|诉求|困难|方面|点)"
)
_ANNOUNCE_ONLY = re.compile(
    r"^(?:发现|存在|反映|提出|收集到?|梳理出?|汇总|归纳)?[了的是有]*(?:主要|比较集中的|集中的|最多的)?[了的是有]*"
    # or only what it calls them: 「反映的问题：」「存在的主要问题：」
    rf"(?:{_ANNOUNCE.pattern}|(?:问题|诉求|意见|困难)(?:有|是|如下)?)$"
)


_ANNOUNCE_END = re.compile(rf"(?:主要|集中)?[的是在有]*(?:{_ANNOUNCE.pattern})$")
_NAMES_PROBLEMS = re.compile(r"问题|诉求|意见|建议|困难|难题|难处|烦心事|急难愁盼|投诉")


def _announces(c: Clause) -> bool:
    """Whether clause c announces a list: "村民提了几个事", "宿管阿姨反映了几个情况" (a reporter
    whose whole content is the announcement states no problem itself)."""
    if c.kind in ("N", "REP"):
        return bool(_ANNOUNCE.search(c.text))
    if c.kind != "P":
        return False
    body = text_of(c).strip()
    if _ANNOUNCE_ONLY.match(body):
        return True
    # what it names the points, then how many: 「居民的投诉主要是两块」「大家的意见集中在三个方面」
    end = _ANNOUNCE_END.search(body)
    return end is not None and bool(_NAMES_PROBLEMS.search(body, 0, end.start()))


# a section title of a written report: "（一）基本情况", "二、主要诉求", "下一步打算"
_TITLE = re.compile(r"^[\u4e00-\u9fff]{0,6}(?:情况|诉求|问题|意见|建议|打算|措施|做法|成效|工作|下一步)$")


# the title of a written report: "临港开发区欠薪排查情况汇报：", "包保企业走访情况报告\n"
_REPORT_TITLE = re.compile(r"(?:情况|工作|调研|排查|走访|专题)(?:的)?(?:汇报|报告|通报|说明|简报|小结|总结)$")


def demote_title(text: str, clauses: list[Clause]) -> None:
    """A report's title opening the message ("…欠薪排查情况汇报：") names its subject, it raises no
    problem of its own: its clause becomes neutral context (when followed by a colon or a line end)."""
    if not clauses or clauses[0].start != 0:
        return
    first = clauses[0]
    after = text[first.end : first.end + 1]
    if first.kind in ("P", "R") and after in ("：", ":", "\n") and _REPORT_TITLE.search(first.text.strip()):
        first.kind = "N"


_COLON = (":", "：")
_POINT_STOP = re.compile(r"[；;]")
_SENTENCE_STOP = re.compile(r"[。！？!?\n]")
_COUNT = {"两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ANNOUNCED_COUNT = re.compile(
    r"([两三四五六七八九2-9])(?:个|件|点|条|块|方面)?(?:事情?|情况|问题|意见|建议|诉求|困难|方面|块|点)"
)


def reported_points(text: str, clauses: list[Clause]) -> None:
    """What people raised after a reporter and a colon, told as semicolon stretches of one
    sentence (「辅导员反映：值班室就一张行军床，…；每人带的学生…；职称评审…。」): the first clause
    of each stretch is marked as a point (visit words inside are what was said, not a visit)."""
    for i, c in enumerate(clauses[:-2]):
        if c.kind != "REP" or text[c.end : c.end + 1] not in _COLON:
            continue
        starts, j = [i + 1], i + 2
        while j < len(clauses):
            gap = text[clauses[j - 1].end : clauses[j].start]
            if _SENTENCE_STOP.search(gap):
                break
            if _POINT_STOP.search(gap):
                starts.append(j)
            j += 1
        if len(starts) < 2:
            continue
        for k in range(i + 1, j):
            if clauses[k].kind == "V":
                clauses[k].kind = "N"
        for k in starts:
            clauses[k].enumerated = True
        return


def promote_points(clauses: list[Clause], text: str | None = None) -> None:
    """In a list of problems every point is an item: a point with no problem word of its own
    ("2. 网络卡") is promoted when at least half of the points state a problem or a request in
    some clause of theirs. Points are the numbered ones (1. 2. / 一是 二是), or, after a lead-in
    that announces a list ("村民提了几个事："), the sentences that follow it (as many as it
    announces: 「主要是三块：」 three); with the message `text`, also the semicolon stretches
    after a reporter and a colon (:func:`reported_points`)."""
    if text is not None:
        reported_points(text, clauses)
    announced = next((i for i, c in enumerate(clauses[:-1]) if _announces(c)), None)
    problems_named = False  # "问题如下：", "反映的诉求主要有：": the writer calls the points problems
    if announced is not None and clauses[announced + 1].opener == STRONG:
        opening = announced  # the announcing sentence: 「我们汇总了居民的投诉，主要是三块：」
        while opening > 0 and clauses[opening].opener < STRONG:
            opening -= 1
        head = clauses[opening : announced + 1]
        problems_named = any(_NAMES_PROBLEMS.search(c.text) for c in head)
        colon = text is not None and text[clauses[announced].end : clauses[announced].end + 1] in _COLON
        for c in head if colon else head[-1:]:
            if c.kind == "P":
                c.kind = "N"  # it names the list, the points state the problems
        count = _ANNOUNCED_COUNT.search(clauses[announced].text)
        left = (_COUNT.get(count.group(1)) or int(count.group(1))) if count else len(clauses)
        marked = []
        for c in clauses[announced + 1 :]:
            if c.kind in ("V", "X", "F", "REP"):
                break
            if c.opener >= CONN:
                if left == 0:
                    break
                marked.append(c)
                left -= 1
        if len(marked) >= 2:  # one sentence after the lead-in is no list: its clauses group as they will
            for c in marked:
                c.enumerated = True
    starts = [i for i, c in enumerate(clauses) if c.enumerated]
    if len(starts) < 2:
        return
    bounds = [*starts[1:], len(clauses)]
    stated = sum(1 for i, j in zip(starts, bounds, strict=True) if any(c.kind in ("P", "R") for c in clauses[i:j]))
    if stated * 2 < len(starts) and not problems_named:
        return
    for i in starts:
        c = clauses[i]
        after = clauses[i + 1] if i + 1 < len(clauses) else None
        body = text_of(c).strip()
        lead = _LEAD_MARKER.match(body)
        title = after is not None and after.opener == STRONG and bool(_TITLE.match(body[lead.end() if lead else 0 :]))
        if c.kind in ("N", "P") and title:
            c.kind = "N"  # a section title ("（二）主要诉求：…") heads points, it states none
        elif c.kind == "N" and len(c.text.strip()) >= 3:
            c.kind = "P"

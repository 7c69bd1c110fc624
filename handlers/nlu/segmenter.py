"""jieba's accurate mode without HMM, computed in one pass with cached log frequencies.

Gives exactly the tokens of ``jieba.Tokenizer.cut(text, HMM=False)`` (same dictionary, same
tie-breaking), but builds no DAG dictionaries, calls no generators per block and takes no
logarithm twice for the same word: the parser cuts every message once and this is most of its
time. The tokenizer must not change (add_word) after the first cut.
"""

from __future__ import annotations

import re
from math import log
from typing import Any

import jieba

_HAN = re.compile(r"([\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]+)")
_SKIP = re.compile(r"(\r\n|\s)")
_ENG = re.compile(r"[a-zA-Z0-9]")
_MISS = object()
_MEMO_LIMIT = 1_000_000  # fragments remembered before the memo starts over


class Segmenter:
    """Cuts text into jieba tokens with their offsets."""

    def __init__(self, tokenizer: jieba.Tokenizer) -> None:
        tokenizer.check_initialized()
        self.freq: dict[str, int] = tokenizer.FREQ
        self.logtotal = log(tokenizer.total)
        # fragment -> log probability (word), None (prefix of words) or False: filled as met
        self.memo: dict[str, float | bool | None] = {}
        # the same for single characters, apart: a small table read at every position stays in the
        # processor's caches, where the large one of longer fragments does not
        self.chars: dict[str, float | bool | None] = {}

    def _lookup(self, frag: str) -> float | bool | None:
        """log probability of a dictionary word, None for a mere prefix of words, False else."""
        f = self.freq.get(frag)
        value: float | bool | None = False if f is None else (log(f) - self.logtotal if f else None)
        self.memo[frag] = value
        return value

    def _block(self, s: str, start: int, out: list[tuple[int, str]]) -> None:
        """Tokens of one run of CJK/alphanumeric characters (jieba's __cut_DAG_NO_HMM)."""
        memo, lookup, single = self.memo, self._lookup, -self.logtotal
        n = len(s)
        score = [0.0] * (n + 1)
        nxt = [0] * (n + 1)
        chars = self.chars
        for k in range(n - 1, -1, -1):
            best, best_x = None, k
            ch = s[k]
            p: Any = chars.get(ch, _MISS)
            if p is _MISS:
                p = chars[ch] = lookup(ch)
            i = k
            while p is not False:
                if p is not None:
                    value = p + score[i + 1]
                    if best is None or value >= best:  # ties go to the longer word, as in jieba
                        best, best_x = value, i
                i += 1
                if i >= n:
                    break
                frag = s[k : i + 1]
                p = memo.get(frag, _MISS)
                if p is _MISS:
                    p = lookup(frag)
            if best is None:
                best, best_x = single + score[k + 1], k  # log(1) - logtotal
            score[k] = best
            nxt[k] = best_x + 1
        x, buf, buf_at = 0, "", 0
        while x < n:
            y = nxt[x]
            word = s[x:y]
            if y - x == 1 and _ENG.match(word):
                if not buf:
                    buf_at = start + x
                buf += word
            else:
                if buf:
                    out.append((buf_at, buf))
                    buf = ""
                out.append((start + x, word))
            x = y
        if buf:
            out.append((buf_at, buf))

    def spans(self, text: str) -> list[tuple[int, str]]:
        """(offset, token) of every token of text, whitespace tokens left out."""
        if len(self.memo) > _MEMO_LIMIT:
            self.memo.clear()
            self.chars.clear()
        out: list[tuple[int, str]] = []
        pos = 0
        # split with its one group alternates: the stretches between runs, then a run (odd places)
        for k, blk in enumerate(_HAN.split(text)):
            if not blk:
                continue
            if k % 2:
                self._block(blk, pos, out)
            else:
                at = pos
                for x in _SKIP.split(blk):
                    if _SKIP.match(x):
                        pass
                    else:
                        for i, ch in enumerate(x):
                            if ch.strip():
                                out.append((at + i, ch))
                    at += len(x)
            pos += len(blk)
        return out

    def tokens(self, text: str) -> list[str]:
        """Tokens of text, whitespace left out."""
        return [tok for _, tok in self.spans(text)]

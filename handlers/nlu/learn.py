"""Learned linear classifiers of the parser: message intent and item category.

Both are multinomial logistic regressions (scikit-learn) over sparse features: character
n-grams (1–3) of the text, its jieba tokens, and a few dense signals from the rule layer (the
keyword taxonomy's scores for a category, the rule detectors' verdicts for an intent). Training
uses scikit-learn; prediction uses only the exported weights (a feature → row index and a
``float32`` matrix), so a prediction is one sparse dot product with no scikit-learn call.

A model is built deterministically from labelled messages in the corpus format (see
``data/corpus/README.md``) plus the organisation's category corrections, and cached under the
cache directory by the SHA-256 of everything it was built from (:func:`fingerprint`).
"""

from __future__ import annotations

import hashlib
import json
import math
import pickle
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import add, itemgetter
from pathlib import Path
from typing import Any, cast

import numpy as np

FEATURE_VERSION = "7"  # bump when a feature function changes: invalidates cached models
_DIGITS = re.compile(r"[0-9]+")
_SKIP = re.compile(r"[\s，。！？、；：,.!?;:“”\"'（）()【】\[\]《》~～…—-]+")

Features = tuple[set[str], dict[str, float]]  # (binary features, weighted features)


def char_ngrams(text: str, n_max: int = 3, prefix: str = "c", out: set[str] | None = None) -> set[str]:
    """Binary character n-grams (1..n_max) of text, digits folded to "0", punctuation dropped
    (each punctuation-free run is its own window); added to `out` when given."""
    out = set() if out is None else out
    update = out.update
    tags = [f"{prefix}{size}:" for size in range(1, n_max + 1)]
    for run in _SKIP.split(_DIGITS.sub("0", text)):
        # the n-grams of size k are those of size k - 1 each extended by the next character,
        # built by C-level map/add rather than a Python loop of slices (the parser's hot path)
        grams: Iterable[str] = run
        for size, tag in enumerate(tags, 1):
            if size > len(run):
                break
            if size > 1:
                grams = list(map(add, grams, run[size - 1 :]))
            update(map(tag.__add__, grams))
    return out


def as_dict(features: Features) -> dict[str, float]:
    """One feature dict (binary features at 1.0), the shape scikit-learn's DictVectorizer takes."""
    binary, weighted = features
    out = dict.fromkeys(binary, 1.0)
    out.update(weighted)
    return out


@dataclass
class LinearModel:
    """A trained multinomial linear classifier, exported for fast prediction.

    labels: class names; index: feature name → row of ``weights`` (F × L, float32);
    bias: (L,). :meth:`probabilities` returns a softmax over labels."""

    labels: tuple[str, ...]
    index: dict[str, int]
    weights: np.ndarray
    bias: np.ndarray

    # weights with the bias as row F and a zero row F + 1 (what an unknown feature adds), built
    # on first use: one gather and one column sum give a score, with no set intersection
    _table: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)

    def _rows(self) -> np.ndarray:
        table = self._table
        if table is None:
            zero = np.zeros((1, self.weights.shape[1]), dtype=self.weights.dtype)
            table = self._table = np.ascontiguousarray(np.vstack([self.weights, self.bias[None, :], zero]))
        return table

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_table"}  # the cache keeps the weights once

    def scores(self, features: Features, rows: np.ndarray | None = None) -> np.ndarray:
        """Raw class scores (L,) of one example; unknown features are ignored. `rows`: more
        binary features given as rows of this model's table (see grams.GramTable.rows), distinct
        from those named in `features`."""
        binary, weighted = features
        table = self._rows()
        bias_row = len(self.index)
        # one dict lookup per feature; an unknown one reads the zero row (adding 0.0 is exact)
        found = list(map(self.index.get, binary, repeat(bias_row + 1, len(binary))))
        found.append(bias_row)
        picked = found if rows is None else np.concatenate((rows, found))
        # binary features weigh 1: a gather and a column sum (no value vector, no matmul)
        total: np.ndarray = np.add.reduce(table.take(picked, axis=0), axis=0)
        if weighted:
            # an unknown weighted feature reads the zero row too: value × 0.0 adds nothing
            wrows = list(map(self.index.get, weighted, repeat(bias_row + 1, len(weighted))))
            values = np.fromiter(weighted.values(), dtype=np.float32, count=len(weighted))
            total = total + values @ table.take(wrows, axis=0)
        return total

    def probabilities(
        self,
        features: Features,
        allowed: Iterable[str] | None = None,
        rows: np.ndarray | None = None,
    ) -> list[tuple[str, float]]:
        """(label, probability) pairs, best first; with `allowed`, only those labels (renormalised);
        `rows` as in :meth:`scores`."""
        s = self.scores(features, rows).tolist()  # Python floats: no numpy scalar per label
        labels: Sequence[str] = self.labels
        values: list[float] = s
        if allowed is not None:
            keep = [k for k, label in enumerate(labels) if label in allowed]
            if not keep:
                return []
            labels, values = [labels[k] for k in keep], [s[k] for k in keep]
        top = max(values)
        exp = [math.exp(v - top) for v in values]
        total = sum(exp)
        # best first; equal probabilities keep the label order (a stable sort, also reversed)
        return sorted(zip(labels, [v / total for v in exp], strict=True), key=itemgetter(1), reverse=True)


def _common(x: Any, names: Any, min_examples: int, weights: Sequence[float] | None) -> tuple[Any, Any]:
    """The columns of the example matrix `x` (and their `names`) present in at least `min_examples`
    corpus rows (weight 1), or in any row of deliberate teaching (another weight: a lexicon word, a
    cadre's correction), so that a feature seen once in the corpus, which cannot generalise, takes
    no room in the model (min_df)."""
    if min_examples <= 1:
        return x, names
    present = (x != 0).tocsr()
    taught = np.zeros(x.shape[0], dtype=bool) if weights is None else np.asarray(weights) != 1.0
    df = np.asarray(present[~taught].sum(axis=0)).ravel()
    cols = np.flatnonzero((df >= min_examples) | (np.asarray(present[taught].sum(axis=0)).ravel() > 0))
    return x.tocsc()[:, cols].tocsr(), names[cols]


def fit(
    examples: Sequence[tuple[Features, str]],
    c: float = 4.0,
    weights: Sequence[float] | None = None,
    min_examples: int = 1,
) -> LinearModel:
    """Train a multinomial logistic regression on (features, label) pairs (deterministic: lbfgs,
    fixed data order). `c` is the inverse L2 strength; `weights` optional per-example weights;
    `min_examples` drops features seen in fewer corpus examples (see _common).
    Raises ValueError with fewer than two labels."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    labels = sorted({label for _, label in examples})
    if len(labels) < 2:
        raise ValueError(f"need at least two labels to train, got {labels}")
    vec = DictVectorizer(dtype=np.float32, sort=True)
    x, names = _common(
        vec.fit_transform([as_dict(f) for f, _ in examples]), vec.get_feature_names_out(), min_examples, weights
    )
    y = [label for _, label in examples]
    from threadpoolctl import threadpool_limits

    clf = LogisticRegression(C=c, max_iter=2000, solver="lbfgs")
    with threadpool_limits(1):  # small problems: threads only contend on a busy machine
        clf.fit(x, y, sample_weight=None if weights is None else np.asarray(weights, dtype=np.float64))
    coef = clf.coef_
    intercept = clf.intercept_
    classes = tuple(str(k) for k in clf.classes_)
    if len(classes) == 2:  # binary: scikit-learn keeps one row; make it two symmetric ones
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    keep = np.flatnonzero(np.abs(coef).max(axis=0) > 1e-6)
    index = {str(names[j]): k for k, j in enumerate(keep)}
    return LinearModel(
        classes, index, np.ascontiguousarray(coef[:, keep].T, dtype=np.float32), intercept.astype(np.float32)
    )


def fit_nb(
    examples: Sequence[tuple[Features, str]],
    c: float = 8.0,
    weights: Sequence[float] | None = None,
    alpha: float = 1.0,
    min_examples: int = 1,
) -> LinearModel:
    """Train an NB-weighted logistic regression ("NB-LR", the NB-SVM of Wang & Manning 2012 with
    a logistic loss): one binary logistic regression per label over the features scaled by
    their log-count ratio for that label (how much more often a feature occurs in the label's
    examples than in the others', add-`alpha` smoothed, weighted by `weights`). A word
    that only ever occurs in one category then needs little evidence to count, which is what
    generalises from a small corpus. Since every feature's scale is fixed per label, the
    result folds back into one linear model (weight × ratio): prediction is unchanged and as
    fast as :func:`fit`'s. Scores are one-vs-rest log-odds; :meth:`LinearModel.probabilities`
    softmaxes them. Deterministic (lbfgs, fixed data order). Raises ValueError with fewer than
    two labels."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    labels = sorted({label for _, label in examples})
    if len(labels) < 2:
        raise ValueError(f"need at least two labels to train, got {labels}")
    vec = DictVectorizer(dtype=np.float32, sort=True)
    x, names = _common(
        vec.fit_transform([as_dict(f) for f, _ in examples]).tocsr(), vec.get_feature_names_out(), min_examples, weights
    )
    y = np.array([label for _, label in examples])
    sw = np.ones(len(examples)) if weights is None else np.asarray(weights, dtype=np.float64)
    present = (x != 0).astype(np.float64).multiply(sw[:, None]).tocsr()  # weighted occurrence counts
    coef = np.zeros((len(labels), x.shape[1]), dtype=np.float64)
    intercept = np.zeros(len(labels), dtype=np.float64)
    for k, label in enumerate(labels):
        mine = y == label
        p = alpha + np.asarray(present[mine].sum(axis=0)).ravel()
        q = alpha + np.asarray(present[~mine].sum(axis=0)).ravel()
        ratio = np.log((p / p.sum()) / (q / q.sum()))
        clf = LogisticRegression(C=c, max_iter=2000, solver="lbfgs")
        with threadpool_limits(1):
            clf.fit(x.multiply(ratio).tocsr(), mine.astype(np.int64), sample_weight=sw)
        coef[k] = clf.coef_[0] * ratio
        intercept[k] = clf.intercept_[0]
    keep = np.flatnonzero(np.abs(coef).max(axis=0) > 1e-6)
    index = {str(names[j]): n for n, j in enumerate(keep)}
    return LinearModel(
        tuple(labels), index, np.ascontiguousarray(coef[:, keep].T, dtype=np.float32), intercept.astype(np.float32)
    )


@dataclass
class Models:
    """The learned models a parser uses: intent over messages, category per profile over item
    texts, the clause model over neutral clauses, the item-keep model over the rules' groups, the
    boundary model over weakly joined problem clauses;
    `margin` is the probability gap under which a category's second choice is offered; `key`
    the fingerprint of what they were built from."""

    intent: LinearModel
    category: dict[str, LinearModel]
    margin: float
    key: str = ""
    clause: LinearModel | None = None  # "1" when a clause with no problem cue states a problem
    place: LinearModel | None = None  # a visit's place type
    keep: LinearModel | None = None  # "1" when a group the rules made is a real item
    boundary: LinearModel | None = None  # "1" when a weakly joined problem clause starts a new item


# --- corpus ---------------------------------------------------------------------------------

CORPUS_DIR = Path(__file__).parent / "data" / "corpus"


def corpus_files(corpus_dir: Path = CORPUS_DIR) -> list[Path]:
    """The shipped labelled files: dev.jsonl and train/*.jsonl, in a fixed order."""
    return [corpus_dir / "dev.jsonl", *sorted((corpus_dir / "train").glob("*.jsonl"))]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Rows of a JSON-lines file (UTF-8, BOM tolerated); blank lines skipped.
    Raises ValueError naming the file and line of a malformed row."""
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{n}: not JSON: {e}") from None
    return rows


def slice_of(row: Mapping[str, Any]) -> str:
    """The slice a corpus row belongs to: its id prefix (t1, t2, …, d for dev, corr for corrections)."""
    rid = str(row.get("id", ""))
    return rid.split("_", 1)[0] if "_" in rid else rid.rstrip("0123456789-") or "?"


def fingerprint(*parts: bytes | str) -> str:
    """SHA-256 over the given parts (with the feature version): the cache key of a model set."""
    h = hashlib.sha256(FEATURE_VERSION.encode())
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def load_cached(path: Path) -> object | None:
    """A pickled model set written by :func:`save_cached`, or None when absent or unreadable."""
    try:
        with path.open("rb") as f:
            return cast(object, pickle.load(f))
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None


def save_cached(path: Path, value: object) -> None:
    """Write atomically (temp file + rename); failures to write are ignored (the cache is optional)."""
    tmp = path.with_suffix(".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)

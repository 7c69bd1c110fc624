"""What training needs of the parser, as a narrow interface, and where the shipped data lives.

handlers/nlu/training.py depends on this module, not on parser.py, so the parser may load or
train its models (`training.load_or_train`) without an import cycle; `parser.Parser`
implements `TrainableParser`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Protocol

from .classify import Classifier, Taxonomy
from .features import Signals
from .learn import Models
from .split import Clause

DATA_DIR = Path(__file__).parent / "data"  # taxonomies, cues, user dictionary, corpus


class TrainableParser(Protocol):
    """The rule layer that turns corpus lines into model features (see training.py)."""

    taxonomies: dict[str, Taxonomy]
    classifiers: dict[str, Classifier]
    known_places: dict[str, str]
    models: Models | None

    def _is_word(self, word: str) -> bool: ...

    def _tokens(self, text: str) -> list[str]: ...

    def _groups(self, text: str, tax: Taxonomy) -> list[tuple[str, list[tuple[list[str], float]]]]: ...

    def _candidates(self, text: str, tax: Taxonomy) -> list[tuple[str, Any, list[tuple[list[str], float]]]]: ...

    def _boundaries(self, text: str, tax: Taxonomy) -> list[tuple[Any, tuple[int, int], tuple[int, int]]]: ...

    def signals(self, text: str, today: date) -> Signals:
        """The rule layer's verdicts on `text` (the intent model's features)."""
        ...

    def clauses(
        self, text: str, tax: Taxonomy, learned: bool = True
    ) -> tuple[list[Clause], list[tuple[int, str]], Any]:
        """(clauses, their kinds by offset, the split state) of `text` (the clause model's rows)."""
        ...

    def watch(self, cache_dir: Path, corrections: Path | None) -> None:
        """Reload the learned models when the cache for `corrections` changes (workers)."""
        ...

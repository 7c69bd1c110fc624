"""One parser per test session, with its jieba cache in a temporary directory."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.nlu import Parser

TODAY = date(2026, 11, 18)  # a Wednesday


@pytest.fixture(scope="session")
def parser(tmp_path_factory: pytest.TempPathFactory) -> Parser:
    return Parser.load(cache_dir=tmp_path_factory.mktemp("jieba-cache"))

"""Stand-alone entry: python -m handlers.nlu.cli_main --today YYYY-MM-DD --profile campus < in > out."""

from __future__ import annotations

import argparse
import io
import sys
from datetime import date
from pathlib import Path
from typing import cast

from .cli import run_parse
from .parser import Parser


def main(argv: list[str] | None = None) -> int:
    """Parse stdin to stdout, one JSON line per input line."""
    ap = argparse.ArgumentParser(prog="minqing-parse", description="Parse cadre messages (JSON lines or text).")
    ap.add_argument("--today", type=date.fromisoformat, default=date.today(), help="YYYY-MM-DD")
    ap.add_argument("--profile", default="campus", choices=("campus", "community"))
    ap.add_argument("--cache-dir", type=Path, default=None)
    ap.add_argument("--extra-dict", type=Path, default=None)
    ap.add_argument("--extra-keywords", type=Path, default=None)
    a = ap.parse_args(argv)
    parser = Parser.load(a.cache_dir, a.extra_dict, a.extra_keywords)
    cast(io.TextIOWrapper, sys.stdin).reconfigure(encoding="utf-8")
    cast(io.TextIOWrapper, sys.stdout).reconfigure(encoding="utf-8")
    return run_parse(sys.stdin, sys.stdout, today=a.today, profile=a.profile, parser=parser)


if __name__ == "__main__":
    sys.exit(main())

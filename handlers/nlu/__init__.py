"""Message understanding (NLU) for 民情通: visits, items, queries and resolves from chat text."""

from .model import Parsed, ParsedItem, ParsedQuery, ParsedVisit
from .parser import Parser

__all__ = ["Parsed", "ParsedItem", "ParsedQuery", "ParsedVisit", "Parser"]

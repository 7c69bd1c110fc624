"""The exception tree, drawn once:

    BotError
    ├── ConfigError        a setting is missing or wrong (one line at start-up)
    ├── UserFacingError    shown to the user as-is (Chinese), nothing is stored
    └── ChannelError       (bot/errors.py) bad signature, platform API error, rate limited
    StorageError           (storage/errors.py) a statement refused; every database error, translated
    └── StorageUnavailable database missing, locked, unreachable or corrupt

The dispatcher turns UserFacingError into a reply and logs everything else with the
message id (never the message text).
"""

from __future__ import annotations

from typing import Any


class BotError(Exception):
    """Base of the product's own errors."""


class UserFacingError(BotError):
    """A reply for the user (Chinese); the transaction is rolled back."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


class ConfigError(BotError):
    """A setting is missing or wrong. str() is the one line shown at start-up."""

    def __init__(self, key: str, expected: str, got: Any = None) -> None:
        shown = "" if got is None else f" (got {got!r})"
        super().__init__(f"配置错误 config error: {key}: expected {expected}{shown}")
        self.key = key

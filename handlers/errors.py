"""The product's exception tree, drawn and defined once (a leaf module: it imports nothing of
the project, so storage/, handlers/, scheduler/ and bot/ all raise from it).

    BotError
    ├── ConfigError           a setting is missing or wrong (one line at start-up)
    ├── UserFacingError       shown to the user as-is (Chinese); the transaction is rolled back
    ├── ChannelError          talking to a platform went wrong
    │   ├── SignatureError    a callback failed verification (HTTP 403, nothing stored)
    │   ├── BadRequest        a callback body is malformed or undecryptable (HTTP 400)
    │   ├── TransientError    network error, 5xx, errcode -1: retry with backoff
    │   └── ApiError(errcode) the platform refused a call; permanent unless a subclass says so
    │       ├── TokenInvalid  40014/42001/41001 (WeCom) or HTTP 401 (DingTalk): refetch once
    │       └── RateLimited   45009, 130101, DingTalk 429/403 throttling: retry after a pause
    ├── StorageError          a statement refused; every database error, translated by storage/
    │   └── StorageUnavailable  the database itself cannot be used (locked, unreachable, corrupt)
    └── AdminInputError       a file or tool an administrator gave cannot be used (one line)
        ├── RosterFileError   the roster file as a whole (missing, wrong type, no header)
        ├── TextFileError     an admin text file in no known encoding (also a ValueError)
        ├── HolidayFileError  the holidays file, naming file and key (also a ValueError)
        └── BackupError       backup/restore/copy: missing tool, non-empty target, bad URL

storage/errors.py turns SQLAlchemy and driver errors into StorageError (`translated()`); the
dispatcher turns UserFacingError into a reply and answers StorageError with 「系统暂时无法保存」;
everything else is logged with the message id (never the message text).
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


class ChannelError(BotError):
    """Base of everything that went wrong between us and a platform."""

    retryable: bool = False


class SignatureError(ChannelError):
    """A callback's signature, timestamp or receive id did not verify."""


class BadRequest(ChannelError):
    """A callback body could not be decrypted or parsed."""


class TransientError(ChannelError):
    """Network failure, timeout, 5xx or a platform 'system busy': worth retrying."""

    retryable = True


class ApiError(ChannelError):
    """The platform answered with an error code."""

    def __init__(self, platform: str, errcode: int | str, errmsg: str = "") -> None:
        super().__init__(f"{platform} errcode {errcode}: {errmsg}"[:400])
        self.platform, self.errcode, self.errmsg = platform, errcode, errmsg


class TokenInvalid(ApiError):
    """The access token was rejected; the sender refetches it once and retries the call."""

    retryable = True


class RateLimited(ApiError):
    """The platform throttled us; retry no sooner than `retry_after` seconds."""

    retryable = True

    def __init__(self, platform: str, errcode: int | str, errmsg: str = "", retry_after: float = 60.0):
        super().__init__(platform, errcode, errmsg)
        self.retry_after = retry_after


class StorageError(BotError):
    """The database is missing, locked, corrupt or refused a statement. The message names the
    driver's error class and its first line, never the statement's parameters."""


class StorageUnavailable(StorageError):
    """The database itself cannot be used now (locked, unreachable, cannot be opened): retrying
    the same work statement by statement would not help."""


class AdminInputError(BotError):
    """A file or tool an administrator gave cannot be used. str() is the one line shown."""


class RosterFileError(AdminInputError):
    """The roster file as a whole cannot be read (missing, wrong type, no header)."""


class TextFileError(AdminInputError, ValueError):
    """The file cannot be read as text. str() is one line in Chinese and English."""


class HolidayFileError(AdminInputError, ValueError):
    """A holidays file that cannot be used: `where` names the file and key."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where, self.problem = where, problem


class BackupError(AdminInputError):
    """One line for the administrator (missing tool, non-empty target, tool failure, bad URL)."""

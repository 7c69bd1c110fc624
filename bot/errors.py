"""Channel errors. The whole exception tree, drawn once:

    BotError                      (handlers/errors.py)
    ├── ConfigError               a setting is missing or wrong
    ├── UserFacingError           shown to the user as-is (Chinese)
    └── ChannelError              talking to a platform went wrong
        ├── SignatureError        a callback failed verification (HTTP 403, nothing stored)
        ├── BadRequest            a callback body is malformed or undecryptable (HTTP 400)
        ├── TransientError        network error, 5xx, errcode -1: retry with backoff
        └── ApiError(errcode)     the platform refused a call; permanent unless a subclass says so
            ├── TokenInvalid      40014/42001/41001 (WeCom) or HTTP 401 (DingTalk): refetch once
            └── RateLimited       45009, 130101, DingTalk 429/403 throttling: retry after a pause
    StorageError                  (storage/errors.py) every database error, translated by storage/
    └── StorageUnavailable        the database itself cannot be used (locked, unreachable, corrupt)
"""

from __future__ import annotations

from handlers.errors import BotError


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

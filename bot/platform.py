"""A platform (WeCom, DingTalk, …) as the generic code sees it: the `Platform` protocol.

Each platform is one package under bot/ (bot/wecom/, bot/dingtalk/) that owns everything
about it — its config section, callback routes, crypto, parsing to IncomingMessage, background
connections and its sender — and exposes one object, `PLATFORM`, in its `platform` module.
bot.platform_registry finds the packages; the generic code only iterates over them:

    bot.config              reads `[<name>]` with PLATFORM.read_config (absent: default_config)
    bot.server              PLATFORM.sender(section, http), add_routes(app, inbox, section),
                            background(inbox, http, section) tasks started and cancelled with the app
    bot.outbound.routes     a cadre → user_route of the first platform (by `order`) that can
                            send and knows an account; a group → webhook_route / group_route;
                            a PlatformAddress or the platform's own address type → address_route
    bot.outbound.delivery   effective (expiring routes), spans (size limits), rate (limiter
                            key and limits), then sender.send / send_file
    bot.media.worker        sender.download(source, max_bytes) for pictures and files
    bot.roster_import       roster_columns: the header names of the platform's account column
    bot.web                 /console/<name>: sign_in_url, sign_in_code, sign_in_user (opening
                            the web console inside the platform's app; optional)
    scheduler settings      group_bytes: default and maximum of scheduler.<name>_group_bytes

Route kinds are "<name>_<kind>" ("wecom_user", "dingtalk_session"): the part before the first
"_" names the platform, so a route (and an outbox row of any age) finds its platform again.
`BasePlatform` gives the defaults a small platform keeps (no background task, no size or
rate limit, PlatformAddress kinds mapped to user/group/webhook routes).
"""

from __future__ import annotations

from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from bot.platform_registry import ConfigTable, PlatformConfig
from bot.platform_registry import platforms as _registered
from storage.notice import Address, PlatformAddress

if TYPE_CHECKING:
    from aiohttp import web

    from bot.config import Config
    from bot.inbox import Inbox
    from bot.outbound.http import HttpClient

Limits = tuple[tuple[int, float], ...]  # ((sends, per seconds), …): bot.outbound.ratelimit


@dataclass(frozen=True)
class Route:
    """Where one outbox row goes now: `kind` "<platform>_<kind>" (or "console"), `address`
    the platform's id, URL or chat id; `secret` a webhook's signing secret; `expires_ms`
    when an address stops working (epoch ms) and `fallback` the route to use then."""

    kind: str
    address: str
    name: str = ""
    secret: str | None = None
    expires_ms: int | None = None
    fallback: Route | None = None

    @property
    def channel(self) -> str:
        """The platform this route belongs to ("wecom" of "wecom_user"; "console")."""
        return self.kind.partition("_")[0]


class Sender(Protocol):
    """A platform's outbound API (built once per server, on the shared HTTP client).

    Errors are the channel tree of handlers.errors: TransientError and RateLimited are
    retried by the outbox, ApiError is permanent, TokenInvalid refetches the token once."""

    async def send(self, route: Route, text: str, msg_type: str, now_ms: int) -> None:
        """Send one chunk (already cut to the route's size) of `msg_type` "text" or "markdown";
        `now_ms` (epoch ms) signs what needs a timestamp."""
        ...

    async def send_file(self, route: Route, name: str, content: bytes) -> None:
        """Send a file to one person; ApiError for a route that is not a person."""
        ...

    async def download(self, source: str, max_bytes: int) -> bytes:
        """The bytes of a picture or file a message of this platform named (Media.source);
        bot.media.images.Refused past `max_bytes`."""
        ...


class Platform(PlatformConfig, Protocol):
    """Everything the generic code needs of one platform (the config part is in
    bot.platform_registry.PlatformConfig: name, order, group_bytes, default_config,
    read_config). `section` is the platform's own config object (cfg.platforms[name])."""

    @property
    def roster_columns(self) -> tuple[str, ...]:
        """Header names of the roster file's account column for this platform (the first is
        the one messages name; compared after NFKC, lower case, without spaces)."""
        ...

    @property
    def title(self) -> str:
        """The platform's name as users read it (企业微信)."""
        ...

    def sign_in_url(self, section: Any, state: str, back: str) -> str | None:
        """Where GET /console/<name> sends a browser inside the platform's app to prove who it
        is (OAuth), returning to `back` with a code and `state`; None when the platform has no
        such sign-in or it is not configured (404)."""
        ...

    def sign_in_code(self, query: Mapping[str, str]) -> str:
        """The code in the query the platform returns to `back` with ("" when absent)."""
        ...

    async def sign_in_user(self, sender: Sender, code: str) -> str | None:
        """The account id the platform says `code` belongs to; None for someone outside."""
        ...

    def can_send(self, section: Any) -> bool:
        """True when the platform's API can send to people and app chats (group robot
        webhooks are used whenever configured, without this)."""
        ...

    def add_routes(self, app: web.Application, inbox: Inbox, section: Any) -> None:
        """Add the platform's callback routes to the aiohttp app (verify → parse → inbox)."""
        ...

    def background(self, inbox: Inbox, http: HttpClient, section: Any) -> list[Coroutine[Any, Any, None]]:
        """Long-running receive loops (e.g. DingTalk Stream), run while the server runs and
        cancelled on shutdown; [] when none."""
        ...

    def sender(self, section: Any, http: HttpClient) -> Sender:
        """The platform's sender (it must exist even when the platform cannot send: group
        robot webhooks need no app credentials)."""
        ...

    def user_route(self, account: str, name: str) -> Route | None:
        """A person by platform account id (a cadre's row in platform_accounts)."""
        ...

    def group_route(self, chat_id: str) -> Route | None:
        """A bound group chat through the app's API; None when the platform has none."""
        ...

    def webhook_route(self, url: str, secret: str | None) -> Route | None:
        """A group robot webhook; None when the platform has none."""
        ...

    def address_route(self, to: Address, cfg: Config) -> Route | None:
        """A PlatformAddress(name, …) or an address type of the platform's own (a DingTalk
        sessionWebhook) as a Route; None when it names nothing this platform can reach."""
        ...

    def effective(self, route: Route, now_ms: int) -> Route:
        """The route to use at `now_ms` (an expired address becomes its fallback)."""
        ...

    def file_route(self, route: Route) -> Route:
        """The route a file for `route`'s recipient goes to (files go to one person)."""
        ...

    def spans(self, route: Route, msg_type: str, text: str) -> list[tuple[int, int]]:
        """Where to cut `text` into messages this route takes ([(start, end)] indexes)."""
        ...

    def rate(self, route: Route) -> tuple[str, Limits] | None:
        """(limiter key, limits) for sends to this route, or None when unlimited. Keys are
        stored (rate_sends) and shared between instances: keep them stable."""
        ...


class BasePlatform:
    """Defaults for a Platform: no routes, no background task, no size or rate limit, files
    to the route itself, PlatformAddress(name, "user" | "group" | "webhook", id) mapped to
    user_route, group_route and webhook_route (the webhook's secret from [[groups]])."""

    name: str = ""
    order: int = 50
    group_bytes: int = 2048

    @property
    def roster_columns(self) -> tuple[str, ...]:
        """(「<name>账号」, <name>): the roster's account column for this platform."""
        return (f"{self.name}账号", self.name)

    @property
    def title(self) -> str:
        """The name itself."""
        return self.name

    def sign_in_url(self, section: Any, state: str, back: str) -> str | None:
        """None: no sign-in inside the app (the console's 「后台」 link still works)."""
        return None

    def sign_in_code(self, query: Mapping[str, str]) -> str:
        """The `code` parameter."""
        return query.get("code", "")

    async def sign_in_user(self, sender: Sender, code: str) -> str | None:
        """None: nobody."""
        return None

    def default_config(self) -> Any:
        """None: a platform without settings."""
        return None

    def read_config(self, table: ConfigTable) -> Any:
        """The default section (a platform without settings reads no key)."""
        return self.default_config()

    def can_send(self, section: Any) -> bool:
        """False: only webhooks (override when the platform has an app API)."""
        return False

    def add_routes(self, app: web.Application, inbox: Inbox, section: Any) -> None:
        """No callback routes."""

    def background(self, inbox: Inbox, http: HttpClient, section: Any) -> list[Coroutine[Any, Any, None]]:
        """No background task."""
        return []

    def user_route(self, account: str, name: str) -> Route | None:
        """f"{name}_user" to the account."""
        return Route(f"{self.name}_user", account, name=name)

    def group_route(self, chat_id: str) -> Route | None:
        """None: no app chats."""
        return None

    def webhook_route(self, url: str, secret: str | None) -> Route | None:
        """None: no group robot webhooks."""
        return None

    def address_route(self, to: Address, cfg: Config) -> Route | None:
        """A PlatformAddress of this platform through user_route / group_route / webhook_route."""
        if not isinstance(to, PlatformAddress) or to.channel != self.name:
            return None
        if to.kind == "user":
            return self.user_route(to.id, "")
        if to.kind == "group":
            return self.group_route(to.id)
        if to.kind == "webhook":
            return self.webhook_route(to.id, webhook_secret(cfg, self.name, url=to.id))
        return None

    def effective(self, route: Route, now_ms: int) -> Route:
        """The route itself."""
        return route

    def file_route(self, route: Route) -> Route:
        """The route itself."""
        return route

    def spans(self, route: Route, msg_type: str, text: str) -> list[tuple[int, int]]:
        """The whole text in one message."""
        return [(0, len(text))]

    def rate(self, route: Route) -> tuple[str, Limits] | None:
        """None: unlimited."""
        return None


def platforms() -> dict[str, Platform]:
    """{name: Platform} of every platform package under bot/, in preference order."""
    return dict(_registered())  # type: ignore[arg-type]  # the registry knows only the config part


def webhook_secret(cfg: Config, channel: str, *, chat_id: str | None = None, url: str | None = None) -> str | None:
    """The `webhook_secret` of the [[groups]] entry on `channel` with this chat id or webhook URL."""
    for g in cfg.groups:
        if g.channel == channel and ((chat_id and g.chat_id == chat_id) or (url and g.webhook == url)):
            return g.webhook_secret
    return None

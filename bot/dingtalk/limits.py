"""DingTalk's limits, in one place: message sizes (UTF-8 bytes of the whole request body).

A custom robot is blocked for 10 minutes after 20 messages a minute
(bot.outbound.ratelimit.PER_WEBHOOK, also used for sessionWebhooks and groups).
"""

from __future__ import annotations

WEBHOOK_BODY_BYTES = 20000  # custom robot / sessionWebhook: whole JSON body
OPENAPI_BODY_BYTES = 20000  # conservative cap for msgParam bodies

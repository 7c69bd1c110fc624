"""WeCom's limits, in one place: message sizes (UTF-8 bytes) and send rates.

WeCom drops the 31st message per minute to one person without an error; a group robot
webhook allows 20 per minute (bot.outbound.ratelimit.PER_WEBHOOK).
"""

from __future__ import annotations

TEXT_BYTES = 2048  # message/send text and markdown content to a person; the passive reply too
WEBHOOK_TEXT_BYTES = 2048  # group robot webhook text
WEBHOOK_MARKDOWN_BYTES = 4096  # group robot webhook markdown (errcode 40058 beyond)
PER_PERSON = ((30, 60.0), (1000, 3600.0))  # message/send to one person

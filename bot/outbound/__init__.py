"""Outbound sending: every message leaves through the outbox table and one of these senders."""

"""Fixtures for channel tests: no real network, a temporary database, a fixed clock, a
loopback fake of the WeCom and DingTalk APIs."""

from __future__ import annotations

import ipaddress
import json
import socket
from datetime import datetime
from pathlib import Path

import pytest

from handlers.clock import FixedClock
from storage import migrate
from storage.db import Database
from tests.bot.fakes import FakePlatform

# Official WeCom crypto vectors and a DingTalk signature, kept in the repository (source:
# tests/data/README.md). A missing file fails the tests that use it; nothing is skipped.
VECTORS_FILE = Path(__file__).parents[1] / "data" / "wecom_vectors.json"

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "", None}


def _is_loopback(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_internet(monkeypatch):
    """Any attempt to resolve or connect to a non-loopback host fails the test."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def guard(address) -> None:
        if isinstance(address, tuple) and not _is_loopback(address[0]):
            raise OSError(f"test tried to reach the network: {address[0]}")

    def connect(self, address):
        guard(address)
        return real_connect(self, address)

    def connect_ex(self, address):
        guard(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if not _is_loopback(host):
            raise OSError(f"test tried to resolve {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture(scope="session")
def vectors() -> dict:
    return json.loads(VECTORS_FILE.read_text(encoding="utf-8"))


@pytest.fixture
async def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path}/t.db")
    await migrate.upgrade(database)
    yield database
    await database.dispose()


@pytest.fixture
def clock():
    return FixedClock(datetime(2024, 5, 20, 10, 0, 0))


@pytest.fixture
async def platform(aiohttp_server):
    fake = FakePlatform()
    server = await aiohttp_server(fake.app())
    fake.base = str(server.make_url("")).rstrip("/")
    return fake

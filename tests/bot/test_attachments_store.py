"""The blob store contract, the content checks and the [attachments] settings."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.config import parse_config
from bot.media.images import Refused, sniff
from handlers.errors import ConfigError
from storage.blobs import BlobMissing, DiskBlobStore, digest


def test_disk_store_keeps_each_content_once_under_its_sha256(tmp_path):
    store = DiskBlobStore(tmp_path)
    name = store.put(b"picture bytes")
    assert name == digest(b"picture bytes") and len(name) == 64
    assert store.put(b"picture bytes") == name
    assert store.count() == 1 and store.exists(name)
    assert store.get(name) == b"picture bytes"
    assert (tmp_path / name[:2] / name[2:4] / name).is_file()


def test_disk_store_refuses_unknown_and_malformed_names(tmp_path):
    store = DiskBlobStore(tmp_path)
    with pytest.raises(BlobMissing):
        store.get("0" * 64)
    with pytest.raises(ValueError):
        store.get("../../etc/passwd")


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(("data", "mime"), [(_png(), "image/png"), (b"%PDF-1.7\n...", "application/pdf")])
def test_content_decides_what_a_file_is(data, mime):
    assert sniff(data).mime == mime


@pytest.mark.parametrize("data", [b"PK\x03\x04zipzip", b"GIF89a-truncated", b"", b"<html>%PDF-</html>", _png()[:40]])
def test_anything_else_is_refused(data):
    with pytest.raises(Refused):
        sniff(data)


def test_attachment_settings_reach_the_policy_and_the_worker(tmp_path):
    cfg = parse_config(
        {"attachments": {"window_minutes": 30, "daily_quota": 5, "max_bytes": 1000, "dir": str(tmp_path)}}
    )
    assert (cfg.policy.attach_window_minutes, cfg.policy.attach_daily_quota) == (30, 5)
    assert (cfg.attachments.max_bytes, cfg.attachments_dir) == (1000, tmp_path)
    assert parse_config({}).attachments_dir.as_posix() == "data/attachments"
    with pytest.raises(ConfigError, match=r"attachments\.store"):
        parse_config({"attachments": {"store": "s3"}})

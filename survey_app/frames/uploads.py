"""Files uploaded for a frame import, kept between the upload, the mapping step and the import.

An upload is ``<instance>/frame_uploads/<token>.data`` plus ``<token>.json`` (the settings chosen
with it); the token is random, so a user cannot name another file. Starting the import claims the
file (``<token>.claimed``, named on the queued frame) and drops the settings; the worker deletes the
file once the frame is ready, and deleting the frame deletes it too. The web process never imports.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from flask import Flask, current_app

_TOKEN = re.compile(r"[0-9a-f]{32}")
_CHUNK = 1024 * 1024
#: An upload whose columns were not mapped within a day is deleted (it holds personal data).
STALE_AFTER_SECONDS = 24 * 3600


class UploadMissing(LookupError):
    """The token names no stored upload (expired, already imported, or forged)."""

    code = "upload_missing"
    params: dict[str, Any] = {}


@dataclass(frozen=True)
class UploadSettings:
    """What the user chose on the upload form."""

    name: str
    filename: str
    encoding: str
    region: str | None
    duplicates: str


def upload_dir(app: Flask | None = None) -> Path:
    """Where uploads wait for their mapping step."""
    return Path((app or current_app).instance_path) / "frame_uploads"


def save_upload(stream: IO[bytes], settings: UploadSettings) -> str:
    """Store an uploaded file (copied in chunks) and its settings; returns the token."""
    directory = upload_dir()
    directory.mkdir(parents=True, exist_ok=True)
    discard_stale_uploads()
    token = secrets.token_hex(16)
    with (directory / f"{token}.data").open("wb") as out:
        while chunk := stream.read(_CHUNK):
            out.write(chunk)
    (directory / f"{token}.json").write_text(json.dumps(asdict(settings)), encoding="utf-8")
    return token


def load_upload(token: str) -> tuple[Path, UploadSettings]:
    """The stored file and settings of ``token``; raises UploadMissing."""
    if not _TOKEN.fullmatch(token or ""):
        raise UploadMissing()
    directory = upload_dir()
    path, meta = directory / f"{token}.data", directory / f"{token}.json"
    if not path.exists() or not meta.exists():
        raise UploadMissing()
    return path, UploadSettings(**json.loads(meta.read_text(encoding="utf-8")))


def claim_upload(path: Path) -> Path:
    """Take an upload for one import (a second click on "Import" then finds nothing to import).

    :raises UploadMissing: another request claimed it first.
    """
    claimed = path.with_suffix(".claimed")
    try:
        path.rename(claimed)
    except FileNotFoundError:
        raise UploadMissing() from None
    path.with_suffix(".json").unlink(missing_ok=True)  # the settings are on the frame from now on
    return claimed


def discard_stale_uploads(max_age: float = STALE_AFTER_SECONDS) -> None:
    """Delete uploads whose mapping step was abandoned more than ``max_age`` seconds ago."""
    directory = upload_dir()
    if not directory.is_dir():
        return
    cutoff = time.time() - max_age
    for path in directory.glob("*.data"):
        try:
            if path.stat().st_mtime < cutoff:
                discard_upload(path)
        except FileNotFoundError:  # claimed or discarded meanwhile
            continue


def discard_upload(path: Path) -> None:
    """Delete an upload and its settings."""
    path.unlink(missing_ok=True)
    path.with_suffix(".json").unlink(missing_ok=True)

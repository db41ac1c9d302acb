"""The attachment folder: the bytes of uploaded files, kept outside the database.

A file is stored under a random key (never the uploader's filename, which only lives in
the database), fanned out over subfolders by the key's first two characters so no folder
grows huge. Bytes are first written to a temporary file in the folder and then renamed
into place (same file system, so the rename is atomic): a reader never sees half a file,
and a failed upload leaves at most a `.upload-*` file that `discard` removes.

The type of a file is decided by its first bytes (magic numbers), never by its name or the
content type a browser claims.
"""
from __future__ import annotations

import errno
import hashlib
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

from engine.errors import StorageFull

CHUNK = 64 * 1024
FULL = (errno.ENOSPC, errno.EDQUOT)  # no room: a server condition, said clearly (503), not a bug
HEAD = 16
_KEY = re.compile(r"^[0-9a-f]{32}$")
# (content type, magic bytes at offset 0); WebP is RIFF....WEBP, checked apart.
_MAGIC = (("image/jpeg", b"\xff\xd8\xff"), ("image/png", b"\x89PNG\r\n\x1a\n"), ("application/pdf", b"%PDF-"))
TYPE_NAMES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP", "application/pdf": "PDF"}


def sniff(head: bytes) -> str | None:
    """The content type of a file from its first bytes, if it is one we accept."""
    for content_type, magic in _MAGIC:
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


class TooLarge(Exception):
    """The stream is longer than the limit (nothing of it is kept)."""


@dataclass
class Staged:
    """An upload written to a temporary file in the folder, not yet given its key."""
    path: Path
    size: int
    sha256: str
    head: bytes


class AttachmentStore:
    def __init__(self, root: Path | str):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        if not _KEY.match(key or ""):
            raise ValueError("not an attachment storage key")
        return self.root / key[:2] / key

    def stage(self, stream, max_bytes: int) -> Staged:
        """Copy `stream` (a binary file object, or bytes) into a temporary file, counting
        and hashing as it goes; raise TooLarge as soon as it passes `max_bytes`."""
        if isinstance(stream, (bytes, bytearray)):
            stream = io.BytesIO(stream)
        self.root.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".upload-", dir=self.root)
        path, size, digest, head = Path(name), 0, hashlib.sha256(), b""
        try:
            with os.fdopen(fd, "wb") as out:
                while True:
                    chunk = stream.read(CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge()
                    if len(head) < HEAD:
                        head += chunk[:HEAD - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except OSError as err:
            path.unlink(missing_ok=True)
            if err.errno in FULL:
                raise StorageFull() from err
            raise
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return Staged(path, size, digest.hexdigest(), head)

    def keep(self, staged: Staged) -> str:
        """Rename a staged file into place under a new random key; returns the key."""
        key = uuid4().hex
        target = self.path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged.path, target)
        except OSError as err:
            if err.errno in FULL:
                raise StorageFull() from err
            raise
        return key

    def discard(self, staged: Staged | None) -> None:
        if staged is not None:
            staged.path.unlink(missing_ok=True)

    def remove(self, key: str | None) -> None:
        if key:
            self.path(key).unlink(missing_ok=True)

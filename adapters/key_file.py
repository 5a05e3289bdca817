"""Secrets the embedded default keeps in its data dir: made once (mode 0600), never replaced;
and the base64 text every 32-byte key is given in."""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable
from pathlib import Path


class KeyTextError(ValueError):
    """A key's text is not base64 of 32 bytes; the message names where it came from."""


def key_bytes(encoded: str, source: str) -> bytes:
    """The 32 bytes of a key given as base64 text (a variable, or a key file's content)."""
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyTextError(f"{source} is not base64") from None
    if len(raw) != 32:
        raise KeyTextError(f"{source} must be 32 bytes in base64, not {len(raw)} bytes")
    return raw


def key_file(data_dir: Path, name: str, make: Callable[[], str]) -> Path:
    """The data dir's file `name`, written with `make()` if it is not there yet.

    Made under a temporary name and linked into place, so two processes starting together
    agree on one key."""
    path = data_dir / name
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        draft = data_dir / f".{name}.{os.getpid()}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(make() + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process made it first: theirs is the key
        finally:
            draft.unlink()
    return path

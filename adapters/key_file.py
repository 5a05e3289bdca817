"""Secrets the embedded default keeps in its data dir: made once (mode 0600), never replaced."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


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

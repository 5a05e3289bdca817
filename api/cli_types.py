"""Argument types the CLI's commands share: a bad value is one argparse line, exit 2."""

from __future__ import annotations

import argparse


def positive_number(text: str) -> int:
    """A whole number from 1 up (a limit, a stream version)."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)

"""A per-token rate limit: a token bucket per bearer token, in this process; 429 + Retry-After.

Tokens are told apart by a hash of the bearer string, before it is verified: a forged or
expired token is limited too (and then refused with 401). Requests without a token (/health,
the GraphiQL page) are not limited here.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from litestar.enums import ScopeType
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Receive,
    Scope,
    Send,
)

from api.graphql.context import bearer


class TokenBuckets:
    """`rate` requests a second on average, `burst` at once, per key; least recent forgotten."""

    def __init__(self, rate: float, burst: int, capacity: int = 100_000) -> None:
        self._rate, self._burst, self._capacity = rate, burst, capacity
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None) -> float:
        """Take one request from the key's bucket: 0 if allowed, else seconds until one is."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, then = self._buckets.pop(key, (float(self._burst), now))
            tokens = min(float(self._burst), tokens + (now - then) * self._rate)
            allowed = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
            while len(self._buckets) > self._capacity:
                self._buckets.popitem(last=False)
        return 0.0 if allowed else (1.0 - tokens) / self._rate


def rate_limit(rate: float, burst: int) -> Callable[[ASGIApp], ASGIApp]:
    """Litestar middleware limiting each bearer token (a rate of 0 turns it off)."""
    buckets = TokenBuckets(rate, burst)

    def middleware(app: ASGIApp) -> ASGIApp:
        async def limited(scope: Scope, receive: Receive, send: Send) -> None:
            token = _token(scope) if scope["type"] == ScopeType.HTTP and rate > 0 else None
            wait = 0.0 if token is None else buckets.take(
                hashlib.sha256(token.encode()).hexdigest())
            if wait > 0:
                await _too_many(send, wait)
            else:
                await app(scope, receive, send)

        return limited

    return middleware


def _token(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            return bearer(value.decode("latin-1"))
    return None


async def _too_many(send: Send, wait: float) -> None:
    body = json.dumps({"errors": [{
        "message": "rate limit exceeded for this token; retry later",
        "extensions": {"code": "RATE_LIMITED"}}]}).encode()
    start: HTTPResponseStartEvent = {"type": "http.response.start", "status": 429, "headers": [
        (b"content-type", b"application/json"), (b"retry-after", str(math.ceil(wait)).encode()),
        (b"content-length", str(len(body)).encode())]}
    await send(start)
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(end)

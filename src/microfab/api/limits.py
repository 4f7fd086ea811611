"""A cap on request bodies that answers, like every other error, with problem details.

Starlette's own limiter answers 413 in plain text (and replaces any other answer with it), so the
API enforces its cap here: up front from ``Content-Length``, and while reading a streamed body.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from microfab.api.problems import problem


class BodyLimit:
    """Refuses request bodies over ``max_bytes`` with a 413 problem.

    ``per_path`` raises (or lowers) the cap for paths that start with a given prefix, such as
    model uploads, which are megabytes where every other body is a few hundred bytes.
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, per_path: Mapping[str, int] | None = None
    ) -> None:
        self._app = app
        self._default = max_bytes
        self._per_path = dict(per_path or {})

    def _limit(self, path: str) -> int:
        for prefix, limit in self._per_path.items():
            if path.startswith(prefix):
                return limit
        return self._default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        limit = self._limit(scope["path"])
        declared = Request(scope).headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            detail = f"the request body is {declared} bytes; at most {limit} are accepted"
            await problem(Request(scope), 413, detail)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    detail = f"the request body is over {limit} bytes, the most accepted"
                    raise HTTPException(413, detail)
            return message

        await self._app(scope, counted, send)

"""A cap on request bodies that answers, like every other error, with problem details.

Starlette's own limiter answers 413 in plain text (and replaces any other answer with it), so the
API enforces its cap here: up front from ``Content-Length``, and while reading a streamed body.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from microfab.api.problems import problem


class BodyLimit:
    """Refuses request bodies over ``max_bytes`` with a 413 problem."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self._app = app
        self._max = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        declared = Request(scope).headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max:
            detail = f"the request body is {declared} bytes; at most {self._max} are accepted"
            await problem(Request(scope), 413, detail)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self._max:
                    detail = f"the request body is over {self._max} bytes, the most accepted"
                    raise HTTPException(413, detail)
            return message

        await self._app(scope, counted, send)

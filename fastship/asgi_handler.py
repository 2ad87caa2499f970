"""Django under ASGI with one thread hop per request.

Django's own ASGI handler runs each synchronous middleware hook and the view
in a thread hop of its own (16 ``sync_to_async`` hops per API request here,
and a new thread per request): about a quarter of a request's CPU. This
handler reads the body on the event loop as Django does, then runs the whole
synchronous part (the request signals, every middleware, the view, the ORM,
rendering) in one call on a bounded pool of threads, and sends the answer
from the event loop. The ``/health`` probe stays in front of it, on the
loop, never waiting for a thread.

The pool's size is ``REQUEST_THREADS`` (default: the database pool's
``DATABASE_POOL_MAX_SIZE``), so a request waits for a thread rather than for
a database connection it could not get. That wait is bounded: a request that
finds ``REQUEST_QUEUE_MAX`` others already waiting, or that waited
``REQUEST_QUEUE_TIMEOUT`` for a thread, is answered 503 with ``Retry-After``
at once (no middleware, no database), so an overloaded or stalled worker
sheds load in well under a second instead of queueing for many.
"""

from __future__ import annotations

import asyncio
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse, HttpResponse, HttpResponseBase
from django.urls import set_script_prefix

from fastship.api.error_format import error_body
from fastship.draining import is_draining

Scope = dict[str, Any]

# Readiness and diagnostics run on threads of their own: a readiness check
# must keep its 2 s deadline while every request thread is busy.
READINESS_PATHS = frozenset({"/api/v1/health", "/api/v1/health/"})

BUSY_BODY = error_body(
    "service_unavailable",
    "The service is busy; try again in a second.",
    "server_error",
)


def busy_response() -> HttpResponse:
    """503 with Retry-After, in the API's error format: sent without a thread."""
    response = HttpResponse(BUSY_BODY, status=503, content_type="application/json")
    response["Retry-After"] = "1"
    return response


class OneHopASGIHandler(ASGIHandler):
    """Serve HTTP like Django's ASGI handler, with its middleware run sync."""

    def __init__(
        self,
        *,
        threads: int,
        queue_timeout: float = 0.5,
        queue_max: int | None = None,
    ) -> None:
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self.threads = threads
        self.queue_timeout = queue_timeout
        self.queue_max = 16 * threads if queue_max is None else queue_max
        self.executor = ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix="fastship-request"
        )
        self.readiness_executor = ThreadPoolExecutor(
            max_workers=2, thread_name_prefix="fastship-readiness"
        )
        # Requests handed to the pool and not yet answered (read and written
        # on the event loop only), and how many were shed.
        self.in_flight = 0
        self.shed = 0

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"only HTTP is served here, not {scope['type']}")
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Any, send: Any) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        response: HttpResponseBase
        chunks: list[bytes]
        if scope["path"] in READINESS_PATHS:
            loop = asyncio.get_running_loop()
            response, chunks = await loop.run_in_executor(
                self.readiness_executor, self.serve, scope, body_file
            )
        elif self.in_flight >= self.threads + self.queue_max:
            body_file.close()
            self.shed += 1
            response, chunks = busy_response(), [BUSY_BODY]
        else:
            self.in_flight += 1
            try:
                response, chunks = await self.run_on_thread(scope, body_file)
            finally:
                self.in_flight -= 1
        try:
            await self.send_head(response, send)
            for chunk in chunks[:-1]:
                await send(
                    {"type": "http.response.body", "body": chunk, "more_body": True}
                )
            await send({"type": "http.response.body", "body": chunks[-1]})
        except (OSError, asyncio.CancelledError):
            pass  # the client went away; the work is done and closed

    async def run_on_thread(
        self, scope: Scope, body_file: Any
    ) -> tuple[HttpResponseBase, list[bytes]]:
        """:meth:`serve_in_time` on a pool thread; 503 if none took it in time.

        A request still queued at the deadline (every thread busy: stalled on
        a database, a lock, a slow client) is withdrawn from the queue and
        answered at once; one a thread took meanwhile is waited for. While
        no more requests are in flight than there are threads, one is free:
        the request goes straight to it, without a timer (the deadline is
        still checked when it starts, should a thread be slow to come free).
        """
        deadline = time.monotonic() + self.queue_timeout
        if self.in_flight <= self.threads:
            return await asyncio.get_running_loop().run_in_executor(
                self.executor, self.serve_in_time, scope, body_file, deadline
            )
        future = self.executor.submit(self.serve_in_time, scope, body_file, deadline)
        answer = asyncio.wrap_future(future)
        try:
            return await asyncio.wait_for(asyncio.shield(answer), self.queue_timeout)
        except TimeoutError:
            if future.cancel():
                body_file.close()
                self.shed += 1
                return busy_response(), [BUSY_BODY]
            return await answer

    def serve_in_time(
        self, scope: Scope, body_file: Any, deadline: float
    ) -> tuple[HttpResponseBase, list[bytes]]:
        """:meth:`serve`, unless the request waited for a thread past
        ``deadline``: then 503 at once (its client is better off retrying)."""
        if time.monotonic() > deadline:
            body_file.close()
            self.shed += 1  # a lost increment between threads costs a count only
            return busy_response(), [BUSY_BODY]
        return self.serve(scope, body_file)

    def serve(
        self, scope: Scope, body_file: Any
    ) -> tuple[HttpResponseBase, list[bytes]]:
        """The synchronous part, on a pool thread: answer, body, closed.

        The response is closed here, on the thread that served it, so
        ``request_finished`` hands this thread's database connection back to
        the pool. A streaming answer (a static file) is read to the end first.
        """
        try:
            set_script_prefix(get_script_prefix(scope))
            signals.request_started.send(sender=self.__class__, scope=scope)
            request, error_response = self.create_request(scope, body_file)
            if request is not None and "HTTP_TRANSFER_ENCODING" in request.META:
                # A chunked body has no Content-Length, and DRF reads only a
                # declared length: declare the one received (all of it is here).
                request.META["CONTENT_LENGTH"] = str(body_file.seek(0, os.SEEK_END))
                body_file.seek(0)
            response: HttpResponseBase
            if request is None:
                response = cast(HttpResponseBase, error_response)
            else:
                response = self.get_response(request)
                response._handler_class = self.__class__  # type: ignore[attr-defined]
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
            body: bytes = (
                b"".join(response) if response.streaming else response.content  # type: ignore[attr-defined]
            )
            response.close()
        finally:
            body_file.close()
        return response, [bytes(chunk) for chunk, _ in self.chunk_bytes(body)]

    async def send_head(self, response: HttpResponseBase, send: Any) -> None:
        """The status line and headers, cookies included, as Django sends them."""
        headers = []
        for name, value in response.items():
            raw_name = name.encode("ascii") if isinstance(name, str) else name
            raw_value = value.encode("latin1") if isinstance(value, str) else value
            headers.append((bytes(raw_name), bytes(raw_value)))
        for cookie in response.cookies.values():
            headers.append(
                (b"Set-Cookie", cookie.output(header="").encode("ascii").strip())
            )
        if is_draining():
            # Stopping: this answer is the connection's last (the server
            # closes it after), so the client's next request goes elsewhere.
            headers.append((b"Connection", b"close"))
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": headers,
            }
        )

"""The HTTP service: ``govie serve --host 127.0.0.1 --port 8000 [--model DIR]``.

FastAPI + uvicorn; the model is loaded once at start-up and shared by all requests.

- ``POST /extract`` — JSON ``{"text": "...", "source": "name"}`` or a multipart upload (field
  ``file``: .txt .html .pdf .docx); answers the JSON record of ``inference.output.record``.
- ``GET /`` — a page to upload a report or paste its text; ``POST /view`` (its form) answers
  the evidence view of ``inference.view`` (same limits and errors as ``POST /extract``).
- ``GET /health`` — ``{"status": "ok"}``.
- ``GET /version`` — govie version, model version and path, runtime, labels.
- ``GET /docs`` — OpenAPI documentation.

Errors (the status is chosen by exception class, ``inference.errors.http_status``): 400
bad input (malformed or too deeply nested JSON, empty or unreadable file), 408 a body not
received within ``body_timeout`` seconds (slow clients), 413 request larger than ``max_mb``
(checked while the body streams in, chunked uploads included), 415 unsupported content or
file type, 422 well-formed JSON without a usable ``text`` (not a string, empty, or holding
lone surrogates), 504 extraction slower than ``timeout`` seconds. The extraction runs in a
worker thread under a per-report deadline (``inference.deadline``): a timed-out extraction
stops at its next check (between stages, every window batch), so its thread is free for the
next request. Connections that send no complete request head within ``header_timeout``
seconds are closed (``TimedH11Protocol``).
"""
# no "from __future__ import annotations": FastAPI must see the real Request type
import argparse
import asyncio
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, Optional

from . import __version__

DEFAULT_MAX_MB = float(os.environ.get("GOVIE_MAX_MB", 20))
DEFAULT_TIMEOUT = float(os.environ.get("GOVIE_TIMEOUT", 120))
BODY_TIMEOUT = 30.0  # seconds to receive a request body
HEADER_TIMEOUT = 10.0  # seconds to receive a request head
LIMIT_CONCURRENCY = 64  # open connections + tasks before uvicorn answers 503


def fail(status: int, message: str):
    """Answer the request with ``status`` and ``message`` (raises FastAPI's HTTPException)."""
    from fastapi import HTTPException

    raise HTTPException(status_code=status, detail=message)


def content_type(request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def parse_json(body: bytes) -> dict:
    """The payload of ``POST /extract`` as JSON: an object with a non-empty, valid string
    ``text`` (400 malformed or too deep, 422 unusable)."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        fail(400, f"malformed JSON: {exc}")
    except RecursionError:
        fail(400, "malformed JSON: nested too deeply")
    if not isinstance(payload, dict) or not isinstance(payload.get("text"), str):
        fail(422, 'expected a JSON object with a string field "text"')
    if not payload["text"].strip():
        fail(422, '"text" is empty')
    try:
        payload["text"].encode("utf-8")
    except UnicodeEncodeError as exc:
        fail(422, f'"text" holds a lone surrogate at character {exc.start} (not valid Unicode text)')
    return payload


class Gate:
    """What every request passes: the size limit while the body streams in (chunked
    uploads too), the body timeout (slow clients), and the extraction in a worker thread
    under the per-report deadline, its errors answered by their HTTP status."""

    def __init__(self, ex: Any, limit: int, timeout: float, body_timeout: float, workers: int):
        self.ex, self.limit, self.timeout, self.body_timeout = ex, limit, timeout, body_timeout
        self.pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="govie-extract")

    def check_declared(self, request) -> None:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.limit:
            fail(413, f"request too large ({int(declared)} bytes > limit {self.limit} bytes)")

    def limited(self, receive):
        """``receive`` that counts the body as it streams in: 413 past the limit."""
        seen = 0

        async def wrapped():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                fail(413, f"request too large (> limit {self.limit} bytes)")
            return message

        return wrapped

    async def within(self, coro, what: str):
        """``coro`` within the body timeout, else 408 (a slow or stalled client)."""
        try:
            return await asyncio.wait_for(coro, self.body_timeout)
        except asyncio.TimeoutError:
            fail(408, f"{what} not received within {self.body_timeout:g} s")

    async def body(self, request) -> bytes:
        self.check_declared(request)
        data = bytearray()

        async def read() -> None:
            async for chunk in request.stream():
                data.extend(chunk)
                if len(data) > self.limit:
                    fail(413, f"request too large (> limit {self.limit} bytes)")

        await self.within(read(), "request body")
        return bytes(data)

    async def form(self, request):
        """The multipart or url-encoded form, capped and timed like a body."""
        from fastapi import HTTPException, Request

        self.check_declared(request)
        try:
            return await self.within(Request(request.scope, self.limited(request.receive)).form(
                max_part_size=self.limit + 1), "form body")
        except HTTPException:
            raise
        except Exception as exc:
            fail(400, f"malformed form body: {exc}")

    async def upload(self, field) -> Optional[tuple[bytes, str]]:
        """(bytes, safe file name) of an uploaded file field, None if there is none."""
        from .inputs import safe_name

        if field is None or not hasattr(field, "read") or not field.filename:
            return None
        data = await field.read()
        if len(data) > self.limit:
            fail(413, f"file too large ({len(data)} bytes > limit {self.limit} bytes)")
        return data, safe_name(field.filename)

    def _limited_call(self, fn, *args):
        from .deadline import time_limit

        with time_limit(self.timeout):
            return fn(*args)

    async def run(self, fn, *args):
        from .errors import GovieError, http_status

        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(loop.run_in_executor(self.pool, self._limited_call, fn, *args),
                                          self.timeout)
        except asyncio.TimeoutError:
            fail(504, f"extraction took longer than {self.timeout:g} s")
        except GovieError as exc:
            fail(http_status(exc), str(exc))


def create_app(extractor: Any = None, *, model: Optional[str] = None, runtime: str = "auto",
               max_mb: float = DEFAULT_MAX_MB, timeout: float = DEFAULT_TIMEOUT,
               workers: int = 2, body_timeout: float = BODY_TIMEOUT):
    """The FastAPI app. ``extractor``: an ``inference.Extractor`` already loaded; else one is
    loaded now from ``model`` (default model, rules only if none)."""
    from fastapi import FastAPI

    from .api import Extractor

    ex = extractor if extractor is not None else Extractor.load(model, runtime=runtime)
    gate = Gate(ex, int(max_mb * 1024 * 1024), timeout, body_timeout, workers)

    @asynccontextmanager
    async def lifespan(app):
        yield
        gate.pool.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="govie", version=__version__, lifespan=lifespan,
                  description="Structured, checkable data from Chinese government "
                              "information-disclosure annual reports.")
    app.state.extractor = ex
    add_api_routes(app, gate)
    add_view_routes(app, gate, max_mb)
    return app


def add_api_routes(app, gate: Gate) -> None:
    """``GET /health``, ``GET /version``, ``POST /extract``."""
    from fastapi import Request
    from fastapi.responses import JSONResponse

    from .api import version_info
    from .inputs import safe_name

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok"}

    @app.get("/version")
    async def version() -> dict:
        return version_info(gate.ex)

    @app.post("/extract", responses={400: {}, 408: {}, 413: {}, 415: {}, 422: {}, 504: {}})
    async def extract(request: Request) -> JSONResponse:
        """Extract one report: JSON ``{"text": ..., "source": ...}`` or a multipart upload
        with the report in field ``file``."""
        ctype = content_type(request)
        if ctype == "application/json":
            payload = parse_json(await gate.body(request))
            source = safe_name(str(payload.get("source") or "<text>"))
            return JSONResponse((await gate.run(gate.ex.extract_text, payload["text"], source)).to_dict())
        if ctype != "multipart/form-data":
            fail(415, f"unsupported content type {ctype or '(none)'!r}: send application/json "
                      '{"text": ...} or multipart/form-data with a "file"')
        upload = await gate.upload((await gate.form(request)).get("file"))
        if upload is None:
            fail(422, 'expected an uploaded file in the multipart field "file"')
        return JSONResponse((await gate.run(gate.ex.extract, *upload)).to_dict())


def add_view_routes(app, gate: Gate, max_mb: float) -> None:
    """``GET /``: a page to upload a report or paste its text; ``POST /view``: its evidence
    view (``inference.view``), with the limits and errors of ``POST /extract`` (an HTML
    page with the message and the same status code)."""
    from fastapi import HTTPException, Request
    from fastapi.responses import HTMLResponse

    from .view import render, render_form

    async def report_of_form(request: Request):
        if content_type(request) not in ("multipart/form-data", "application/x-www-form-urlencoded"):
            fail(415, f"unsupported content type {content_type(request) or '(none)'!r}: send the form of GET /")
        form = await gate.form(request)
        upload = await gate.upload(form.get("file"))
        if upload is not None:
            return await gate.run(gate.ex.extract, *upload)
        text = form.get("text")
        if not isinstance(text, str) or not text.strip():
            fail(422, "give a report file or paste the text of a report")
        if len(text.encode("utf-8")) > gate.limit:
            fail(413, f"text too large (> limit {gate.limit} bytes)")
        return await gate.run(gate.ex.extract_text, text, str(form.get("source") or "<text>"))

    @app.get("/", response_class=HTMLResponse)
    async def home() -> HTMLResponse:
        """The upload page: a report file or its text, shown as the evidence view."""
        return HTMLResponse(render_form(max_mb=max_mb))

    @app.post("/view", response_class=HTMLResponse,
              responses={400: {}, 408: {}, 413: {}, 415: {}, 422: {}, 504: {}})
    async def view(request: Request) -> HTMLResponse:
        """The evidence view of the report of the upload form (multipart: ``file``, or
        ``text`` and ``source``)."""
        try:
            report = await report_of_form(request)
        except HTTPException as exc:
            return HTMLResponse(render_form(error=f"{exc.status_code}: {exc.detail}", max_mb=max_mb),
                                status_code=exc.status_code)
        return HTMLResponse(render(report.to_dict(), report.text, back="./",
                                   rules=getattr(gate.ex, "rules", None)))


def timed_h11(header_timeout: float = HEADER_TIMEOUT):
    """uvicorn's h11 protocol, closing a connection that has not sent a complete request
    head within ``header_timeout`` seconds of opening (uvicorn itself times out only idle
    keep-alive connections; a client that opens a socket and trickles bytes would hold it
    forever)."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class TimedH11Protocol(H11Protocol):
        def connection_made(self, transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._head_timer = self.loop.call_later(header_timeout, self._head_expired)

        def _head_expired(self) -> None:
            if self.cycle is None and not self.transport.is_closing():
                self.transport.close()

        def connection_lost(self, exc) -> None:
            self._head_timer.cancel()
            super().connection_lost(exc)

    return TimedH11Protocol


def serve(host: str = "127.0.0.1", port: int = 8000, model: Optional[str] = None,
          runtime: str = "auto", max_mb: float = DEFAULT_MAX_MB,
          timeout: float = DEFAULT_TIMEOUT, no_model: bool = False,
          body_timeout: float = BODY_TIMEOUT, header_timeout: float = HEADER_TIMEOUT,
          limit_concurrency: int = LIMIT_CONCURRENCY) -> None:
    """Load the model once and run the app under uvicorn until stopped."""
    import uvicorn

    from .api import Extractor
    from .rules import default_rules

    rules = default_rules()  # loaded and validated once, before the model
    ex = (Extractor.load(rules_only=True, rules=rules) if no_model
          else Extractor.load(model, runtime=runtime, rules=rules))
    print(f"govie serve: model {ex.model_version or '(rules only)'} runtime "
          f"{ex.runtime or 'rules'} on http://{host}:{port}", file=sys.stderr)
    uvicorn.run(create_app(ex, max_mb=max_mb, timeout=timeout, body_timeout=body_timeout),
                host=host, port=port, log_level="info", http=timed_h11(header_timeout),
                timeout_keep_alive=5, limit_concurrency=limit_concurrency)


def register_serve(sub) -> None:
    p = sub.add_parser("serve", help="run the HTTP extraction service (FastAPI + uvicorn)",
                       description="Serve POST /extract, GET /health, GET /version, /docs.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--model", metavar="DIR", help="model folder (default: models/default)")
    g.add_argument("--no-model", action="store_true", help="rules only")
    p.add_argument("--runtime", choices=["auto", "torch", "onnx"], default="auto")
    p.add_argument("--max-mb", type=float, default=DEFAULT_MAX_MB, help="request size limit (413)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                   help="seconds per extraction before 504 (the extraction stops too)")
    p.add_argument("--body-timeout", type=float, default=BODY_TIMEOUT, metavar="S",
                   help=f"seconds to receive a request body before 408 (default {BODY_TIMEOUT:g})")
    p.add_argument("--header-timeout", type=float, default=HEADER_TIMEOUT, metavar="S",
                   help="seconds to receive a request head before the connection is closed "
                        f"(default {HEADER_TIMEOUT:g})")
    p.add_argument("--limit-concurrency", type=int, default=LIMIT_CONCURRENCY, metavar="N",
                   help="connections and requests at once before 503 "
                        f"(default {LIMIT_CONCURRENCY})")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    serve(args.host, args.port, args.model, args.runtime, args.max_mb, args.timeout,
          args.no_model, args.body_timeout, args.header_timeout, args.limit_concurrency)
    return 0

"""The HTTP service: ``govie serve --host 127.0.0.1 --port 8000 [--model DIR]``.

FastAPI + uvicorn; the model is loaded once at start-up and shared by all requests.

- ``POST /extract`` — JSON ``{"text": "...", "source": "name"}`` or a multipart upload (field
  ``file``: .txt .html .pdf .docx); answers the JSON record of ``inference.output.record``.
- ``GET /`` — a page to upload a report or paste its text; ``POST /view`` (its form) answers
  the evidence view of ``inference.view`` (same limits and errors as ``POST /extract``).
- ``GET /health`` — ``{"status": "ok"}``.
- ``GET /version`` — govie version, model version and path, runtime, labels.
- ``GET /docs`` — OpenAPI documentation.

Errors: 400 bad input (malformed JSON, empty or unreadable file), 413 request larger than
``max_mb``, 415 unsupported content or file type, 422 well-formed JSON without a usable
``text``, 504 extraction slower than ``timeout`` seconds (the extraction runs in a worker
thread; a timed-out thread finishes in the background and its result is dropped).
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


def create_app(extractor: Any = None, *, model: Optional[str] = None, runtime: str = "auto",
               max_mb: float = DEFAULT_MAX_MB, timeout: float = DEFAULT_TIMEOUT,
               workers: int = 2):
    """The FastAPI app. ``extractor``: an ``inference.Extractor`` already loaded; else one is
    loaded now from ``model`` (default model, rules only if none)."""
    from fastapi import FastAPI, HTTPException, Request
    from fastapi.responses import JSONResponse

    from .api import Extractor, version_info
    from .load import LoadError

    ex = extractor if extractor is not None else Extractor.load(model, runtime=runtime)
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="govie-extract")
    limit = int(max_mb * 1024 * 1024)
    @asynccontextmanager
    async def lifespan(app):
        yield
        pool.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="govie", version=__version__, lifespan=lifespan,
                  description="Structured, checkable data from Chinese government "
                              "information-disclosure annual reports.")
    app.state.extractor = ex

    def fail(status: int, message: str):
        raise HTTPException(status_code=status, detail=message)

    async def read_body(request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            fail(413, f"request too large ({int(declared)} bytes > limit {limit} bytes)")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                fail(413, f"request too large (> limit {limit} bytes)")
        return bytes(body)

    async def run(fn, *args):
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(loop.run_in_executor(pool, fn, *args), timeout)
        except asyncio.TimeoutError:
            fail(504, f"extraction took longer than {timeout:g} s")

    def unsupported(msg: str) -> bool:
        return "unsupported file type" in msg or "unknown file type" in msg

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok"}

    @app.get("/version")
    async def version() -> dict:
        return version_info(ex)

    @app.post("/extract", responses={400: {}, 413: {}, 415: {}, 422: {}, 504: {}})
    async def extract(request: Request) -> JSONResponse:
        """Extract one report: JSON ``{"text": ..., "source": ...}`` or a multipart upload
        with the report in field ``file``."""
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype == "application/json":
            body = await read_body(request)
            try:
                payload = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                fail(400, f"malformed JSON: {exc}")
            if not isinstance(payload, dict) or not isinstance(payload.get("text"), str):
                fail(422, 'expected a JSON object with a string field "text"')
            if not payload["text"].strip():
                fail(422, '"text" is empty')
            source = str(payload.get("source") or "<text>")
            report = await run(ex.extract_text, payload["text"], source)
        elif ctype == "multipart/form-data":
            declared = request.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limit:
                fail(413, f"request too large ({int(declared)} bytes > limit {limit} bytes)")
            try:
                form = await request.form(max_part_size=limit + 1)
            except HTTPException:
                raise
            except Exception as exc:
                fail(400, f"malformed multipart body: {exc}")
            upload = form.get("file")
            if upload is None or not hasattr(upload, "read"):
                fail(422, 'expected an uploaded file in the multipart field "file"')
            data = await upload.read()
            if len(data) > limit:
                fail(413, f"file too large ({len(data)} bytes > limit {limit} bytes)")
            name = upload.filename or "upload"
            try:
                report = await run(ex.extract, data, name)
            except LoadError as exc:
                fail(415 if unsupported(str(exc)) else 400, str(exc))
        else:
            fail(415, f"unsupported content type {ctype or '(none)'!r}: send application/json "
                      '{"text": ...} or multipart/form-data with a "file"')
        return JSONResponse(report.to_dict())

    add_view_routes(app, ex, fail, run, unsupported, limit, max_mb)
    return app


def add_view_routes(app, ex, fail, run, unsupported, limit: int, max_mb: float) -> None:
    """``GET /``: a page to upload a report or paste its text; ``POST /view``: its evidence
    view (``inference.view``), with the limits and errors of ``POST /extract`` (an HTML
    page with the message and the same status code)."""
    from fastapi import HTTPException, Request
    from fastapi.responses import HTMLResponse

    from .load import LoadError
    from .view import render, render_form

    async def report_of_form(request: Request):
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype not in ("multipart/form-data", "application/x-www-form-urlencoded"):
            fail(415, f"unsupported content type {ctype or '(none)'!r}: send the form of GET /")
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            fail(413, f"request too large ({int(declared)} bytes > limit {limit} bytes)")
        try:
            form = await request.form(max_part_size=limit + 1)
        except HTTPException:
            raise
        except Exception as exc:
            fail(400, f"malformed form: {exc}")
        upload = form.get("file")
        if upload is not None and hasattr(upload, "read") and upload.filename:
            data = await upload.read()
            if len(data) > limit:
                fail(413, f"file too large ({len(data)} bytes > limit {limit} bytes)")
            try:
                return await run(ex.extract, data, upload.filename)
            except LoadError as exc:
                fail(415 if unsupported(str(exc)) else 400, str(exc))
        text = form.get("text")
        if not isinstance(text, str) or not text.strip():
            fail(422, "give a report file or paste the text of a report")
        if len(text.encode("utf-8")) > limit:
            fail(413, f"text too large (> limit {limit} bytes)")
        return await run(ex.extract_text, text, str(form.get("source") or "<text>"))

    @app.get("/", response_class=HTMLResponse)
    async def home() -> HTMLResponse:
        """The upload page: a report file or its text, shown as the evidence view."""
        return HTMLResponse(render_form(max_mb=max_mb))

    @app.post("/view", response_class=HTMLResponse,
              responses={400: {}, 413: {}, 415: {}, 422: {}, 504: {}})
    async def view(request: Request) -> HTMLResponse:
        """The evidence view of the report of the upload form (multipart: ``file``, or
        ``text`` and ``source``)."""
        try:
            report = await report_of_form(request)
        except HTTPException as exc:
            return HTMLResponse(render_form(error=f"{exc.status_code}: {exc.detail}", max_mb=max_mb),
                                status_code=exc.status_code)
        return HTMLResponse(render(report.to_dict(), report.text, back="./"))


def serve(host: str = "127.0.0.1", port: int = 8000, model: Optional[str] = None,
          runtime: str = "auto", max_mb: float = DEFAULT_MAX_MB,
          timeout: float = DEFAULT_TIMEOUT, no_model: bool = False) -> None:
    """Load the model once and run the app under uvicorn until stopped."""
    import uvicorn

    from .api import Extractor

    ex = Extractor.load(rules_only=True) if no_model else Extractor.load(model, runtime=runtime)
    print(f"govie serve: model {ex.model_version or '(rules only)'} runtime "
          f"{ex.runtime or 'rules'} on http://{host}:{port}", file=sys.stderr)
    uvicorn.run(create_app(ex, max_mb=max_mb, timeout=timeout), host=host, port=port,
                log_level="info")


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
                   help="seconds per extraction before 504")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    serve(args.host, args.port, args.model, args.runtime, args.max_mb, args.timeout,
          args.no_model)
    return 0

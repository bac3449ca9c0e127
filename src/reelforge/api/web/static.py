"""The built web studio at ``/`` (WEBCONTRACT.md): Vite's bundle, served by ``reelforge
serve`` itself, so a Python-only user never needs Node.

It answers only what no API route matched (it is the router's not-found handler), so the
API's own paths, methods and 404s stay as they are:
- files of the bundle; hashed ones under ``/assets/`` are immutable for a year,
  everything else (``index.html`` above all) is revalidated (``no-cache`` + ETag);
- any other GET of a page (accepting text/html, outside the API's prefixes) gets
  ``index.html``: the studio's router draws the page (SPA fallback);
- a precompressed ``.br`` / ``.gz`` beside a file is sent when the browser takes it, else
  text is gzipped on the fly (once per file, kept in memory);
- with no bundle built, pages get a short HTML note saying how to build it.
"""

from __future__ import annotations

import gzip
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import Headers
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

import reelforge

PACKAGED = Path(reelforge.__file__).parent / "web_dist"
# Never answered with the studio's page: the API's own doors keep their JSON 404s.
API_PREFIXES = ("/v1", "/api", "/openai", "/mcp", "/login", "/docs", "/redoc", "/openapi.json")
API_STARTS = ("/health", "/metrics")
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")
_MIN_GZIP = 512
_SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

UNBUILT_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>ReelForge</title></head><body style="font-family:sans-serif;max-width:40em;margin:3em auto">
<h1>ReelForge is running</h1>
<p>The web studio has not been built into this installation
(<code>{folder}</code> has no <code>index.html</code>).</p>
<p>Build it from a checkout with <code>./scripts/serve</code> (it builds the studio when its
sources changed), or by hand: <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>.
A wheel built after that contains it.</p>
<p>The API works meanwhile: <a href="/docs">/docs</a>, <a href="/openapi.json">/openapi.json</a>.</p>
</body></html>"""


def _is_api_path(path: str) -> bool:
    if path.startswith(API_STARTS):
        return True
    return any(path == p or path.startswith(p + "/") for p in API_PREFIXES)


@dataclass(frozen=True)
class _Body:
    data: bytes
    encoding: str | None  # "br", "gzip" or None


class StudioBundle:
    """The router's not-found handler: the bundle's files and pages, else ``fallback``."""

    def __init__(self, folder: Path, fallback: ASGIApp) -> None:
        self.folder = folder.resolve()
        self.fallback = fallback
        self._gzipped: dict[tuple[Path, int, int], bytes] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "/")
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or _is_api_path(path):
            await self.fallback(scope, receive, send)
            return
        headers = Headers(scope=scope)
        response = self.respond(path, headers)
        if response is None:
            await self.fallback(scope, receive, send)
            return
        await response(scope, receive, send)

    def respond(self, path: str, headers: Headers) -> Response | None:
        file = self._file(path)
        if file is not None:
            cache = IMMUTABLE if path.startswith("/assets/") else REVALIDATE
            return self._serve(file, headers, cache)
        if "." in path.rsplit("/", 1)[-1] or path.startswith("/assets/"):
            return None  # a missing file is a 404, never the page
        if "text/html" not in headers.get("accept", "") and path != "/":
            return None
        index = self.folder / "index.html"
        if not index.is_file():
            page = UNBUILT_PAGE.format(folder=self.folder)
            return HTMLResponse(page, headers={"Cache-Control": REVALIDATE, **_SECURITY})
        return self._serve(index, headers, REVALIDATE)

    def _file(self, path: str) -> Path | None:
        relative = path.lstrip("/")
        if not relative:
            return None
        candidate = (self.folder / relative).resolve()
        if not candidate.is_relative_to(self.folder) or not candidate.is_file():
            return None  # ``..`` never leaves the bundle
        if candidate.suffix in (".gz", ".br"):
            return None  # served only as the encoding of their original
        return candidate

    def _serve(self, file: Path, headers: Headers, cache: str) -> Response:
        stat = file.stat()
        media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if media_type.startswith("text/") or media_type == "application/javascript":
            media_type += "; charset=utf-8"
        body = self._body(file, stat.st_size, stat.st_mtime_ns, media_type, headers)
        tag = f'"{stat.st_size:x}-{stat.st_mtime_ns:x}-{body.encoding or "id"}"'
        out = {"Cache-Control": cache, "ETag": tag, "Vary": "Accept-Encoding"}
        if file.name == "index.html":
            out.update(_SECURITY)
        if body.encoding:
            out["Content-Encoding"] = body.encoding
        if tag in [t.strip() for t in headers.get("if-none-match", "").split(",")]:
            return Response(status_code=304, headers=out)
        return Response(body.data, media_type=media_type, headers=out)

    def _body(self, file: Path, size: int, mtime: int, media_type: str, headers: Headers) -> _Body:
        accepted = {
            part.split(";", 1)[0].strip().lower()
            for part in headers.get("accept-encoding", "").split(",")
        }
        for encoding, suffix in (("br", ".br"), ("gzip", ".gz")):
            pre = file.with_name(file.name + suffix)
            if encoding in accepted and pre.is_file():
                return _Body(pre.read_bytes(), encoding)
        data = file.read_bytes()
        if "gzip" in accepted and size >= _MIN_GZIP and media_type.startswith(_COMPRESSIBLE):
            key = (file, size, mtime)
            packed = self._gzipped.get(key)
            if packed is None:
                packed = gzip.compress(data, compresslevel=6, mtime=0)
                if len(self._gzipped) > 256:
                    self._gzipped.clear()
                self._gzipped[key] = packed
            return _Body(packed, "gzip")
        return _Body(data, None)


def bundle_folder(override: Path | None) -> Path:
    return override.expanduser() if override is not None else PACKAGED

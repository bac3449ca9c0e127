"""A small file server for download tests: serves bytes from memory on 127.0.0.1, with
HTTP ranges (and If-Range) that can be switched off, an ETag, and a fault that drops the
connection part-way through a body (once), so resumes can be seen from both sides."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

_RANGE = re.compile(r"^bytes=(\d+)-$")


@dataclass
class RangeFileServer:
    files: dict[str, bytes] = field(default_factory=dict)
    ranges: bool = True
    etag: str = '"v1"'
    cut_after: int | None = None  # drop the connection after this many body bytes, once
    requests: list[dict[str, str]] = field(default_factory=list)
    redirects: dict[str, str] = field(default_factory=dict)  # path -> Location
    wrong_range_start: bool = False  # a 206 that starts one byte early

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.requests.append({"path": scope["path"], **headers})
        if scope["path"] in self.redirects:
            location = self.redirects[scope["path"]].encode()
            await send(
                {"type": "http.response.start", "status": 302, "headers": [(b"location", location)]}
            )
            await send({"type": "http.response.body", "body": b""})
            return
        body = self.files.get(scope["path"])
        if body is None:
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b"missing"})
            return
        start, status = 0, 200
        match = _RANGE.match(headers.get("range", ""))
        if_range = headers.get("if-range")
        if self.ranges and match and (if_range is None or if_range == self.etag):
            start = int(match.group(1))
            if start >= len(body):
                await send(
                    {
                        "type": "http.response.start",
                        "status": 416,
                        "headers": [(b"content-range", f"bytes */{len(body)}".encode())],
                    }
                )
                await send({"type": "http.response.body", "body": b""})
                return
            status = 206
            if self.wrong_range_start:
                start -= 1
        out = body[start:]
        reply = [
            (b"content-length", str(len(out)).encode()),
            (b"content-type", b"application/octet-stream"),
            (b"etag", self.etag.encode()),
        ]
        if self.ranges:
            reply.append((b"accept-ranges", b"bytes"))
        if status == 206:
            reply.append((b"content-range", f"bytes {start}-{len(body) - 1}/{len(body)}".encode()))
        await send({"type": "http.response.start", "status": status, "headers": reply})
        if self.cut_after is not None:
            cut, self.cut_after = self.cut_after, None
            await send({"type": "http.response.body", "body": out[:cut], "more_body": True})
            # The drop resets the connection, and a reset discards what the client has not
            # read yet: give it time to read what was sent, as a real broken download would.
            await asyncio.sleep(0.5)
            raise ConnectionAbortedError("the test server drops the connection")
        step = 256 * 1024
        for i in range(0, len(out), step):
            await send({"type": "http.response.body", "body": out[i : i + step], "more_body": True})
        await send({"type": "http.response.body", "body": b""})

"""Moving media between the artifact store and providers.

Inputs: a provider gets a URL it can read: a local path (``file://``) for the local engine,
a presigned URL when artifacts live in S3, a signed link to our API when a public base URL
is configured, else the bytes inline as a ``data:`` URI (emulators and most providers take
them). Outputs: ``data:`` URIs are decoded, ``file://`` only from the local engine, and
everything else is downloaded through the safe fetcher (provider URLs expire).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any
from urllib.parse import unquote, urlsplit

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind
from reelforge.providers.base import OutputMedia
from reelforge.storage.artifact_tables import ArtifactRow
from reelforge.storage.artifacts import ArtifactStore
from reelforge.storage.blobs import BlobInfo, FileBlobStore
from reelforge.storage.content_credentials.claims import Claim
from reelforge.storage.fetcher import SafeFetcher
from reelforge.storage.sql import Tx

LOCAL_PROVIDER = "local"
DATA_URI_LIMIT = 64 * 1024 * 1024
LINK_SECONDS = 6 * 3600  # how long a presigned or signed input link is valid
# In sandbox mode, emulators that fetch inputs themselves (as Luma does) reach signed links
# on this host through an in-process transport (reelforge.app.build_sandbox).
SANDBOX_FILES_URL = "http://files.sandbox.reelforge.internal"


def public_url_required(provider: str, artifact_id: str | None = None) -> ReelForgeError:
    """This provider fetches its inputs itself, and nothing here can give it a URL."""
    detail: dict[str, Any] = {
        "provider": provider,
        "settings": ["REELFORGE_PUBLIC_BASE_URL", "REELFORGE_ARTIFACT_STORE_URL"],
    }
    if artifact_id is not None:
        detail["artifact_id"] = artifact_id
    return ReelForgeError(
        ErrorCode.PUBLIC_URL_REQUIRED,
        f"{provider} fetches its input media itself from a URL and takes no inline data, "
        "and this server has no URL it can hand out.",
        detail=detail,
    )


def sign_artifact_link(secret: str, artifact_id: str, expires: int) -> str:
    msg = f"{artifact_id}:{expires}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


def verify_artifact_link(secret: str, artifact_id: str, expires: int, signature: str) -> bool:
    if expires < time.time():
        return False
    # As bytes: a str with non-ASCII characters cannot be compared (a 500 the fuzzer found).
    expected = sign_artifact_link(secret, artifact_id, expires).encode()
    return hmac.compare_digest(expected, signature.encode("utf-8", "surrogatepass"))


def callback_token(secret: str, step_id: str) -> str:
    return hmac.new(secret.encode(), f"callback:{step_id}".encode(), hashlib.sha256).hexdigest()


class MediaIO:
    def __init__(
        self,
        artifacts: ArtifactStore,
        fetcher: SafeFetcher,
        *,
        public_base_url: str | None,
        link_secret: str,
    ) -> None:
        self.artifacts = artifacts
        self.fetcher = fetcher
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self.link_secret = link_secret

    def callback_url(self, *, task_provider: str, step_id: str) -> str | None:
        """Where a provider reports completion, or None without a public base URL."""
        if not self.public_base_url:
            return None
        token = callback_token(self.link_secret, step_id)
        return f"{self.public_base_url}/v1/callbacks/{task_provider}/{step_id}?token={token}"

    def can_link(self) -> bool:
        """Whether a provider outside can be handed a URL for an input (S3 or public URL)."""
        return not isinstance(self.artifacts.blobs, FileBlobStore) or bool(self.public_base_url)

    def signed_link(self, base: str, artifact_id: str) -> str:
        expires = int(time.time()) + LINK_SECONDS
        sig = sign_artifact_link(self.link_secret, artifact_id, expires)
        return f"{base}/v1/artifacts/{artifact_id}/content?expires={expires}&sig={sig}"

    async def input_url(
        self, row: ArtifactRow, provider: str, *, url_only: bool = False, sandbox: bool = False
    ) -> str:
        """``url_only``: the provider fetches the input itself (Provider.needs_url); with
        neither S3 nor a public base URL that is PUBLIC_URL_REQUIRED, except in sandbox
        mode, where the emulator fetches a signed link in-process."""
        if provider == LOCAL_PROVIDER:
            return (await self.artifacts.local_path(row)).resolve().as_uri()
        if not isinstance(self.artifacts.blobs, FileBlobStore):
            return await self.artifacts.blobs.url(row.sha256, expires_seconds=LINK_SECONDS)
        if self.public_base_url:
            return self.signed_link(self.public_base_url, row.id)
        if url_only:
            if sandbox:
                return self.signed_link(SANDBOX_FILES_URL, row.id)
            raise public_url_required(provider, row.id)
        if row.size > DATA_URI_LIMIT:
            raise ReelForgeError(
                ErrorCode.PAYLOAD_TOO_LARGE,
                "This input is too large to send inline; configure a public base URL or S3.",
                detail={"artifact_id": row.id, "size": row.size},
            )
        data = await self.artifacts.read_bytes(row)
        return f"data:{row.content_type};base64,{base64.b64encode(data).decode()}"

    async def fetch_output(
        self, output: OutputMedia, *, provider: str, claim: Claim | None = None
    ) -> tuple[BlobInfo, bytes]:
        """Download (or decode) one provider output into the blob store: (blob, first bytes),
        signed with ``claim``'s content credentials when one is given.

        Done before the database transaction that records it, so no lock is held while
        bytes move."""
        url = output.url
        writer = self.artifacts.writer(claim)
        try:
            if url.startswith("data:"):
                header, _, payload = url.partition(",")
                data = (
                    base64.b64decode(payload) if ";base64" in header else unquote(payload).encode()
                )
                writer.write(data)
                head, blob = writer.head, await writer.commit()
            elif url.startswith("file://"):
                if provider != LOCAL_PROVIDER:
                    raise ReelForgeError(
                        ErrorCode.UNSAFE_URL,
                        "Only the local engine may hand back local files.",
                        detail={"provider": provider},
                    )
                path = unquote(urlsplit(url).path)
                with open(path, "rb") as fh:  # noqa: ASYNC230 - a local result file, read in chunks
                    while chunk := fh.read(1024 * 1024):
                        writer.write(chunk)
                head, blob = writer.head, await writer.commit()
            else:
                kinds = [output.media_type] if output.media_type else None
                result = await self.fetcher.fetch_to(url, writer, kinds=kinds)
                head, blob = result.head, result.blob
        except BaseException:
            writer.abort()
            raise
        return blob, head

    async def record_output(
        self,
        tx: Tx,
        output: OutputMedia,
        fetched: tuple[BlobInfo, bytes],
        *,
        owner_id: str,
        provider: str,
        name: str,
        provenance: dict[str, Any],
        sandbox: bool,
    ) -> ArtifactRow:
        """The artifact row for a fetched output, inside the caller's transaction."""
        blob, head = fetched
        row = await self.artifacts.record(
            tx,
            owner_id=owner_id,
            blob=blob,
            head=head,
            name=name,
            provenance=provenance,
            sandbox=sandbox,
            declared_type=output.content_type,
        )
        if output.media_type and row.kind != output.media_type.value:
            if not (output.media_type is MediaKind.IMAGE and row.kind == MediaKind.IMAGE.value):
                raise ReelForgeError(
                    ErrorCode.UNSUPPORTED_MEDIA,
                    f"{provider} said it made {output.media_type.value} but sent {row.kind}.",
                    detail={"provider": provider},
                )
        return row

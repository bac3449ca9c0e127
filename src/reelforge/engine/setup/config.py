"""What the setup hub needs to know about the deployment, handed in by the interfaces
(the engine never reads settings itself)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


@dataclass(frozen=True)
class SetupConfig:
    home: Path  # the data directory
    database_url: str
    artifact_store_url: str
    runner: str = "embedded"
    broker_url: str | None = None
    sandbox: bool = True
    check_timeout: float = 5.0
    comfyui_dir: Path | None = None
    comfyui_port: int = 8188
    comfyui_python: str | None = None
    # Non-secret settings shown in the diagnostics export (URLs are shown without passwords).
    shown_settings: dict[str, object] = field(default_factory=dict)

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def engines_dir(self) -> Path:
        return self.home / "engines"


def shown_url(url: str | None) -> str | None:
    """A URL without its user:password part or query (they may carry secrets)."""
    if not url:
        return url
    parts = urlsplit(url)
    if "://" not in url:
        return url  # a plain path
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    if parts.username is not None:
        host = f"***@{host}"
    return urlunsplit(parts._replace(netloc=host, query=""))

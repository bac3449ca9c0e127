"""Model sources: downloadable model files (checkpoints, LoRAs, upscalers, VAEs ...) with a
license and a sha256, and the rules every entry obeys (seed 001 §4.4, §6.5, §7, §9.2, §9.3).

Pure: the type of a file decides the folder of ComfyUI's ``models/`` it lands in; a file
name is one safe path component with an extension models are shipped in; a URL is
http(s). The catalog (curated entries) and the API (user entries) both check here.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field


class SourceType(StrEnum):
    """What a model file is; the seed's five plus the kinds a ComfyUI install uses."""

    CHECKPOINT = "checkpoint"
    LORA = "lora"
    EMBEDDING = "embedding"
    CONTROLNET = "controlnet"
    UPSCALER = "upscaler"
    VAE = "vae"
    TEXT_ENCODER = "text_encoder"
    DIFFUSION_MODEL = "diffusion_model"
    CLIP_VISION = "clip_vision"
    OTHER = "other"


# The folder under ComfyUI's ``models/`` that its loaders scan for each type
# (ComfyUI folder_paths.py; "other" is ours: nothing in ComfyUI reads it by itself).
FOLDERS: dict[SourceType, str] = {
    SourceType.CHECKPOINT: "checkpoints",
    SourceType.LORA: "loras",
    SourceType.EMBEDDING: "embeddings",
    SourceType.CONTROLNET: "controlnet",
    SourceType.UPSCALER: "upscale_models",
    SourceType.VAE: "vae",
    SourceType.TEXT_ENCODER: "text_encoders",
    SourceType.DIFFUSION_MODEL: "diffusion_models",
    SourceType.CLIP_VISION: "clip_vision",
    SourceType.OTHER: "other",
}

# Formats model weights are shipped in. Pickle formats (.ckpt, .pt, .pth, .bin) are allowed
# because ComfyUI loads them (with weights_only); nothing here ever executes a file.
ALLOWED_EXTENSIONS = (
    ".safetensors",
    ".sft",
    ".ckpt",
    ".pt",
    ".pth",
    ".bin",
    ".gguf",
    ".onnx",
)
# Named so the refusal says why, not just "not allowed" (§9.2, §9.3).
EXECUTABLE_EXTENSIONS = frozenset(
    ".exe .com .msi .bat .cmd .ps1 .psm1 .vbs .js .jar .sh .bash .zsh .fish .csh .py .pyc "
    ".pyw .pyz .whl .pl .rb .php .dll .so .dylib .app .apk .deb .rpm .appimage .scr .lnk "
    ".desktop .run .bin.sh .command".split()
)

CustomLicense = Literal["MIT", "Apache 2.0", "CC0", "Custom", "Unknown"]
CUSTOM_PREFIX = "custom-"
SHA256_PATTERN = r"^[a-fA-F0-9]{64}$"
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
_MAX_FILENAME = 200


def filename_problem(name: str) -> str | None:
    """Why ``name`` cannot be a model file name, or None when it is safe: one path
    component (no traversal, no absolute path, no drive), printable, an allowed extension."""
    if not name or not name.strip():
        return "the file name is empty"
    if len(name) > _MAX_FILENAME:
        return f"the file name is longer than {_MAX_FILENAME} characters"
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        return "the file name contains control characters"
    if "/" in name or "\\" in name:
        return "the file name must not contain a path (no / or \\)"
    if name in (".", "..") or name.startswith("."):
        return "the file name must not start with a dot"
    if ":" in name:
        return "the file name must not contain ':' (drive letters, streams)"
    if name != name.strip() or name.endswith("."):
        return "the file name must not start or end with spaces or end with a dot"
    if _WINDOWS_RESERVED.match(name):
        return "the file name is a reserved device name"
    lower = name.lower()
    suffixes = ["." + part for part in lower.split(".")[1:]]
    if any(s in EXECUTABLE_EXTENSIONS for s in suffixes):
        return "executables and scripts are never downloaded"
    if not lower.endswith(ALLOWED_EXTENSIONS):
        return f"the extension must be one of {', '.join(ALLOWED_EXTENSIONS)}"
    return None


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a download URL, or None (the fetcher checks its address)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        return "the URL cannot be parsed"
    if parts.scheme not in ("http", "https"):
        return "only http:// and https:// URLs are allowed"
    if not parts.hostname:
        return "the URL has no host"
    if any(c.isspace() or unicodedata.category(c) == "Cc" for c in url):
        return "the URL contains spaces or control characters"
    return None


def slug(text: str) -> str:
    """A lower-case id part made of letters, digits and dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60] or "model"


class ModelSource(BaseModel):
    """One downloadable model file, curated (shipped as data) or a user's (``custom-``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=120, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name: str = Field(min_length=1, max_length=200)
    type: SourceType
    url: str = Field(pattern=r"^https?://")
    filename: str
    size_bytes: int | None = Field(default=None, gt=0)
    license: str = Field(min_length=1, max_length=100)
    license_url: str | None = None
    sha256: str | None = Field(default=None, pattern=SHA256_PATTERN)
    recommended: bool = False
    recommended_use: str = ""
    hardware_notes: str = ""
    tags: list[str] = Field(default_factory=list)
    notes: str | None = Field(default=None, max_length=1000)
    source: str = ""  # where the file is published (Hugging Face, GitHub releases ...)
    checksum_source: str = ""  # where the sha256 was read (curated entries)
    curated: bool = True
    # A user's acknowledgments, recorded when the entry was added (§7.2).
    acknowledged_unknown_license: bool = False
    acknowledged_missing_checksum: bool = False

    @property
    def folder(self) -> str:
        return FOLDERS[self.type]

    @property
    def example(self) -> bool:
        """No checksum can be stated: shown as an example, never recommended (§7.1)."""
        return self.sha256 is None

    def problems(self) -> list[str]:
        """Rules beyond the field types; empty when the entry can be used."""
        found = []
        if (p := filename_problem(self.filename)) is not None:
            found.append(f"filename {self.filename!r}: {p}")
        if (p := url_problem(self.url)) is not None:
            found.append(f"url: {p}")
        if self.curated:
            if self.id.startswith(CUSTOM_PREFIX):
                found.append(f"curated ids must not start with {CUSTOM_PREFIX!r}")
            if self.license.strip().lower() == "unknown":
                found.append("a curated entry must state its license")
            if self.sha256 is None:
                if not self.name.startswith("Example"):
                    found.append("an entry without sha256 must be labelled 'Example' in its name")
                if self.recommended:
                    found.append("an entry without sha256 (an Example) is never recommended")
        elif not self.id.startswith(CUSTOM_PREFIX):
            found.append(f"user entries' ids start with {CUSTOM_PREFIX!r}")
        return found

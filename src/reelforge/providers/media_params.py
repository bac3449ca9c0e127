"""Which request parameters carry media, and where a node's input media goes.

Provider schemas (Atlas Cloud's OpenAPI ``Input``, fal's, Replicate's) name their media
fields by convention: ``image``, ``image_url``, ``images``, ``start_image``, ``video_url``…
These rules live here, below the catalog, so both the catalog (to flag media params in a
model's settings) and the adapters (to put a piped-in image into the right field) share one
definition. Pure functions over plain JSON-schema dicts: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from reelforge.domain.modes import MediaKind

# The primary-parameter preference order (Atlas modes design, §4c). The first present wins;
# among the present ones a required parameter is preferred over an optional one.
PRIMARY_IMAGE_PARAMS: tuple[str, ...] = (
    "images",
    "image",
    "image_url",
    "start_image",
    "first_frame",
    "input_image",
    "subject_image",
)
PRIMARY_VIDEO_PARAMS: tuple[str, ...] = ("video", "video_url", "input_video")
PRIMARY_AUDIO_PARAMS: tuple[str, ...] = ("audio", "audio_url", "input_audio")

# Names that hold media beyond the primary ones (end frames, references, masks, audio).
# A name must end in a media noun: ``image_size`` or ``num_images`` are not media.
_PREFIX = r"(?:(?:input|start|end|first|last|subject|reference|ref|mask|style|face|source|target|init|control|tail|head|driving|character|person|background)_)?"
_IMAGE_RE = re.compile(rf"^{_PREFIX}(?:image|images|image_url|image_urls|img|frame|frame_image)$")
_VIDEO_RE = re.compile(rf"^{_PREFIX}(?:video|videos|video_url|video_urls)$")
_AUDIO_RE = re.compile(rf"^{_PREFIX}(?:audio|audios|audio_url|audio_urls|voice_url)$")


def media_kind_of(name: str, spec: Mapping[str, Any] | None = None) -> MediaKind | None:
    """The media kind a parameter carries, or None.

    An explicit ``x-media-kind`` in the parameter's schema wins (curated entries may set it);
    otherwise the name decides, and only for string or string-array parameters without an
    enum (an enum of strings is a choice, not a URL).
    """
    spec = spec or {}
    explicit = spec.get("x-media-kind")
    if explicit:
        return MediaKind(explicit)
    kind_type = spec.get("type")
    if kind_type not in (None, "string", "array") or "enum" in spec:
        return None
    if kind_type == "array":
        items = spec.get("items") or {}
        if items.get("type") not in (None, "string"):
            return None
    key = name.lower()
    if key in PRIMARY_IMAGE_PARAMS or _IMAGE_RE.match(key):
        return MediaKind.IMAGE
    if key in PRIMARY_VIDEO_PARAMS or _VIDEO_RE.match(key):
        return MediaKind.VIDEO
    if key in PRIMARY_AUDIO_PARAMS or _AUDIO_RE.match(key):
        return MediaKind.AUDIO
    return None


def _properties(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    props = schema.get("properties")
    return props if isinstance(props, Mapping) else {}


def _required(schema: Mapping[str, Any]) -> set[str]:
    req = schema.get("required")
    return {str(r) for r in req} if isinstance(req, list) else set()


def primary_media_param(schema: Mapping[str, Any], kind: MediaKind) -> str | None:
    """The parameter a node's primary input of ``kind`` goes into, or None.

    Image: first present of PRIMARY_IMAGE_PARAMS; video: of PRIMARY_VIDEO_PARAMS (audio,
    for lip-sync style models: PRIMARY_AUDIO_PARAMS). A required one is preferred over an
    optional one that comes earlier in the list.
    """
    if kind is MediaKind.IMAGE:
        order = PRIMARY_IMAGE_PARAMS
    elif kind is MediaKind.VIDEO:
        order = PRIMARY_VIDEO_PARAMS
    elif kind is MediaKind.AUDIO:
        order = PRIMARY_AUDIO_PARAMS
    else:
        return None
    props = _properties(schema)
    present = [name for name in order if name in props]
    if not present:
        return None
    required = _required(schema)
    for name in present:
        if name in required:
            return name
    return present[0]


def is_array_param(schema: Mapping[str, Any], name: str) -> bool:
    spec = _properties(schema).get(name) or {}
    return isinstance(spec, Mapping) and spec.get("type") == "array"


def inject_media(
    schema: Mapping[str, Any],
    params: Mapping[str, Any],
    *,
    images: Sequence[str] = (),
    videos: Sequence[str] = (),
    audios: Sequence[str] = (),
) -> dict[str, Any]:
    """Return ``params`` with input media URLs put into the primary media parameters.

    An array parameter receives the whole list; a string parameter receives the first URL.
    A value the caller already set explicitly is kept (explicit beats piped).
    """
    out = dict(params)
    for kind, urls in (
        (MediaKind.IMAGE, images),
        (MediaKind.VIDEO, videos),
        (MediaKind.AUDIO, audios),
    ):
        if not urls:
            continue
        name = primary_media_param(schema, kind)
        if name is None or out.get(name) not in (None, "", []):
            continue
        out[name] = list(urls) if is_array_param(schema, name) else urls[0]
    return out

"""Body validation per Runway endpoint, discriminated on ``model`` as Runway's (zod)
schemas are; failures answer 400 "Validation of body failed" with zod-style issues."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

GEN4_RATIOS = ("1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672")
VEO_RATIOS = ("1280:720", "720:1280", "1080:1920", "1920:1080")
ALEPH_ASPECTS = ("16:9", "4:3", "3:2", "1:1", "2:3", "3:4", "9:16", "21:9")
I2V_MODELS = ("gen4_turbo", "gen4.5", "veo3.1", "veo3.1_fast")
T2V_MODELS = ("gen4.5", "veo3.1", "veo3.1_fast")
# gen4_aleph is the pre-mid-2026 schema, aleph2 the current one: both are accepted.
V2V_MODELS = ("gen4_aleph", "aleph2")
# Credits per output second (reference §3 prices, [L]); veo with audio costs more.
CREDITS_PER_SECOND = {"gen4_turbo": 5, "gen4.5": 12, "gen4_aleph": 15, "aleph2": 15,
                      "veo3.1": 20, "veo3.1_fast": 10}  # fmt: skip
AUDIO_CREDITS_PER_SECOND = {"veo3.1": 40, "veo3.1_fast": 15}
MAX_SEED = 4_294_967_295


class ValidationFailed(Exception):
    def __init__(self, issues: list[dict[str, Any]]) -> None:
        super().__init__(issues[0]["message"])
        self.issues = issues


@dataclass
class Checked:
    model: str
    prompt: str
    params: dict[str, Any] = field(default_factory=dict)
    media: dict[str, str] = field(default_factory=dict)  # slot → URI to fetch


def issue(path: str, message: str, code: str = "invalid_value") -> ValidationFailed:
    return ValidationFailed([{"code": code, "path": [path], "message": message}])


def _required(body: dict[str, Any], name: str) -> Any:
    if body.get(name) is None:
        raise issue(name, "Required", "invalid_type")
    return body[name]


def _enum(body: dict[str, Any], name: str, allowed: tuple[Any, ...], *, required: bool,
          default: Any = None) -> Any:  # fmt: skip
    if body.get(name) is None:
        if required:
            raise issue(name, "Required", "invalid_type")
        return default
    if body[name] not in allowed:
        options = " | ".join(repr(a) for a in allowed)
        raise issue(name, f"Invalid enum value. Expected {options}, received {body[name]!r}")
    return body[name]


def _int(body: dict[str, Any], name: str, low: int, high: int, *, required: bool,
         default: int | None = None) -> int | None:  # fmt: skip
    value = body.get(name)
    if value is None:
        if required:
            raise issue(name, "Required", "invalid_type")
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise issue(name, f"Expected integer, received {type(value).__name__}", "invalid_type")
    if not low <= value <= high:
        raise issue(name, f"Number must be between {low} and {high}", "too_big")
    return value


def _prompt(body: dict[str, Any], *, required: bool) -> str:
    text = body.get("promptText")
    if text is None:
        if required:
            raise issue("promptText", "Required", "invalid_type")
        return ""
    if not isinstance(text, str) or not text.strip():
        raise issue("promptText", "String must contain at least 1 character(s)", "too_small")
    if len(text.encode("utf-16-le")) // 2 > 1000:
        raise issue("promptText", "String must contain at most 1000 character(s)", "too_big")
    return text


def _uri(value: Any, path: str) -> str:
    # HTTPS URL, runway:// upload URI or data: URI. Plain http is accepted too so tests
    # and sandbox mode can serve inputs from 127.0.0.1.
    if not isinstance(value, str) or not value.startswith(
        ("https://", "http://", "data:", "runway://")
    ):
        raise issue(path, "Invalid input: expected an HTTPS URL, a runway:// URI or a data URI")
    return value


def _common(body: dict[str, Any], checked: Checked, model: str) -> None:
    checked.params["seed"] = _int(body, "seed", 0, MAX_SEED, required=False)
    moderation = body.get("contentModeration")
    if moderation is not None and (
        not isinstance(moderation, dict)
        or moderation.get("publicFigureThreshold", "auto") not in ("auto", "low")
    ):
        raise issue("contentModeration", "Invalid contentModeration.publicFigureThreshold")
    audio = body.get("audio")
    if audio is not None and (not isinstance(audio, bool) or not model.startswith("veo")):
        raise issue("audio", "audio is a boolean and only for veo3.1 models")
    checked.params["audio"] = bool(audio)


def _model(body: dict[str, Any], allowed: tuple[str, ...]) -> str:
    model = _required(body, "model")
    if model not in allowed:
        options = " | ".join(repr(a) for a in allowed)
        raise issue(
            "model",
            f"Invalid discriminator value. Expected {options}",
            "invalid_union_discriminator",
        )
    return str(model)


def image_to_video(body: dict[str, Any]) -> Checked:
    model = _model(body, I2V_MODELS)
    veo = model.startswith("veo")
    checked = Checked(model, _prompt(body, required=model == "gen4.5"))
    image = _required(body, "promptImage")
    if isinstance(image, list):
        positions = ("first", "last") if veo else ("first",)
        for item in image:
            if not isinstance(item, dict) or item.get("position") not in positions:
                raise issue("promptImage", f"Each image needs a position in {positions}")
            checked.media[f"image_{item['position']}"] = _uri(item.get("uri"), "promptImage")
        if "image_first" not in checked.media and "image_last" not in checked.media:
            raise issue("promptImage", "Array must contain at least 1 element(s)", "too_small")
    else:
        checked.media["image_first"] = _uri(image, "promptImage")
    checked.params["ratio"] = _enum(
        body, "ratio", VEO_RATIOS if veo else GEN4_RATIOS, required=True
    )
    if veo:
        checked.params["duration"] = _enum(body, "duration", (4, 6, 8), required=False, default=8)
    else:
        checked.params["duration"] = _int(body, "duration", 2, 10, required=model == "gen4.5",
                                          default=5)  # fmt: skip
    _common(body, checked, model)
    return checked


def text_to_video(body: dict[str, Any]) -> Checked:
    model = _model(body, T2V_MODELS)
    checked = Checked(model, _prompt(body, required=True))
    if model == "gen4.5":
        checked.params["ratio"] = _enum(body, "ratio", ("1280:720", "720:1280"), required=True)
        checked.params["duration"] = _int(body, "duration", 2, 10, required=True)
    else:
        checked.params["ratio"] = _enum(body, "ratio", VEO_RATIOS, required=True)
        checked.params["duration"] = _enum(body, "duration", (4, 6, 8), required=False, default=8)
    _common(body, checked, model)
    return checked


def video_to_video(body: dict[str, Any]) -> Checked:
    model = _model(body, V2V_MODELS)
    checked = Checked(model, _prompt(body, required=model == "gen4_aleph"))
    checked.media["video"] = _uri(_required(body, "videoUri"), "videoUri")
    references = body.get("references")
    if references is not None:
        if not isinstance(references, list) or len(references) > 1:
            raise issue("references", "Array must contain at most 1 element(s)", "too_big")
        for ref in references:
            if not isinstance(ref, dict) or ref.get("type") != "image":
                raise issue("references", "Each reference must be {type: 'image', uri}")
            checked.media["reference"] = _uri(ref.get("uri"), "references")
    checked.params["ratio"] = body.get("ratio")  # deprecated for gen4_aleph: ignored
    checked.params["target_aspect_ratio"] = _enum(
        body, "targetAspectRatio", ALEPH_ASPECTS, required=False
    )
    _common(body, checked, model)
    return checked


def credits(model: str, seconds: float, audio: bool) -> int:
    rate = AUDIO_CREDITS_PER_SECOND.get(model) if audio else None
    return round((rate or CREDITS_PER_SECOND.get(model, 10)) * seconds)

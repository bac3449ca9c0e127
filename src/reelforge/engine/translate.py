"""Parameter translation: a node's settings carried over to another model.

Models name the same idea differently (``aspect_ratio: "16:9"``, Runway's ``ratio:
"1280:720"``, fal's ``image_size: "landscape_16_9"``, or plain ``width``/``height``), and
each offers its own durations. ``translate`` reads what the settings mean (an ``Intent``)
and writes it in the target model's words, choosing the nearest value it supports and
saying what changed. A model without native negative prompts gets it folded into the
prompt (``fold_negative``). Pure functions over catalog entries: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reelforge.catalog.schema import ParamSpec, check_value, entry_params
from reelforge.domain.catalog import ModelEntry

ASPECT_KEYS = ("aspect_ratio", "ratio", "target_aspect_ratio")
COUNT_KEYS = ("n", "num_images", "num_outputs", "numberResults")
FRAME_KEYS = ("num_frames", "frames")
FPS_KEYS = ("frames_per_second", "fps")
# fal's named image sizes and the aspect ratio (width / height) each one means.
NAMED_SIZES = {
    "square_hd": 1.0,
    "square": 1.0,
    "portrait_4_3": 3 / 4,
    "portrait_16_9": 9 / 16,
    "landscape_4_3": 4 / 3,
    "landscape_16_9": 16 / 9,
}
# Read as meaning, never carried over by name (the target gets them in its own words).
GENERIC_KEYS = frozenset(
    {*ASPECT_KEYS, "image_size", "width", "height", "duration", "audio", "sound"}
    | set(COUNT_KEYS)
    | set(FRAME_KEYS)
    | set(FPS_KEYS)
)
FOLD_PREFIX = "Avoid: "


@dataclass
class Intent:
    """What a node's settings mean, whatever the model calls them."""

    aspect: float | None = None  # width / height
    aspect_label: str | None = None
    duration: float | None = None  # seconds
    count: int | None = None
    audio: bool | None = None


@dataclass
class Translation:
    params: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def parse_ratio(value: Any) -> float | None:
    """``"16:9"`` or ``"1280:720"`` → width / height; anything else (``"auto"``) → None."""
    if not isinstance(value, str) or ":" not in value:
        return None
    left, _, right = value.partition(":")
    try:
        w, h = float(left), float(right)
    except ValueError:
        return None
    return w / h if w > 0 and h > 0 else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().rstrip("s"))
        except ValueError:
            return None
    return None


def intent_of(params: Mapping[str, Any]) -> Intent:
    intent = Intent()
    for key in ASPECT_KEYS:
        ratio = parse_ratio(params.get(key))
        if ratio is not None:
            intent.aspect, intent.aspect_label = ratio, str(params[key])
            break
    if intent.aspect is None and params.get("image_size") in NAMED_SIZES:
        intent.aspect = NAMED_SIZES[params["image_size"]]
        intent.aspect_label = str(params["image_size"])
    width, height = _number(params.get("width")), _number(params.get("height"))
    if intent.aspect is None and width and height:
        intent.aspect, intent.aspect_label = width / height, f"{width:g}x{height:g}"
    intent.duration = _number(params.get("duration"))
    if intent.duration is None:
        frames = next((_number(params.get(k)) for k in FRAME_KEYS if k in params), None)
        fps = next((_number(params.get(k)) for k in FPS_KEYS if k in params), None)
        if frames and fps:
            intent.duration = frames / fps
    count = next((_number(params.get(k)) for k in COUNT_KEYS if k in params), None)
    intent.count = int(count) if count else None
    if isinstance(params.get("audio"), bool):
        intent.audio = params["audio"]
    elif params.get("sound") in ("on", "off"):
        intent.audio = params["sound"] == "on"
    return intent


def _distance(a: float, b: float) -> float:
    return abs(math.log(a) - math.log(b))


def _fits(spec: ParamSpec, value: Any) -> tuple[bool, Any]:
    coerced, problem = check_value(spec, value)
    return problem is None, coerced


class _Writer:
    def __init__(self, target: ModelEntry) -> None:
        self.target = target
        self.specs = {spec.name: spec for spec in entry_params(target)}
        self.out: dict[str, Any] = {}
        self.notes: list[str] = []

    def aspect(self, intent: Intent) -> None:
        if intent.aspect is None:
            return
        wanted, label = intent.aspect, intent.aspect_label
        for key in ASPECT_KEYS:
            spec = self.specs.get(key)
            if spec is None:
                continue
            choices = [v for v in (spec.enum or self.target.limits.aspect_ratios) if parse_ratio(v)]
            if not choices:
                if label and parse_ratio(label) and _fits(spec, label)[0]:
                    self.out[key] = label
                return
            best = min(choices, key=lambda v: _distance(parse_ratio(v) or 1.0, wanted))
            self.out[key] = best
            if abs((parse_ratio(best) or wanted) - wanted) > 0.02:
                self.notes.append(f"aspect ratio {label} → {best} (nearest {self.target.id} has)")
            return
        size = self.specs.get("image_size")
        if size is not None and size.enum:
            named = [v for v in size.enum if v in NAMED_SIZES]
            if named:
                self.out["image_size"] = min(named, key=lambda v: _distance(NAMED_SIZES[v], wanted))
                return
        if "width" in self.specs and "height" in self.specs:
            self._dimensions(wanted)
            return
        self.notes.append(f"aspect ratio {label}: {self.target.id} has no setting for it")

    def _dimensions(self, ratio: float) -> None:
        wspec, hspec = self.specs["width"], self.specs["height"]
        area = float(wspec.default or 1024) * float(hspec.default or 1024)
        width = math.sqrt(area * ratio)
        for name, value in (("width", width), ("height", width / ratio)):
            spec = self.specs[name]
            snapped = max(64, round(value / 64.0) * 64)  # most diffusion models want /64
            if spec.minimum is not None:
                snapped = max(snapped, int(spec.minimum))
            if spec.maximum is not None:
                snapped = min(snapped, int(spec.maximum))
            self.out[name] = snapped

    def duration(self, intent: Intent) -> None:
        wanted = intent.duration
        if wanted is None:
            return
        fixed = _number(self.target.fixed_params.get("duration"))
        if fixed is not None:
            if abs(fixed - wanted) > 1e-6:
                self.notes.append(
                    f"duration {wanted:g} s → {fixed:g} s (fixed for {self.target.id})"
                )
            return
        spec = self.specs.get("duration")
        if spec is None:
            self._frames(wanted)
            return
        allowed = [n for n in (_number(v) for v in (spec.enum or [])) if n is not None]
        allowed = allowed or [float(d) for d in self.target.limits.durations]
        if allowed:
            # Nearest supported; on a tie the longer one (the user gets at least what they asked).
            chosen = min(allowed, key=lambda d: (abs(d - wanted), -d))
        else:
            chosen = wanted
            if spec.minimum is not None:
                chosen = max(chosen, spec.minimum)
            if spec.maximum is not None:
                chosen = min(chosen, spec.maximum)
            if spec.type == "integer":
                chosen = float(round(chosen))
        value: Any = chosen
        if spec.type == "integer" or (spec.type == "number" and chosen.is_integer()):
            value = int(chosen)
        if spec.type == "string":
            value = str(int(chosen)) if chosen.is_integer() else str(chosen)
        ok, value = _fits(spec, value)
        if not ok:
            self.notes.append(f"duration {wanted:g} s: not accepted by {self.target.id}")
            return
        self.out["duration"] = value
        if abs(chosen - wanted) > 1e-6:
            self.notes.append(
                f"duration {wanted:g} s → {chosen:g} s (what {self.target.id} supports)"
            )

    def _frames(self, seconds: float) -> None:
        frames = next((self.specs[k] for k in FRAME_KEYS if k in self.specs), None)
        fps = next((self.specs[k] for k in FPS_KEYS if k in self.specs), None)
        if frames is None:
            self.notes.append(f"duration {seconds:g} s: {self.target.id} has no duration setting")
            return
        rate = float(self.out.get(fps.name) or fps.default or 16) if fps else 16.0
        count = round(seconds * rate)
        if frames.minimum is not None:
            count = max(count, int(frames.minimum))
        if frames.maximum is not None:
            count = min(count, int(frames.maximum))
        self.out[frames.name] = count
        if abs(count / rate - seconds) > 0.5:
            self.notes.append(f"duration {seconds:g} s → {count / rate:.1f} s ({count} frames)")

    def count(self, intent: Intent) -> None:
        if not intent.count:
            return
        spec = next((self.specs[k] for k in COUNT_KEYS if k in self.specs), None)
        if spec is None:
            if intent.count > 1:
                self.notes.append(f"{intent.count} outputs → 1 ({self.target.id} makes one)")
            return
        value = intent.count
        if spec.maximum is not None and value > spec.maximum:
            self.notes.append(f"{value} outputs → {int(spec.maximum)} (its maximum)")
            value = int(spec.maximum)
        self.out[spec.name] = value

    def audio(self, intent: Intent) -> None:
        if intent.audio is None:
            return
        if "audio" in self.specs and self.specs["audio"].type == "boolean":
            self.out["audio"] = intent.audio
        elif "sound" in self.specs:
            self.out["sound"] = "on" if intent.audio else "off"
        elif intent.audio and not self.target.features.audio:
            self.notes.append(f"audio asked for; {self.target.id} makes silent video")

    def carry(self, params: Mapping[str, Any]) -> None:
        """Other settings go over by name when the target has them and accepts the value."""
        for key, value in params.items():
            if key in GENERIC_KEYS or key in self.out or key in self.target.fixed_params:
                continue
            spec = self.specs.get(key)
            if spec is not None and not spec.is_media:
                ok, coerced = _fits(spec, value)
                if ok:
                    self.out[key] = coerced
                    continue
            self.notes.append(f"{key}={value!r} dropped ({self.target.id} does not take it)")


def translate(target: ModelEntry, params: Mapping[str, Any]) -> Translation:
    """``params`` (any model's, or the generic vocabulary of capability nodes) for ``target``."""
    intent = intent_of(params)
    writer = _Writer(target)
    writer.aspect(intent)
    writer.duration(intent)
    writer.count(intent)
    writer.audio(intent)
    writer.carry(params)
    return Translation(writer.out, writer.notes)


def fold_negative(
    entry: ModelEntry, prompt: str, negative_prompt: str | None
) -> tuple[str, str | None, str | None]:
    """(prompt, negative prompt, note): a negative prompt the model cannot take natively is
    folded into the prompt as an "Avoid: ..." sentence, within the model's prompt limit."""
    if not negative_prompt or entry.features.negative_prompt:
        return prompt, negative_prompt, None
    tail = f"{FOLD_PREFIX}{negative_prompt.strip()}"
    folded = f"{prompt.rstrip()}\n\n{tail}" if prompt.strip() else tail
    limit = entry.limits.max_prompt_chars
    if limit is not None and len(folded) > limit:
        folded = folded[:limit].rstrip()
    return folded, None, f"negative prompt folded into the prompt ({entry.id} has none)"

"""One rule for a node's text on every model: its ``prompt``, ``negative_prompt`` and ``seed``.

- They fill the model's own parameters for them, whatever its schema calls them (a live
  Atlas schema names ``prompt``, a text-to-speech one ``text``): those parameters are
  flagged ``fills`` in the model's settings and are never required of ``params``.
- ``params.prompt`` (``params.negative_prompt``, ``params.seed``, or the schema's own name)
  is accepted as the node's field when the node leaves that field empty, on curated and
  live models alike; given in both places with different values it is refused.
- A prompt is required for text-to-image, text-to-video and text-to-speech, and wherever
  the model's schema requires its prompt parameter.
- A prompt (and a negative prompt) is at most the server's cap
  (``REELFORGE_MAX_PROMPT_CHARS``) and the model's own ``limits.max_prompt_chars``.

Pure functions over catalog entries: the planner reports what they find as validation
problems naming the node and field, before any provider is called.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from reelforge.domain.catalog import ModelEntry
from reelforge.domain.modes import Mode

TextField = Literal["prompt", "negative_prompt", "seed"]
TEXT_FIELDS: tuple[TextField, ...] = ("prompt", "negative_prompt", "seed")
DEFAULT_MAX_PROMPT_CHARS = 20_000

# Schema parameter names that take each field, in preference order.
_NAMES: dict[TextField, tuple[str, ...]] = {
    "prompt": ("prompt", "prompt_text", "positive_prompt", "text"),
    "negative_prompt": ("negative_prompt", "negative_text"),
    "seed": ("seed",),
}
_TYPES: dict[TextField, tuple[Any, ...]] = {
    "prompt": ("string", None),
    "negative_prompt": ("string", None),
    "seed": ("integer", "number", None),
}
_PROMPT_MODES = frozenset({Mode.T2I, Mode.T2V, Mode.TTS})


def text_params(schema: Mapping[str, Any]) -> dict[TextField, str]:
    """Which schema parameter each of the node's text fields fills (absent: none does)."""
    props = schema.get("properties")
    if not isinstance(props, Mapping):
        return {}
    found: dict[TextField, str] = {}
    for text_field, names in _NAMES.items():
        for name in names:
            spec = props.get(name)
            if isinstance(spec, Mapping) and "enum" not in spec:
                kind = spec.get("type")
                kind = (
                    next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
                )
                if kind in _TYPES[text_field]:
                    found[text_field] = name
                    break
    return found


@dataclass(frozen=True)
class TextRules:
    """An entry's text rules, worked out once per entry (a planner asks per node)."""

    params: dict[TextField, str]  # text field → the schema parameter it fills
    aliases: tuple[tuple[TextField, str], ...]  # every params key taken as a text field
    schema_requires_prompt: bool
    model_limit: int | None


# Entries are immutable once loaded; keyed by identity like catalog.schema's spec cache.
_RULES: dict[int, tuple[ModelEntry, TextRules]] = {}
_RULES_MAX = 4096


def text_rules(entry: ModelEntry) -> TextRules:
    cached = _RULES.get(id(entry))
    if cached is not None and cached[0] is entry:
        return cached[1]
    named = text_params(entry.params_schema)
    aliases = tuple(
        (text_field, key)
        for text_field in TEXT_FIELDS
        for key in dict.fromkeys((text_field, named.get(text_field, text_field)))
    )
    prompt_name = named.get("prompt")
    rules = TextRules(
        params=named,
        aliases=aliases,
        schema_requires_prompt=prompt_name is not None
        and prompt_name in (entry.params_schema.get("required") or []),
        model_limit=_model_limit(entry, prompt_name),
    )
    if len(_RULES) >= _RULES_MAX:
        _RULES.clear()
    _RULES[id(entry)] = (entry, rules)
    return rules


def prompt_required(entry: ModelEntry, mode: Mode) -> bool:
    return mode in _PROMPT_MODES or text_rules(entry).schema_requires_prompt


def _model_limit(entry: ModelEntry, prompt_name: str | None) -> int | None:
    if entry.limits.max_prompt_chars is not None:
        return entry.limits.max_prompt_chars
    spec = (entry.params_schema.get("properties") or {}).get(prompt_name) if prompt_name else None
    high = spec.get("maxLength") if isinstance(spec, Mapping) else None
    return high if isinstance(high, int) and not isinstance(high, bool) and high > 0 else None


def model_prompt_limit(entry: ModelEntry) -> int | None:
    """The model's own limit: ``limits.max_prompt_chars``, or its prompt parameter's
    ``maxLength`` when its schema has one."""
    return text_rules(entry).model_limit


def prompt_limit(entry: ModelEntry, cap: int | None) -> int | None:
    """The most characters a prompt may have for ``entry``: its own limit within the cap."""
    own = text_rules(entry).model_limit
    if own is None or cap is None:
        return own if cap is None else cap
    return min(own, cap)


@dataclass
class NodeText:
    prompt: str
    negative_prompt: str | None
    seed: int | None
    params: dict[str, Any]  # without the text fields
    problems: list[tuple[str, str]]  # (field, message)


def _same(a: Any, b: Any) -> bool:
    return a == b or (isinstance(a, int | str) and isinstance(b, int | str) and str(a) == str(b))


def node_text(
    entry: ModelEntry,
    prompt: str,
    negative_prompt: str | None,
    seed: int | None,
    params: Mapping[str, Any],
) -> NodeText:
    """The node's text fields with the ones given in ``params`` taken in (see module doc)."""
    values: dict[TextField, Any] = {
        "prompt": prompt or None,
        "negative_prompt": negative_prompt or None,
        "seed": seed,
    }
    problems: list[tuple[str, str]] = []
    given_keys = [(f, k) for f, k in text_rules(entry).aliases if k in params]
    if not given_keys:  # the common case: nothing to take in
        return NodeText(prompt or "", negative_prompt, seed, dict(params), problems)
    rest = dict(params)
    for text_field, key in given_keys:
        given = rest.pop(key)
        if given is None or given == "":
            continue
        where = f"params.{key}"
        if text_field == "seed":
            ok = not isinstance(given, bool) and (
                isinstance(given, int)
                or (isinstance(given, str) and given.strip().lstrip("-").isdigit())
            )
            if not ok:
                problems.append((where, f"{where} must be a whole number, got {given!r}"))
                continue
            given = int(given)
        elif not isinstance(given, str):
            problems.append((where, f"{where} must be text, got {type(given).__name__}"))
            continue
        current = values[text_field]
        if current is None:
            values[text_field] = given
        elif not _same(current, given):
            problems.append(
                (
                    where,
                    f"the node's {text_field} and {where} differ; give it once "
                    f"(as the node's {text_field})",
                )
            )
    return NodeText(
        prompt=values["prompt"] or "",
        negative_prompt=values["negative_prompt"],
        seed=values["seed"],
        params=rest,
        problems=problems,
    )


def check_text(entry: ModelEntry, mode: Mode, text: NodeText, cap: int | None) -> None:
    """Add the prompt's problems (missing, too long) to ``text.problems``."""
    if not text.prompt.strip() and prompt_required(entry, mode):
        text.problems.append(
            ("prompt", f"{entry.id} ({mode.label}) needs a prompt; the node has none")
        )
    limit = prompt_limit(entry, cap)
    if limit is None or max(len(text.prompt), len(text.negative_prompt or "")) <= limit:
        return
    for name, value in (("prompt", text.prompt), ("negative_prompt", text.negative_prompt)):
        if value and len(value) > limit:
            whose = (
                f"{entry.id} takes at most {limit}"
                if limit == model_prompt_limit(entry)
                else f"this server takes at most {limit} (REELFORGE_MAX_PROMPT_CHARS)"
            )
            text.problems.append(
                (name, f"the {name.replace('_', ' ')} has {len(value)} characters; {whose}")
            )

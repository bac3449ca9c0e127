"""The emulated ComfyUI server's state: prompts, their event timeline, history and files.

A prompt is an EmuTask (queued, then running, then done as time passes). Its WebSocket
events are a pure function of time: execution_start, execution_cached, then per node
executing (+ progress for samplers, + executed for output nodes), then execution_success
and ``executing`` with ``node: null`` (ComfyUI's main loop sends that last). A failed task
ends in execution_error, an interrupted one in execution_interrupted. Not emulated: one
prompt at a time (prompts here run side by side), binary preview frames.
"""

from __future__ import annotations

import io
import posixpath
import time
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from reelforge.emulators.base import EmulatorState, EmuTask
from reelforge.emulators.base.durable import CURRENT
from reelforge.emulators.base.render import render_image, render_video
from reelforge.emulators.comfyui.faces import restore_image, restore_video
from reelforge.emulators.comfyui.graph_facts import batch_size, graph_facts
from reelforge.emulators.comfyui.nodes import DEFAULT_MODELS, SAMPLER_NODES, object_info
from reelforge.emulators.comfyui.validate import upstream

Event = tuple[float, str, dict[str, Any]]  # (seconds after submit, type, data)


@dataclass
class Prompt:
    id: str
    number: int
    client_id: str | None
    graph: dict[str, Any]
    outputs: list[str]
    task: EmuTask
    wall_created: float
    ui: dict[str, dict[str, Any]] = field(default_factory=dict)  # node → executed output
    timeline: list[Event] = field(default_factory=list)
    deleted: bool = False  # removed from the queue before it ran
    extra_names: list[str] | None = None  # recorded output names, while being rebuilt
    forgotten: bool = False  # removed from history

    def queue_item(self) -> list[Any]:
        return [self.number, self.id, self.graph, {"client_id": self.client_id}, self.outputs]


class ComfyServer:
    """``extensions``: the custom node packs installed (None: every pack the emulator
    knows); tests may change ``self.extensions`` as they change ``removed_nodes``."""

    def __init__(self, state: EmulatorState, extensions: frozenset[str] | None = None) -> None:
        self.state = state
        self.installed = extensions
        self.extensions = extensions
        self.models: dict[str, list[str]] = {k: list(v) for k, v in DEFAULT_MODELS.items()}
        self.removed_nodes: set[str] = set()
        self.prompts: dict[str, Prompt] = {}
        self.inputs: dict[tuple[str, str], bytes] = {}  # (subfolder, name) → uploaded bytes
        self.files: dict[
            tuple[str, str, str], tuple[str, str]
        ] = {}  # (type, sub, name) → (prompt, token)
        self.counters: dict[str, int] = {}
        self.number = 0

    def reset(self) -> None:
        self.models = {k: list(v) for k, v in DEFAULT_MODELS.items()}
        self.extensions = self.installed
        self.removed_nodes.clear()
        self.prompts.clear()
        self.inputs.clear()
        self.files.clear()
        self.counters.clear()

    def object_info(self) -> dict[str, dict[str, Any]]:
        names = [f"{sub}/{name}" if sub else name for sub, name in self.inputs]
        info = object_info(self.models, names, self.extensions)
        return {k: v for k, v in info.items() if k not in self.removed_nodes}

    # -- durable state (sandbox mode: a restart, or another process's prompt) -------------
    def prompt(self, prompt_id: str) -> Prompt | None:
        """A prompt by id; one on record but not held here is rebuilt first (NeedsRestore)."""
        found = self.prompts.get(prompt_id)
        if found is None and prompt_id:
            self.state.tasks.get(prompt_id)
            found = self.prompts.get(prompt_id)
        return found

    def ensure_inputs(self, graph: Any) -> None:
        """Uploads the graph loads, rebuilt from the record if this process lacks them."""
        if self.state.durable is None or not isinstance(graph, dict):
            return
        for node in graph.values():
            loader = node.get("class_type") if isinstance(node, dict) else None
            if loader in ("LoadImage", "LoadVideo"):
                name = (node.get("inputs") or {}).get("image" if loader == "LoadImage" else "file")
                if isinstance(name, str) and _split(name) not in self.inputs:
                    self.state.tasks.get(upload_id(name))

    def ensure_file(self, folder: str, subfolder: str, filename: str) -> None:
        durable = self.state.durable
        if durable is None or (folder, subfolder, filename) in self.files:
            return
        found = durable.file(self.state.name, _view_token(folder, subfolder, filename))
        if found is not None:
            self.state.tasks.get(found[0])

    def _filename(self, prompt: Prompt, key: str, base: str, ext: str, where: str) -> str:
        """ComfyUI numbers outputs per prefix; with durable state the number is shared by
        every process and a rebuilt prompt keeps the names it was given."""
        durable, ctx = self.state.durable, CURRENT.get()
        if durable is None or ctx is None:
            self.counters[key] = self.counters.get(key, 0) + 1
            return f"{base}_{self.counters[key]:05}_.{ext}"
        if ctx.replay is not None:
            made = prompt.extra_names
            if made is None:
                made = prompt.extra_names = durable.files_of(self.state.name, prompt.id, "view/")
            if made:
                return made.pop(0).rsplit("/", 1)[-1]
        number = durable.next_number(self.state.name, key, self.counters.get(key, 0) + 1)
        self.counters[key] = number
        filename = f"{base}_{number:05}_.{ext}"
        if ctx.replay is None:
            request_id = ctx.request_id or durable.save_request(ctx)
            durable.add_file(self.state.name, where + filename, prompt.id, request_id)
        return filename

    # -- prompts ------------------------------------------------------------------------
    def add(
        self, prompt_id: str, graph: dict[str, Any], outputs: list[str], client_id: str | None
    ) -> Prompt:
        self.number += 1
        task, _ = self.state.tasks.create(
            "prompt", model="workflow", prompt=_positive_text(graph), task_id=prompt_id
        )
        prompt = Prompt(prompt_id, self.number, client_id, graph, outputs, task, time.time())
        for node_id in outputs:
            prompt.ui[node_id] = self._save_outputs(prompt, node_id)
        prompt.timeline = self._timeline(prompt)
        self.prompts[prompt_id] = prompt
        return prompt

    def status(self, prompt: Prompt, now: float | None = None) -> str:
        if prompt.deleted:
            return "deleted"
        return prompt.task.state(now)[0]

    def queue(self) -> tuple[list[Prompt], list[Prompt]]:
        running, pending = [], []
        for prompt in self.prompts.values():
            status = self.status(prompt)
            if status == "running":
                running.append(prompt)
            elif status == "queued":
                pending.append(prompt)
        return running, pending

    def queue_remaining(self) -> int:
        running, pending = self.queue()
        return len(running) + len(pending)

    def delete_pending(self, ids: list[str] | None) -> None:
        for prompt in self.queue()[1]:
            if ids is None or prompt.id in ids:
                prompt.deleted = True
                self.state.tasks.cancel(prompt.task)

    def interrupt(self, prompt_id: str | None) -> None:
        for prompt in self.queue()[0]:
            if prompt_id is None or prompt.id == prompt_id:
                self.state.tasks.cancel(prompt.task)

    # -- events -------------------------------------------------------------------------
    def _timeline(self, prompt: Prompt) -> list[Event]:
        task = prompt.task
        order: list[str] = []
        for output in prompt.outputs:
            order += [n for n in upstream(prompt.graph, output) if n not in order]
        weights = [6.0 if prompt.graph[n]["class_type"] in SAMPLER_NODES else 1.0 for n in order]
        start = task.queue_seconds
        unit = task.run_seconds / max(1.0, sum(weights))
        pid = prompt.id
        events: list[Event] = [
            (start, "execution_start", {"prompt_id": pid}),
            (start, "execution_cached", {"nodes": [], "prompt_id": pid}),
        ]
        at = start
        for node_id, weight in zip(order, weights, strict=True):
            span = weight * unit
            events.append(
                (at, "executing", {"node": node_id, "display_node": node_id, "prompt_id": pid})
            )
            if prompt.graph[node_id]["class_type"] in SAMPLER_NODES:
                steps = int(prompt.graph[node_id]["inputs"].get("steps", 20))
                marks = min(steps, 10)
                for i in range(1, marks + 1):
                    value = round(i * steps / marks)
                    events.append(
                        (
                            at + span * i / (marks + 1),
                            "progress",
                            {"value": value, "max": steps, "prompt_id": pid, "node": node_id},
                        )
                    )
            at += span
            if node_id in prompt.ui:
                events.append(
                    (
                        at,
                        "executed",
                        {
                            "node": node_id,
                            "display_node": node_id,
                            "output": prompt.ui[node_id],
                            "prompt_id": pid,
                        },
                    )
                )
        return events

    def events(self, prompt: Prompt, now: float | None = None) -> list[tuple[str, dict[str, Any]]]:
        """The events that have happened by ``now`` (monotonic), in order."""
        if prompt.deleted:
            return []
        now = time.monotonic() if now is None else now
        task = prompt.task
        elapsed = now - task.created
        end = task.queue_seconds + task.run_seconds
        cut = elapsed
        tail: list[Event] = []
        if task.canceled_at is not None:
            cut = min(cut, task.canceled_at - task.created)
            tail = [(cut, "execution_interrupted", self._stopped(prompt, cut))]
        elif task.stuck or task.failure is not None:
            sampler = next((e[0] for e in prompt.timeline if e[1] == "progress"), end)
            cut = min(cut, sampler + 1e-6)
            if task.failure is not None and elapsed >= end:
                tail = [(end, "execution_error", self._error(prompt, cut))]
        elif elapsed >= end:
            tail = [(end, "execution_success", {"prompt_id": prompt.id})]
        happened = [e for e in prompt.timeline if e[0] <= cut] + [
            e for e in tail if e[0] <= elapsed
        ]
        if tail and tail[0][0] <= elapsed:
            happened.append((tail[0][0], "executing", {"node": None, "prompt_id": prompt.id}))
        stamped = []
        for offset, kind, data in happened:
            if kind.startswith("execution_"):
                data = {**data, "timestamp": int((prompt.wall_created + offset) * 1000)}
            stamped.append((kind, data))
        return stamped

    def current_node(self, prompt: Prompt) -> str | None:
        nodes = [d["node"] for k, d in self.events(prompt) if k == "executing"]
        return nodes[-1] if nodes else None

    def _executed_before(self, prompt: Prompt, cut: float) -> list[str]:
        return [e[2]["node"] for e in prompt.timeline if e[1] == "executing" and e[0] <= cut][:-1]

    def _stopped(self, prompt: Prompt, cut: float) -> dict[str, Any]:
        node = self._executed_before(prompt, cut + 1e-9)
        running = [e[2]["node"] for e in prompt.timeline if e[1] == "executing" and e[0] <= cut]
        current = running[-1] if running else None
        return {
            "prompt_id": prompt.id,
            "node_id": current,
            "node_type": prompt.graph[current]["class_type"] if current else None,
            "executed": node,
        }

    def _error(self, prompt: Prompt, cut: float) -> dict[str, Any]:
        data = self._stopped(prompt, cut)
        kind, message = prompt.task.failure or ("fail", "Internal error")
        return {
            **data,
            "exception_message": message,
            "exception_type": "RuntimeError" if kind == "fail" else "ContentRejected",
            "traceback": [f"RuntimeError: {message}\n"],
            "current_inputs": {},
            "current_outputs": {},
        }

    # -- history ------------------------------------------------------------------------
    def history_entry(self, prompt: Prompt) -> dict[str, Any] | None:
        """The /history entry once the prompt is done (ComfyUI adds it only then)."""
        status = self.status(prompt)
        if prompt.forgotten or status in ("queued", "running", "deleted"):
            return None
        events = self.events(prompt, prompt.task.created + 1e9)
        messages = [[k, d] for k, d in events if k.startswith("execution_")]
        ok = status == "succeeded"
        return {
            "prompt": prompt.queue_item(),
            "outputs": dict(prompt.ui) if ok else {},
            "status": {
                "status_str": "success" if ok else "error",
                "completed": ok,
                "messages": messages,
            },
            "meta": {
                n: {"node_id": n, "display_node": n, "parent_node": None, "real_node_id": n}
                for n in (prompt.ui if ok else {})
            },
        }

    # -- files --------------------------------------------------------------------------
    def _save_outputs(self, prompt: Prompt, node_id: str) -> dict[str, Any]:
        node = prompt.graph[node_id]
        video = node["class_type"] == "SaveVideo"
        folder = "temp" if node["class_type"] == "PreviewImage" else "output"
        prefix = str(
            node["inputs"].get("filename_prefix")
            or ("ComfyUI_temp" if folder == "temp" else "ComfyUI")
        )
        subfolder, base = posixpath.split(prefix)
        count = 1 if video else batch_size(prompt.graph)
        items = []
        for index in range(count):
            key = f"{folder}:{prefix}"
            ext = "mp4" if video else "png"
            filename = self._filename(prompt, key, base, ext, _view_token(folder, subfolder, ""))
            token = self.state.files.add(ext, self._renderer(prompt.graph, index, video))
            self.files[(folder, subfolder, filename)] = (prompt.id, token)
            items.append({"filename": filename, "subfolder": subfolder, "type": folder})
        return {"images": items, "animated": [True]} if video else {"images": items}

    def _renderer(self, graph: dict[str, Any], index: int, video: bool) -> Any:
        facts = graph_facts(graph)
        source = self.inputs.get(_split(facts["image"])) if facts["image"] else None
        clip = self.inputs.get(_split(facts["video"])) if facts["video"] else None
        seed = facts["seed"] + index if facts["seed"] is not None else None

        def render() -> bytes:
            if video and clip is not None:  # a frame-by-frame pass over an input video
                return restore_video(clip, source if facts["swap"] else None)
            if facts["restore"] and source is not None and facts["seed"] is None:
                return restore_image(source)
            if video:
                return render_video(
                    facts["text"],
                    seed,
                    duration=facts["frames"] / facts["fps"],
                    width=facts["width"],
                    height=facts["height"],
                )
            if facts["upscale"] and source is not None:
                return _upscaled(source)
            return render_image(
                facts["text"], seed, width=facts["width"], height=facts["height"], source=source
            )

        return render

    def view(self, folder: str, subfolder: str, filename: str) -> bytes | None:
        if folder == "input":
            return self.inputs.get((subfolder, filename))
        found = self.files.get((folder, subfolder, filename))
        if found is None or self.status(self.prompts[found[0]]) != "succeeded":
            return None
        stored = self.state.files.lookup(found[1])
        return self.state.files.content(stored) if stored is not None else None


def upload_id(name: str) -> str:
    """The recorded task an upload is kept as (its name as a graph's LoadImage gives it)."""
    return f"upload:{name}"


def _view_token(folder: str, subfolder: str, filename: str) -> str:
    return f"view/{folder}/{subfolder}/{filename}"


def _split(name: str) -> tuple[str, str]:
    sub, _, base = name.rpartition("/")
    return sub, base


def _positive_text(graph: dict[str, Any]) -> str:
    return graph_facts(graph)["text"]


def _upscaled(source: bytes) -> bytes:
    img = Image.open(io.BytesIO(source)).convert("RGB")
    scale = max(1, min(4, 2048 // max(img.size)))
    out = io.BytesIO()
    img.resize((img.width * scale, img.height * scale), Image.Resampling.LANCZOS).save(out, "PNG")
    return out.getvalue()

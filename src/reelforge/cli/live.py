"""Following a run: a live table in a terminal, plain lines when piped, silence for --json.

The view follows the run's Server-Sent Events (resumable with Last-Event-ID); a step's
progress comes from its ``step.progress`` events, every other event re-reads the run.
Ctrl-C asks whether to cancel the run or detach from it (piped: it detaches) and says
which it did and how to re-attach.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from typing import Any, NoReturn

import typer

from reelforge.cli.client import Api, Event
from reelforge.cli.output import (
    console,
    emit_json,
    err_console,
    new_table,
    price_text,
    quote_text,
)

TERMINAL = {"succeeded", "failed", "canceled"}


def _when(text: Any) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def clock(seconds: float) -> str:
    """``4.2s``, ``1m15s``, ``2h05m``."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    return f"{minutes // 60}h{minutes % 60:02d}m"


class RunState:
    """The run as last read, plus progress news newer than that read."""

    def __init__(self, run: dict[str, Any]) -> None:
        self.run = run
        self.progress: dict[str, float] = {}  # node id → 0..1
        created = _when(run.get("created_at"))
        offset = (datetime.now(UTC) - created).total_seconds() if created else 0.0
        self.started = time.monotonic() - max(0.0, offset)

    def elapsed(self) -> float:
        created, finished = _when(self.run.get("created_at")), _when(self.run.get("finished_at"))
        if created and finished:
            return max(0.0, (finished - created).total_seconds())
        return time.monotonic() - self.started

    def apply(self, api: Api, event: Event) -> None:
        if event.type == "step.progress":
            node, value = event.data.get("node"), event.data.get("progress")
            if isinstance(node, str) and isinstance(value, int | float):
                self.progress[node] = float(value)
            return
        # A step that moved on (or starts again) reports its progress afresh.
        self.progress.pop(str(event.data.get("node")), None)
        self.run = api.request("GET", f"/v1/runs/{self.run['id']}")

    def step_progress(self, step: dict[str, Any]) -> float | None:
        if step["status"] == "succeeded":
            return 1.0
        news = self.progress.get(step["node_id"])
        stored = step.get("progress")
        values = [v for v in (news, stored) if isinstance(v, int | float)]
        return max(values) if values else None

    def render(self) -> Any:
        from rich.progress_bar import ProgressBar
        from rich.table import Table

        run = self.run
        sandbox = " · sandbox" if run.get("sandbox") else ""
        table = new_table(f"run {run['id']} · {run['status']} · {clock(self.elapsed())}{sandbox}")
        table.add_column("step", overflow="fold", max_width=16)
        table.add_column("model", overflow="fold", max_width=24)
        table.add_column("status", no_wrap=True)
        table.add_column("progress", no_wrap=True, width=16)
        table.add_column("cost", no_wrap=True, justify="right")
        for step in run["steps"]:
            value = self.step_progress(step)
            active = step["status"] not in TERMINAL | {"skipped"}
            bar = ProgressBar(
                total=1.0, completed=value or 0.0, width=10, pulse=value is None and active
            )
            cell = Table.grid(padding=(0, 1))
            cell.add_row(bar, f"{value * 100:3.0f}%" if value is not None else "")
            cost = step.get("cost_micros")
            table.add_row(
                step["node_id"],
                step.get("served_by") or step["model"],
                step["status"],
                cell,
                price_text(cost) if cost is not None else "",
            )
        table.caption = f"quote {quote_text(run)}"
        table.caption_justify = "left"
        return table


class LinePrinter:
    """Piped output: one finished line per change, nothing redrawn."""

    def __init__(self, state: RunState) -> None:
        self.state = state
        self.seen: dict[str, tuple[str, int]] = {}  # node → (status, progress decile)
        self.run_status = ""
        self.changed()

    def _run_line(self) -> None:
        run = self.state.run
        if run["status"] != self.run_status:
            self.run_status = run["status"]
            self.say(f"run {run['id']} {run['status']}")

    def _step_line(self, step: dict[str, Any]) -> None:
        value = self.state.step_progress(step)
        decile = int((value or 0.0) * 10)
        now = (step["status"], decile)
        before = self.seen.get(step["node_id"])
        if before == now:
            return
        self.seen[step["node_id"]] = now
        if before and before[0] == now[0]:
            self.say(f"{step['node_id']} {step['status']} {decile * 10}%")
        else:
            pct = f" {value * 100:.0f}%" if value is not None else ""
            model = step.get("served_by") or step["model"]
            self.say(f"{step['node_id']} {step['status']}{pct} ({model})")

    def say(self, text: str) -> None:
        console.print(f"{clock(self.state.elapsed()):>7}  {text}", highlight=False, soft_wrap=True)

    def changed(self, event: Event | None = None) -> None:
        run = self.state.run
        ended = run["status"] in TERMINAL
        if not ended:
            self._run_line()
        for step in run["steps"]:
            self._step_line(step)
        if ended:  # the run's end after its steps' news
            self._run_line()
        if event is not None and event.type in ("step.retry", "step.fallback", "step.poll_error"):
            reason = event.data.get("error") or event.data.get("reason") or ""
            if isinstance(reason, dict):
                reason = reason.get("message") or reason.get("code") or ""
            self.say(
                f"{event.data.get('node', '')} {event.type.removeprefix('step.')} {reason}".rstrip()
            )


def _follow(api: Api, state: RunState, quiet: bool) -> dict[str, Any]:
    events = api.events(state.run["id"])
    if quiet:
        for _event in events:
            pass
    elif console.is_terminal:
        from rich.live import Live

        with Live(get_renderable=state.render, console=console, refresh_per_second=4):
            for event in events:
                state.apply(api, event)
    else:
        printer = LinePrinter(state)
        for event in events:
            state.apply(api, event)
            printer.changed(event)
    return api.request("GET", f"/v1/runs/{state.run['id']}")


def follow(
    api: Api, run: dict[str, Any], *, quiet: bool, server: str | None = None
) -> dict[str, Any]:
    """Follow a run until it ends; returns its final view."""
    if run["status"] in TERMINAL:
        return run
    state = RunState(run)
    try:
        return _follow(api, state, quiet)
    except KeyboardInterrupt:
        interrupted(api, run["id"], quiet=quiet, server=server)


def _ask_cancel() -> bool:
    """In a terminal: cancel or detach? A second Ctrl-C (or end of input) detaches."""
    try:
        answer = typer.prompt(
            "\nCancel the run, or detach and leave it running? [c/d]", default="d"
        )
    except (KeyboardInterrupt, EOFError, typer.Abort):
        return False
    return answer.strip().lower() in ("c", "cancel")


def interrupted(api: Api, run_id: str, *, quiet: bool, server: str | None) -> NoReturn:
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    watch = f"reelforge runs watch {run_id}" + (f" --server {server}" if server else "")
    if interactive and _ask_cancel():
        run = api.request("POST", f"/v1/runs/{run_id}/cancel")
        err_console.print(f"Canceled run {run_id} (now {run['status']}).", highlight=False)
        action = "canceled"
    else:
        err_console.print(
            f"Detached from run {run_id}; it goes on. Re-attach with: {watch}", highlight=False
        )
        action = "detached"
    if quiet:
        emit_json({"run_id": run_id, "action": action, "watch": watch})
    raise typer.Exit(130)

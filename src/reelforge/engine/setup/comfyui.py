"""A ComfyUI the user installed themselves: start, stop, restart, status and logs.

ReelForge never installs ComfyUI. With its folder configured (``REELFORGE_COMFYUI_DIR``)
the hub starts ``python main.py --listen 127.0.0.1 --port N`` there as a child process in
its own session (so stopping it stops whatever it spawned), with its output appended to
``<home>/logs/comfyui.log``. The process id is written to ``<home>/engines/comfyui.json``
so a restarted ReelForge can still stop it; a recorded id is only signalled while that
process is still a ``main.py`` (ids are reused).

Status: ``not_installed`` (no folder with main.py, and nothing answers), ``installed``
(not running), ``starting`` (our process is up, its HTTP API not yet), ``running`` (the
server answers ``/system_stats``, ours or one started outside ReelForge).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.logs import get_logger, redact_text
from reelforge.providers.base import Health

log = get_logger("reelforge.setup.comfyui")

Probe = Callable[[str], Awaitable[Health]]
STOP_GRACE_SECONDS = 10.0
LOG_ROTATE_BYTES = 10 * 1024**2
LOG_TAIL_BYTES = 256 * 1024


class ComfyUIManager:
    def __init__(
        self,
        *,
        home: Path,
        folder: Path | None,
        port: int,
        python: str | None,
        url: str,
        probe: Probe,
        probe_timeout: float,
        scrub_env: Iterable[str] = (),
    ) -> None:
        self.folder = folder
        self.port = port
        self.python = python
        # With a folder, the server is the one we start; else whatever the settings name.
        self.url = f"http://127.0.0.1:{port}" if folder is not None else url.rstrip("/")
        self.probe = probe
        self.probe_timeout = probe_timeout
        self.log_path = home / "logs" / "comfyui.log"
        self.pid_path = home / "engines" / "comfyui.json"
        self.scrub_env = set(scrub_env)
        self._proc: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()

    # -- facts ---------------------------------------------------------------------------
    @property
    def installed(self) -> bool:
        return self.folder is not None and (self.folder / "main.py").is_file()

    def command(self) -> list[str]:
        return [self._python(), "main.py", "--listen", "127.0.0.1", "--port", str(self.port)]

    def _python(self) -> str:
        if self.python:
            return self.python
        assert self.folder is not None
        for venv in ("venv", ".venv"):
            for candidate in (
                self.folder / venv / "bin" / "python",
                self.folder / venv / "Scripts" / "python.exe",
            ):
                if candidate.is_file():
                    return str(candidate)
        return sys.executable

    def _pid(self) -> int | None:
        """The id of the ComfyUI we started (this process or an earlier one), if alive."""
        if self._proc is not None and self._proc.returncode is None:
            return self._proc.pid
        try:
            recorded = json.loads(self.pid_path.read_text())
            pid = int(recorded["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return pid if _is_comfyui(pid) else None

    async def _answers(self) -> Health:
        try:
            async with asyncio.timeout(self.probe_timeout):
                return await self.probe(self.url)
        except TimeoutError:
            return Health(ok=False, detail={"error": f"no answer within {self.probe_timeout:g} s"})

    async def status(self) -> dict[str, Any]:
        pid = self._pid()
        health = await self._answers()
        if health.ok:
            status = "running"
        elif pid is not None:
            status = "starting"
        elif self.installed:
            status = "installed"
        else:
            status = "not_installed"
        view: dict[str, Any] = {
            "engine": "comfyui",
            "status": status,
            "installed": self.installed,
            "folder": str(self.folder) if self.folder else None,
            "url": self.url,
            "managed": pid is not None,
            "pid": pid,
            "server": health.detail if health.ok else None,
            "can_start": self.installed and pid is None and not health.ok,
        }
        if status == "not_installed":
            view["remediation"] = (
                "Install ComfyUI yourself (https://github.com/comfyanonymous/ComfyUI), then set "
                "REELFORGE_COMFYUI_DIR to its folder, or start it and set COMFYUI_URL."
            )
        elif not health.ok:
            view["error"] = health.detail.get("message") or health.detail.get("error")
        return view

    # -- control -------------------------------------------------------------------------
    async def start(self, *, wait: bool = False, wait_seconds: float = 60.0) -> dict[str, Any]:
        async with self._lock:
            if not self.installed:
                raise ReelForgeError(
                    ErrorCode.DEPENDENCY_MISSING,
                    "ComfyUI is not installed here: there is no main.py to start.",
                    detail={
                        "engine": "comfyui",
                        "folder": str(self.folder) if self.folder else None,
                    },
                    remediation=(
                        "Install ComfyUI yourself (git clone https://github.com/comfyanonymous/"
                        "ComfyUI and pip install -r requirements.txt); ReelForge never installs it.",
                        "Then set REELFORGE_COMFYUI_DIR to that folder and restart ReelForge.",
                    ),
                )
            if self._pid() is None:
                if (await self._answers()).ok:
                    raise ReelForgeError(
                        ErrorCode.CONFLICT,
                        f"A ComfyUI started outside ReelForge already answers at {self.url}.",
                        detail={"engine": "comfyui", "url": self.url},
                        remediation=("Use it as it is, or stop it and start it from here.",),
                    )
                await self._spawn()
        if wait:
            return await self._wait_running(wait_seconds)
        return await self.status()

    async def _spawn(self) -> None:
        assert self.folder is not None
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.pid_path.parent.mkdir(parents=True, exist_ok=True)
        if self.log_path.exists() and self.log_path.stat().st_size > LOG_ROTATE_BYTES:
            self.log_path.replace(self.log_path.with_suffix(".log.1"))
        command = self.command()
        # The child gets our environment without ReelForge's settings or provider keys.
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("REELFORGE_") and k not in self.scrub_env
        }
        with self.log_path.open("ab") as out:
            out.write(f"--- reelforge: starting {' '.join(command[1:])} ---\n".encode())
            out.flush()
            self._proc = await asyncio.create_subprocess_exec(
                *command,
                cwd=self.folder,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        record = {"pid": self._proc.pid, "port": self.port, "started_at": time.time()}
        self.pid_path.write_text(json.dumps(record))
        log.info("comfyui_started", pid=self._proc.pid, port=self.port)

    async def _wait_running(self, seconds: float) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while True:
            view = await self.status()
            if view["status"] == "running":
                return view
            if view["pid"] is None:
                code = self._proc.returncode if self._proc is not None else None
                raise ReelForgeError(
                    ErrorCode.ENGINE_OFFLINE,
                    f"ComfyUI exited while starting (exit code {code}).",
                    detail={"engine": "comfyui", "exit_code": code, "log": self.logs(20)},
                    remediation=(
                        "Read its log (GET /v1/setup/engines/comfyui/logs) and fix what it names.",
                    ),
                )
            if time.monotonic() > deadline:
                return view
            await asyncio.sleep(0.2)

    async def stop(self) -> dict[str, Any]:
        async with self._lock:
            pid = self._pid()
            if pid is not None:
                await self._terminate(pid)
                log.info("comfyui_stopped", pid=pid)
            self.pid_path.unlink(missing_ok=True)
            self._proc = None
        return await self.status()

    async def restart(self, *, wait: bool = False, wait_seconds: float = 60.0) -> dict[str, Any]:
        await self.stop()
        return await self.start(wait=wait, wait_seconds=wait_seconds)

    async def _terminate(self, pid: int) -> None:
        """SIGTERM to the process group, SIGKILL after the grace period."""
        _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while time.monotonic() < deadline:
            if not await self._alive(pid):
                return
            await asyncio.sleep(0.1)
        _signal_group(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
        for _ in range(100):  # SIGKILL cannot be refused: gone within moments
            if not await self._alive(pid):
                return
            await asyncio.sleep(0.05)

    async def _alive(self, pid: int) -> bool:
        if self._proc is not None and self._proc.pid == pid:
            if self._proc.returncode is not None:
                return False
            try:
                await asyncio.wait_for(asyncio.shield(self._proc.wait()), 0.05)
            except TimeoutError:
                return True
            return False
        return _is_comfyui(pid)

    def logs(self, lines: int = 200) -> list[str]:
        """The last lines of the engine's log file, secrets masked."""
        try:
            with self.log_path.open("rb") as fh:
                size = fh.seek(0, os.SEEK_END)
                fh.seek(max(0, size - LOG_TAIL_BYTES))
                tail = fh.read().decode(errors="replace")
        except FileNotFoundError:
            return []
        return [redact_text(line) for line in tail.splitlines()[-lines:]]

    async def aclose(self) -> None:
        """A ComfyUI this process started stops with it."""
        if self._proc is not None and self._proc.returncode is None:
            await self.stop()


def _signal_group(pid: int, sig: signal.Signals) -> None:
    killpg = getattr(os, "killpg", None)  # (not on Windows: the process alone)
    try:
        if killpg is None:
            raise ProcessLookupError
        killpg(pid, sig)  # its own session: the group id is its pid
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def _is_comfyui(pid: int) -> bool:
    """True while ``pid`` is alive and (where /proc says) still runs a main.py."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.parent.exists():
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            return False
        if not any(a == b"main.py" or a.endswith(b"/main.py") for a in args):
            return False  # reused id, or a zombie
    return True

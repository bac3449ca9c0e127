"""ComfyUI emulator: /prompt, /queue, /history, /view, /upload/image, /interrupt,
/object_info, /system_stats and the /ws event socket (see app.py)."""

from reelforge.emulators.comfyui.app import SANDBOX_CREDENTIAL, create_app

__all__ = ["SANDBOX_CREDENTIAL", "create_app"]

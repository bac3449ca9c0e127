"""An OpenAI-compatible chat completions emulator (the asset studio's UI/UX code LLM)."""

from reelforge.emulators.llmchat.app import SANDBOX_API_KEY, create_app

__all__ = ["SANDBOX_API_KEY", "create_app"]

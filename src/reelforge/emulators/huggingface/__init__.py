"""Hugging Face Inference emulator: text-to-image on the router (``/hf-inference/models/``)
and the legacy host's path (``/models/``)."""

from reelforge.emulators.huggingface.app import SANDBOX_CREDENTIAL, create_app

__all__ = ["SANDBOX_CREDENTIAL", "create_app"]

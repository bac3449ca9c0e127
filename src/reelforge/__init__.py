"""ReelForge: one API, CLI and studio over every generative-media provider."""

__version__ = "0.1.0"

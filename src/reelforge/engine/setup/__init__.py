"""The setup hub's services: connect providers, the healthcheck matrix, local engines and
the diagnostics export (seed 001 §4). No web framework here: api/routes/setup.py and
cli/setup.py are the doors."""

from reelforge.engine.setup.config import SetupConfig
from reelforge.engine.setup.service import SetupHub

__all__ = ["SetupConfig", "SetupHub"]

"""Runners: when steps are advanced (the engine decides what advancing does)."""

"""The asset modes, each a sealed module registered like a provider plugin (pluggy)."""

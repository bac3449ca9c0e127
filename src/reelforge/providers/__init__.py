"""Provider adapters: one module per provider, one protocol (``base.Provider``)."""

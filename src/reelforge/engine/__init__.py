"""The pipeline engine: documents, validation and planning, durable step advancement."""

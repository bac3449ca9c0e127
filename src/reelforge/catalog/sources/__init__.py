"""Curated model sources (``curated.json``), checked when they are loaded."""

from reelforge.catalog.sources.loader import SourceDataError, load_curated_sources

__all__ = ["SourceDataError", "load_curated_sources"]

"""Exporters (seed 004, ``AssetExporter``): one module per mode, used by that mode only."""

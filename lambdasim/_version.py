"""The package version: the one copy (pyproject.toml reads it through hatch)."""

__version__ = "0.1.0"

"""The Lambda service model: one module per AWS concept (architecture.md)."""

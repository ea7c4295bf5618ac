"""Routes: filled in by its owner."""

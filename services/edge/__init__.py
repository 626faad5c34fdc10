"""edge service."""

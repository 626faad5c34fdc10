"""translator service."""

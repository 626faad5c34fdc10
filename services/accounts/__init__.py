"""accounts service."""

"""refresher service."""

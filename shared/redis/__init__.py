"""Redis: key names (`keys`), Lua scripts (`scripts/`) and their Python wrappers."""

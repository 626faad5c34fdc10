"""The `q2api` command: `q2api up` runs the whole stack on one machine."""

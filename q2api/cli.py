"""Command line: `q2api up [--demo] [--translators N]`, `q2api settings [--markdown]`."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from shared.settings import SettingsError, load_settings, settings_markdown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="q2api", description="Anthropic and OpenAI APIs over pooled Amazon Q and Gemini accounts.")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="run every service on this machine (what `make run` does)")
    up.add_argument("--translators", type=int, default=2, help="translator processes to run (default 2)")
    up.add_argument("--demo", action="store_true", help="also run the upstream simulator with demo accounts")
    up.add_argument("--port", type=int, help="public port (overrides PORT)")
    show = commands.add_parser("settings", help="check the settings, or print the settings table")
    show.add_argument("--markdown", action="store_true", help="print the README's settings table")
    args = parser.parse_args(argv)

    if args.command == "settings" and args.markdown:
        sys.stdout.write(settings_markdown())
        return 0
    try:
        overrides = {"port": args.port} if getattr(args, "port", None) else {}
        if getattr(args, "demo", False) and "DATA_DIR" not in os.environ:
            overrides["data_dir"] = "./data/demo"  # a demo never touches the real store
        settings = load_settings(**overrides)
    except SettingsError as exc:
        print(f"q2api: {exc}", file=sys.stderr)
        return 2
    if args.command == "settings":
        print("settings ok")
        return 0
    if args.translators < 1:
        print("q2api: --translators must be at least 1", file=sys.stderr)
        return 2

    from q2api.supervisor import Supervisor
    from q2api.welcome import welcome

    supervisor = Supervisor(settings, translators=args.translators, demo=args.demo)
    return asyncio.run(supervisor.run(after_ready=welcome))

"""Where a service's time goes, from a py-spy profile in collapsed-stack form (`py-spy record --format raw`).

Run: `python -m bench.profile_report FILE… [--top N]`. Each line of a collapsed file is
`frame;frame;…;leaf COUNT`, a frame being `function (file:line)`. Reported per file: the functions
with the largest self share (the sample's leaf frame) and the largest inclusive share (anywhere on the
stack, counted once per sample), by function and file (lines merged), as % of the busy samples.
`bench.bench_e2e --profile DIR` writes such files for edge, a translator and accounts.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")
_PREFIXES = ("/work/main/", "site-packages/")


def _short(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["file"]
    for prefix in _PREFIXES:
        if prefix in path:
            path = path.split(prefix, 1)[1]
            break
    return f"{match['func']} ({path})"


# Layers a sample is charged to, by the file of its innermost frame that matches (leaf upwards).
LAYERS: tuple[tuple[str, str], ...] = (
    ("tiktoken", "tiktoken"), ("redis client", "redis/"), ("aiohttp", "aiohttp/"), ("asyncio", "asyncio/"),
    ("logging", "logging/"), ("msgspec/orjson", "msgspec"), ("uuid", "uuid.py"),
    ("executor threads", "concurrent/futures/"), ("store", "shared/store/"),
    ("translator", "services/translator/"), ("edge", "services/edge/"), ("accounts", "services/accounts/"),
    ("shared", "shared/"),
)


def _layer(frames: list[str]) -> str:
    """asyncio frames count for the library that called them (redis-py writes through asyncio
    streams); a sample whose innermost frame is run_app is the event loop's own C code (uvloop)."""
    if frames and frames[-1].startswith("run_app "):
        return "event loop (uvloop, C)"
    asyncio_seen = False
    for frame in reversed(frames):
        for name, marker in LAYERS:
            if marker in frame:
                if name == "asyncio":
                    asyncio_seen = True
                    break
                return name
    return "asyncio" if asyncio_seen else "event loop (uvloop, C)"


def shares(path: Path) -> tuple[int, Counter[str], Counter[str]]:
    """(busy samples, self samples by function, inclusive samples by function)."""
    total, own, inclusive, _ = _read(path)
    return total, own, inclusive


def layers(path: Path) -> tuple[int, Counter[str]]:
    """(busy samples, samples by layer): the innermost frame that belongs to a known layer."""
    total, _, _, by_layer = _read(path)
    return total, by_layer


def _read(path: Path) -> tuple[int, Counter[str], Counter[str], Counter[str]]:
    total = 0
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    by_layer: Counter[str] = Counter()
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        frames = [_short(f) for f in stack.split(";") if f and not f.startswith("process ") and not f.startswith("thread ")]
        if not frames:
            continue
        total += samples
        own[frames[-1]] += samples
        for name in set(frames):
            inclusive[name] += samples
        by_layer[_layer(frames)] += samples
    return total, own, inclusive, by_layer


def report(path: Path, top: int = 15) -> str:
    total, own, inclusive = shares(path)
    if not total:
        return f"{path.name}: no samples"
    _, by_layer = layers(path)
    lines = [f"{path.name}: {total} busy samples", "  layer %  (innermost frame's package)"]
    lines += [f"  {100 * n / total:6.1f}   {name}" for name, n in by_layer.most_common()]
    lines.append("  self %   function")
    lines += [f"  {100 * n / total:6.1f}   {name}" for name, n in own.most_common(top)]
    lines.append("  incl %   function")
    lines += [f"  {100 * n / total:6.1f}   {name}" for name, n in inclusive.most_common(top)]
    return "\n".join(lines)


def summary(path: Path, top: int = 10) -> dict[str, object]:
    total, own, inclusive, by_layer = _read(path)
    return {
        "busy_samples": total,
        "layer_percent": {name: round(100 * n / total, 1) for name, n in by_layer.most_common()} if total else {},
        "self_percent": {name: round(100 * n / total, 1) for name, n in own.most_common(top)} if total else {},
        "inclusive_percent": {name: round(100 * n / total, 1) for name, n in inclusive.most_common(top)} if total else {},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_report")
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    for path in args.files:
        print(report(path, args.top))
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`make bench`: run every benchmark module (bench/bench_*.py) and save the figures.

Each module exposes `main(argv) -> dict`. `make bench ARGS='wire'` runs only the modules whose name
contains one of the given words; `--quick` (e.g. `make bench ARGS='--quick'` or `ARGS='e2e --quick'`)
is passed on to every module for a short smoke run. Figures are printed and written to
bench/results/latest.json.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    flags = [a for a in args if a == "--quick"]
    words = [a for a in args if not a.startswith("--")]
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    chosen = [n for n in names if not words or any(w in n for w in words)]
    results: dict[str, object] = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "flags": flags}
    for name in chosen:
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"bench.{name}")
        results[name] = module.main(list(flags))
        print(f"({name}: {time.perf_counter() - started:.0f} s)", flush=True)
    out = here / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2, default=str))
    print(f"\nfigures saved to {out / 'latest.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

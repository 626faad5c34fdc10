"""Upstream adapters. Importing this package imports every module in it, and each registers itself,
so adding an upstream adds a module and edits no switch."""

from __future__ import annotations

import importlib
import pkgutil

from services.translator.upstreams.base import UPSTREAMS, Answer, AnswerFailure, Upstream, UpstreamCall

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_") and _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["UPSTREAMS", "Answer", "AnswerFailure", "Upstream", "UpstreamCall"]

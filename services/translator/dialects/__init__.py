"""Client dialects on the translator side. Importing this package imports every module in it and each
registers itself, so adding a client API adds a module and edits no switch."""

from __future__ import annotations

import importlib
import pkgutil

from services.translator.dialects.base import DIALECTS, ClientRequest, StreamWriter, TranslatorDialect

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_") and _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["DIALECTS", "ClientRequest", "StreamWriter", "TranslatorDialect"]

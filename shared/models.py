"""The model table: which provider serves a client's model name, and under which upstream id.

Edge uses it to pick the provider (and to list `/v1/models`); the translator uses it to name the
upstream model. Resolution order:

1. the operator's `MODEL_MAP` pairs (exact client name → upstream id; the provider is the one whose
   catalogue holds that id, else the target may be written `provider:id`);
2. an upstream id itself (`claude-sonnet-4.5`, `gemini-2.5-pro`);
3. the Anthropic spelling of a Q model: dateless, dashes to dots (`claude-sonnet-4-5-20250929` →
   `claude-sonnet-4.5`; amazonq.md §2.9);
4. the family default: any other name containing `sonnet`, `opus` or `haiku` maps to that family's id
   (the route says `family_default=True`, and the response names the upstream model, so nothing is
   substituted silently).

A name that resolves to nothing is an error listing what is available — never a silent substitution.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Amazon Q model ids (amazonq.md §2.9) with their context windows.
AMAZONQ_MODELS: dict[str, int] = {
    "claude-sonnet-4.5": 200_000,
    "claude-sonnet-4": 200_000,
    "claude-haiku-4.5": 200_000,
    "claude-opus-4.5": 200_000,
    "claude-sonnet-4.6": 200_000,
    "claude-opus-4.6": 200_000,
    "claude-3.7-sonnet": 200_000,
}
AMAZONQ_FAMILY_DEFAULTS = {"sonnet": "claude-sonnet-4.5", "opus": "claude-opus-4.5", "haiku": "claude-haiku-4.5"}

# Gemini model ids (gemini-code-assist.md §4); served by the Gemini providers once they exist.
GEMINI_MODELS: dict[str, int] = {
    "gemini-2.5-pro": 1_048_576,
    "gemini-2.5-flash": 1_048_576,
    "gemini-2.5-flash-lite": 1_048_576,
    "gemini-3-pro-preview": 1_048_576,
    "gemini-3-flash-preview": 1_048_576,
}

CATALOGUE: dict[str, dict[str, int]] = {"amazonq": AMAZONQ_MODELS, "gemini": GEMINI_MODELS}


@dataclass(frozen=True)
class ModelRoute:
    requested: str
    provider: str
    upstream_model: str
    context_window: int
    family_default: bool = False


class UnknownModelError(LookupError):
    def __init__(self, requested: str, available: Iterable[str]) -> None:
        self.requested = requested
        self.available = sorted(available)
        super().__init__(
            f"model: {requested!r} is not served by this gateway. Available: {', '.join(self.available)} "
            "(Anthropic spellings such as claude-sonnet-4-5-20250929 work too; operators can add names with MODEL_MAP)."
        )


_DATE_SUFFIX = re.compile(r"-(?:\d{8}|latest)$")
_VERSION_DASH = re.compile(r"-(\d+)-(\d+)(?=$|-)")


def _anthropic_to_q_spelling(name: str) -> str:
    """`claude-sonnet-4-5-20250929` → `claude-sonnet-4.5`; `claude-3-7-sonnet-latest` → `claude-3.7-sonnet`."""
    name = _DATE_SUFFIX.sub("", name.lower())
    return _VERSION_DASH.sub(lambda m: f"-{m.group(1)}.{m.group(2)}", name)


class ModelTable:
    def __init__(self, overrides: Iterable[tuple[str, str]] = (), context_window: int | None = None) -> None:
        self.overrides = dict(overrides)
        self.context_window = context_window

    def _route(self, requested: str, provider: str, model: str, *, family: bool = False) -> ModelRoute:
        window = CATALOGUE.get(provider, {}).get(model, 200_000)
        if self.context_window:
            window = min(window, self.context_window)
        return ModelRoute(requested, provider, model, window, family)

    def _provider_of(self, model: str) -> str | None:
        for provider, models in CATALOGUE.items():
            if model in models:
                return provider
        return None

    def resolve(self, requested: str) -> ModelRoute:
        name = requested.strip()
        target = self.overrides.get(name)
        if target is not None:
            provider, sep, model = target.partition(":")
            if sep:
                return self._route(requested, provider, model)
            return self._route(requested, self._provider_of(target) or "amazonq", target)
        provider = self._provider_of(name)
        if provider is not None:
            return self._route(requested, provider, name)
        if name.lower().startswith("gemini-"):
            raise UnknownModelError(requested, self.names())
        spelled = _anthropic_to_q_spelling(name)
        if spelled in AMAZONQ_MODELS:
            return self._route(requested, "amazonq", spelled)
        lowered = name.lower()
        if lowered.startswith("claude"):
            for family, model in AMAZONQ_FAMILY_DEFAULTS.items():
                if family in lowered:
                    return self._route(requested, "amazonq", model, family=True)
        raise UnknownModelError(requested, self.names())

    def names(self) -> list[str]:
        """Every name the table serves directly (for `/v1/models` and error messages)."""
        names = set(self.overrides)
        for models in CATALOGUE.values():
            names.update(models)
        return sorted(names)

    def listing(self) -> list[ModelRoute]:
        return [self.resolve(name) for name in self.names()]

"""The simulated models and their thinking rules (gemini-code-assist.md §3.3 thinkingConfig, §4).

Code Assist takes bare model ids; the public Gemini API addresses ``models/<id>``. Preview models need
"preview access", which a simulated user may lack (→ 404, as G2A observes for ``*preview*`` ids).
"""

from __future__ import annotations

from dataclasses import dataclass

# §4: ids Code Assist accepts. gemini-3-flash is what the CLI sends for gemini-3.5-flash.
CODE_ASSIST_MODELS: tuple[str, ...] = (
    "gemini-2.5-pro",
    "gemini-2.5-flash",
    "gemini-2.5-flash-lite",
    "gemini-3-pro-preview",
    "gemini-3.1-pro-preview",
    "gemini-3.1-pro-preview-customtools",
    "gemini-3-flash-preview",
    "gemini-3-flash",
    "gemini-3.1-flash-lite-preview",
    "gemini-3.1-flash-lite",
)

GEMINI_API_MODELS: tuple[str, ...] = (
    "gemini-2.5-pro",
    "gemini-2.5-flash",
    "gemini-2.5-flash-lite",
    "gemini-3-pro-preview",
    "gemini-3.1-pro-preview",
    "gemini-3-flash-preview",
    "gemini-3.1-flash-lite-preview",
)

INPUT_TOKEN_LIMIT = 1_048_576
OUTPUT_TOKEN_LIMIT = 65_536


def is_preview(model: str) -> bool:
    return "preview" in model


def is_gemini3(model: str) -> bool:
    """Gemini 3 enforces thought signatures and takes ``thinkingLevel`` (§5.4)."""
    return model.startswith("gemini-3")


@dataclass(frozen=True)
class ThinkingRules:
    """``budget`` = (min, max) for 2.5 models; ``zero_allowed`` = thinking can be turned off;
    ``levels`` = the thinkingLevel values the model accepts (empty: thinkingLevel is rejected)."""

    budget: tuple[int, int]
    zero_allowed: bool
    levels: frozenset[str]


_FLASH_LEVELS = frozenset({"MINIMAL", "LOW", "MEDIUM", "HIGH"})
THINKING_LEVEL_ENUM = frozenset({"THINKING_LEVEL_UNSPECIFIED", "MINIMAL", "LOW", "MEDIUM", "HIGH"})


def thinking_rules(model: str) -> ThinkingRules:
    """Per CPA models.json thinking ranges (§3.3)."""
    if model == "gemini-2.5-pro":
        return ThinkingRules((128, 32768), False, frozenset())
    if model.startswith("gemini-2.5"):
        return ThinkingRules((1, 24576), True, frozenset())
    if model.startswith("gemini-3-pro"):
        return ThinkingRules((128, 32768), False, frozenset({"LOW", "HIGH"}))
    if model.startswith("gemini-3.1-pro"):
        return ThinkingRules((128, 32768), False, frozenset({"LOW", "MEDIUM", "HIGH"}))
    return ThinkingRules((1, 24576), True, _FLASH_LEVELS)

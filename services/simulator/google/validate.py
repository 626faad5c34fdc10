"""The request rules of gemini-code-assist.md §10, in the order Google applies them: parse, then semantics.

`validate_generate` raises the `GoogleError` the real service answers for the first broken rule. Wording
and shapes come from examples Appendix B (B1–B4) and the §5 facts; where no real message is on record the
comment says [inf] and the wording follows the front end's ``* GenerateContentRequest.<path>: <text>``
style. Rules that bite bridges most (§8.5): empty parts, unequal functionCall/functionResponse counts,
lost Gemini 3 signatures, bad function names, JSON-Schema keys in ``parameters``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.simulator.google import errors
from services.simulator.google.catalogue import THINKING_LEVEL_ENUM, is_gemini3, thinking_rules
from services.simulator.google.proto_json import ProtoJsonCheck
from services.simulator.google.signatures import SignatureCheck, check_signature
from services.simulator.google.view import data_kind, generation_config, member

FUNCTION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$")  # §5.1 / §10


@dataclass(frozen=True)
class Dialect:
    """What differs between Code Assist and the public Gemini API when validating."""

    public_api: bool
    prefix: str  # "request" on Code Assist (field paths are prefixed, B1), "" on the public API
    roles: frozenset[str]


# CPA groups function responses under role "function", which Code Assist accepts (§3.3).
CODE_ASSIST = Dialect(public_api=False, prefix="request", roles=frozenset({"user", "model", "function"}))
GEMINI_API = Dialect(public_api=True, prefix="", roles=frozenset({"user", "model"}))


def _proto_invalid(path: str, text: str) -> errors.GoogleError:
    return errors.invalid_argument(f"* GenerateContentRequest.{path}: {text}\n")


def validate_generate(body: Any, model: str, dialect: Dialect, signature_secret: bytes) -> None:
    check = ProtoJsonCheck(signature_secret)
    check.request(body, dialect.prefix)
    if check.violations:
        raise errors.invalid_json(check.violations)
    contents = [c for c in member(body, "contents") or []]
    check_contents(contents, dialect)
    if member(body, "systemInstruction") is not None:
        check_parts(member(body, "systemInstruction"), "system_instruction")
    check_tools(body)
    check_pairing(contents)
    if is_gemini3(model):
        check_signatures(contents, dialect, signature_secret)
    check_thinking(body, model, dialect)


def check_contents(contents: Sequence[Mapping[str, Any]], dialect: Dialect) -> None:
    if not contents:
        raise _proto_invalid("contents", "contents is not specified")
    for i, content in enumerate(contents):
        role = content.get("role")
        if role not in (None, "", *dialect.roles):
            raise errors.invalid_argument("Please use a valid role: user, model.")
        check_parts(content, f"contents[{i}]")


def check_parts(content: Mapping[str, Any], path: str) -> None:
    parts = content.get("parts") or []
    if not parts:
        raise _proto_invalid(f"{path}.parts", "contents.parts must not be empty.")
    for j, part in enumerate(parts):
        kinds = [k for k in ("text", "inlineData", "fileData", "functionCall", "functionResponse", "executableCode",
                             "codeExecutionResult") if member(part, k) is not None]
        if len(kinds) > 1:
            raise errors.invalid_json([{"field": f"{path}.parts[{j}]", "description":
                                        "Invalid JSON payload received. Oneof field 'data' is already set. "
                                        f"Cannot set '{kinds[1]}'"}])
        # An empty text only counts as data when it carries a signature (the trailing part of §5.4);
        # otherwise it is the "empty text part" of §8.5 #1. [inf]
        empty_text = kinds == ["text"] and part.get("text") == "" and member(part, "thoughtSignature") is None
        if not kinds or empty_text:
            raise _proto_invalid(f"{path}.parts[{j}].data", "required oneof field 'data' must have one initialized field")
        response = member(part, "functionResponse")
        if isinstance(response, Mapping) and not response.get("name"):
            raise _proto_invalid(f"{path}.parts[{j}].function_response.name", "Name cannot be empty.")
        call = member(part, "functionCall")
        if isinstance(call, Mapping) and not call.get("name"):
            raise _proto_invalid(f"{path}.parts[{j}].function_call.name", "Name cannot be empty.")  # [inf]


def check_tools(body: Mapping[str, Any]) -> None:
    has_functions = False
    for t, tool in enumerate(member(body, "tools") or []):
        for d, decl in enumerate(member(tool, "functionDeclarations") or []):
            has_functions = True
            where = f"tools[{t}].function_declarations[{d}]"
            name = decl.get("name")
            if not isinstance(name, str) or not FUNCTION_NAME.match(name):
                raise errors.invalid_argument(
                    f"The GenerateContentRequest proto is invalid: * {where}.name: [FIELD_INVALID] Invalid function "
                    "name. Must start with a letter or an underscore. Must be a-z, A-Z, 0-9, or contain underscores, "
                    "dots and dashes, with a maximum length of 64.")
            if member(decl, "parameters") is not None and member(decl, "parametersJsonSchema") is not None:
                raise errors.invalid_argument(  # §5.1 "Sending both fields is invalid"; wording [inf]
                    f"The GenerateContentRequest proto is invalid: * {where}.parameters_json_schema: [FIELD_INVALID] "
                    "parameters and parameters_json_schema cannot both be set.")
    mime = member(generation_config(body), "responseMimeType")
    if has_functions and mime == "application/json":
        raise errors.invalid_argument("Tool use with a response mime type: 'application/json' is unsupported")


def _count(content: Mapping[str, Any], kind: str) -> int:
    return sum(1 for part in content.get("parts") or [] if data_kind(part) == kind)


def check_pairing(contents: Sequence[Mapping[str, Any]]) -> None:
    """Each function-call turn is answered by the next turn with exactly as many responses (B3, §5.3)."""
    for i, content in enumerate(contents):
        responses = _count(content, "functionResponse")
        if responses and (i == 0 or _count(contents[i - 1], "functionCall") == 0):
            raise errors.invalid_argument(
                "Please ensure that function response turn comes immediately after a function call turn.")
        calls = _count(content, "functionCall")
        if calls:
            answer = _count(contents[i + 1], "functionResponse") if i + 1 < len(contents) else 0
            if answer != calls:
                raise errors.function_count_mismatch()


def _is_user_text_turn(content: Mapping[str, Any]) -> bool:
    kinds = [data_kind(p) for p in content.get("parts") or []]
    return content.get("role", "user") in (None, "user") and "text" in kinds and "functionResponse" not in kinds


def check_signatures(contents: Sequence[Mapping[str, Any]], dialect: Dialect, secret: bytes) -> None:
    """Gemini 3: in the current loop (after the last genuine user text turn), the first functionCall of
    every model turn carries an issued signature or the bypass sentinel (B2, §5.4)."""
    start = max((i for i, c in enumerate(contents) if _is_user_text_turn(c)), default=-1) + 1
    for i in range(start, len(contents)):
        content = contents[i]
        if content.get("role") != "model":
            continue
        first_call = next((p for p in content.get("parts") or [] if data_kind(p) == "functionCall"), None)
        if first_call is None:
            continue
        signature = member(first_call, "thoughtSignature")
        if signature is None:
            raise errors.missing_thought_signature(member(first_call, "functionCall")["name"], i + 1,
                                                   public_api=dialect.public_api)
        if check_signature(secret, signature) is SignatureCheck.FOREIGN:
            raise errors.corrupted_thought_signature()


def check_thinking(body: Mapping[str, Any], model: str, dialect: Dialect) -> None:
    """Budget ranges per model, ``thinkingLevel`` only on Gemini 3, never both (§3.3; messages [inf]
    except "Budget 0 is invalid…", which the public API is known to send for 2.5 Pro)."""
    config = member(generation_config(body), "thinkingConfig")
    if not isinstance(config, Mapping):
        return
    rules = thinking_rules(model)
    level = member(config, "thinkingLevel")
    budget = member(config, "thinkingBudget")
    if level is not None:
        path = (f"{dialect.prefix}." if dialect.prefix else "") + "generation_config.thinking_config.thinking_level"
        if not isinstance(level, str) or level.upper() not in THINKING_LEVEL_ENUM:
            raise errors.invalid_json([{"field": path, "description": f"Invalid value at '{path}' (type.googleapis.com/"
                                        f'google.cloud.aiplatform.v1beta1.ThinkingConfig.ThinkingLevel), "{level}"'}])
        if budget is not None:
            raise errors.invalid_argument("You can only set one of thinking budget and thinking level.")
        if not is_gemini3(model):
            raise errors.invalid_argument("Thinking level is not supported for this model.")
        if level.upper() not in rules.levels and level.upper() != "THINKING_LEVEL_UNSPECIFIED":
            raise errors.invalid_argument(f"Thinking level {level.upper()} is not supported for this model.")
    if isinstance(budget, int) and budget != -1:
        if budget == 0 and not rules.zero_allowed:
            raise errors.invalid_argument("Budget 0 is invalid. This model only works in thinking mode.")
        low, high = rules.budget
        if budget != 0 and not low <= budget <= high:
            raise errors.invalid_argument(f"The thinking budget {budget} is invalid. Please choose a value between "
                                          f"{0 if rules.zero_allowed else low} and {high}.")

"""OpenAI Chat Completions request → Anthropic Messages request.

The OpenAI API is served as a dialect pair on top of the Anthropic path: this module turns a decoded
``ChatCompletionRequest`` into a ``MessagesRequest``; ``anthropic_to_openai`` turns the Anthropic events
back into chat-completion chunks. Messages are converted in ``openai_to_anthropic_messages``.

Facts: client-apis.md §2.1 (OpenAI request) and §1.1 (Anthropic request). Choices, in one place:

* **Refused with a 400 naming the option** — anything whose absence would change the *shape or contract*
  of the answer: ``n`` > 1, ``logprobs`` / ``top_logprobs``, a non-empty ``logit_bias`` (a hard token
  ban), ``response_format`` ``json_object`` / ``json_schema``, ``audio``, ``modalities`` other than text,
  ``web_search_options``, tool types other than ``function``.
* **Accepted and ignored** — best-effort hints whose absence the client cannot tell from a normal answer:
  ``seed`` (best-effort in OpenAI too), ``presence_penalty`` / ``frequency_penalty``, ``prediction``
  (a latency hint), ``service_tier``, ``store``, ``metadata``, ``verbosity``, ``prompt_cache_key``,
  ``stream_options.include_obfuscation``, a tool's ``strict``, an image part's ``detail``.
* **Mapped** — ``max_completion_tokens`` (else ``max_tokens``, else the default) → ``max_tokens``;
  ``temperature`` (OpenAI 0–2 clamped to Anthropic's 0–1), ``top_p``; ``stop`` → ``stop_sequences``;
  ``user`` (else ``safety_identifier``) → ``metadata.user_id``; ``tools`` / legacy ``functions`` →
  custom tools; ``tool_choice`` / legacy ``function_call`` and ``parallel_tool_calls: false`` →
  ``tool_choice``; ``reasoning_effort`` → ``thinking`` where Anthropic's rules allow it (below).
* ``reasoning_effort`` low / medium / high / xhigh asks for extended thinking with a budget of 1024 /
  4096 / 16384 / 32000 tokens, capped at half of ``max_tokens`` so the answer keeps room. Anthropic
  refuses thinking with a forced tool choice, a ``temperature`` other than 1, a ``top_p`` below 0.95 or a
  budget under 1024; in those cases the effort is a hint we cannot honour and is ignored.
"""

from __future__ import annotations

from shared.schemas import anthropic as ant
from shared.schemas import openai as oai

from .errors import ConversionError
from .openai_to_anthropic_messages import convert_messages

__all__ = ["build_anthropic_request", "uses_legacy_functions"]

_THINKING_BUDGETS = {"low": 1024, "medium": 4096, "high": 16384, "xhigh": 32000}
_NO_THINKING = frozenset({"none", "minimal"})
_MIN_THINKING_BUDGET = 1024  # Anthropic's minimum budget_tokens
_EMPTY_SCHEMA: dict[str, object] = {"type": "object", "properties": {}}


def build_anthropic_request(
    request: oai.ChatCompletionRequest, *, default_max_tokens: int = 4096
) -> ant.MessagesRequest:
    """The Anthropic request serving ``request``; ``ConversionError(param=<OpenAI option>)`` if it can't be."""
    _refuse_unsupported(request)
    converted = convert_messages(request.messages)
    tools = _tools(request)
    tool_choice = _tool_choice(request, tools)
    max_tokens = request.max_completion_tokens or request.max_tokens or default_max_tokens
    temperature = _temperature(request.temperature)
    top_p = _top_p(request.top_p)
    user_id = request.user or request.safety_identifier
    return ant.MessagesRequest(
        model=request.model,
        messages=converted.messages,
        system=converted.system or None,
        tools=tools or None,
        tool_choice=tool_choice,
        thinking=_thinking(request.reasoning_effort, max_tokens, tool_choice, temperature, top_p),
        max_tokens=max_tokens,
        stream=bool(request.stream),
        stop_sequences=_stop_sequences(request.stop),
        temperature=temperature,
        top_p=top_p,
        metadata=ant.Metadata(user_id=user_id) if user_id else None,
    )


def uses_legacy_functions(request: oai.ChatCompletionRequest) -> bool:
    """Whether the client declared legacy ``functions`` (and no ``tools``): it then expects
    ``function_call`` in the answer, not ``tool_calls`` (pass to ``AnthropicToOpenAI(legacy_functions=…)``)."""
    return bool(request.functions) and not request.tools


# -- refused options -------------------------------------------------------------------------------------


def _refuse_unsupported(request: oai.ChatCompletionRequest) -> None:
    if request.n is not None and request.n > 1:
        _refuse("n", "only one choice per request is supported (n must be 1)")
    if request.logprobs:
        _refuse("logprobs", "log probabilities are not available from this gateway's backends")
    if request.top_logprobs:
        _refuse("top_logprobs", "log probabilities are not available from this gateway's backends")
    if request.logit_bias:
        _refuse("logit_bias", "token biasing is not available from this gateway's backends")
    if isinstance(request.response_format, oai.ResponseFormatJsonObject | oai.ResponseFormatJsonSchema):
        kind = (
            "json_object"
            if isinstance(request.response_format, oai.ResponseFormatJsonObject)
            else "json_schema"
        )
        _refuse(
            "response_format",
            f"`{kind}` output is not supported by this gateway; describe the format in the prompt, or "
            "define a tool whose parameters are the schema",
        )
    if request.audio is not None:
        _refuse("audio", "audio output is not supported by this gateway")
    if request.modalities is not None and any(m != "text" for m in request.modalities):
        _refuse("modalities", "only the `text` modality is supported by this gateway")
    if request.web_search_options is not None:
        _refuse("web_search_options", "web search is not available from this gateway")


def _refuse(param: str, reason: str) -> None:
    raise ConversionError(f"{param}: {reason}", param=param)


# -- tools -------------------------------------------------------------------------------------------------


def _tools(request: oai.ChatCompletionRequest) -> list[ant.ToolDefinition]:
    tools: list[ant.ToolDefinition] = []
    seen: set[str] = set()

    def add(function: oai.FunctionDefinition, path: str) -> None:
        if function.name in seen:
            raise ConversionError(
                f"{path}.name: tool name `{function.name}` is defined twice", param=f"{path}.name"
            )
        seen.add(function.name)
        tools.append(
            ant.CustomTool(
                name=function.name,
                description=function.description,
                input_schema=_input_schema(function.parameters, f"{path}.parameters"),
            )
        )

    for i, tool in enumerate(request.tools or ()):
        if not isinstance(tool, oai.FunctionTool):
            raise ConversionError(
                f"tools[{i}]: tools of type `{tool.type}` are not supported; only `function` tools are",
                param=f"tools[{i}].type",
            )
        add(tool.function, f"tools[{i}].function")
    for i, function in enumerate(request.functions or ()):
        add(function, f"functions[{i}]")
    return tools


def _input_schema(parameters: dict[str, object] | None, path: str) -> dict[str, object]:
    """OpenAI lets ``parameters`` be omitted (no arguments); Anthropic needs an object schema."""
    if parameters is None:
        return dict(_EMPTY_SCHEMA)
    kind = parameters.get("type")
    if kind is None:
        return {"type": "object", **parameters}
    if kind != "object":
        raise ConversionError(
            f"{path}: a function's parameters must be a JSON Schema of type `object`", param=path
        )
    return parameters


def _tool_choice(
    request: oai.ChatCompletionRequest, tools: list[ant.ToolDefinition]
) -> ant.ToolChoice | None:
    param = "tool_choice" if request.tool_choice is not None else "function_call"
    choice = request.tool_choice if request.tool_choice is not None else request.function_call
    # One call per turn: asked for explicitly, or implied by the legacy API (one ``function_call``).
    serial = True if request.parallel_tool_calls is False or uses_legacy_functions(request) else None
    if not tools:
        if choice is None or choice in ("auto", "none"):
            return None
        raise ConversionError(f"{param}: requiring a tool needs `tools` in the request", param=param)
    match choice:
        case None:
            return ant.ToolChoiceAuto(disable_parallel_tool_use=True) if serial else None
        case "auto":
            return ant.ToolChoiceAuto(disable_parallel_tool_use=serial)
        case "none":
            return ant.ToolChoiceNone()
        case "required":
            return ant.ToolChoiceAny(disable_parallel_tool_use=serial)
        case oai.NamedToolChoice(function=oai.NamedFunction(name=name)) | oai.FunctionCallOption(name=name):
            if all(tool.name != name for tool in tools):
                raise ConversionError(f"{param}: no tool named `{name}` is defined", param=param)
            return ant.ToolChoiceTool(name=name, disable_parallel_tool_use=serial)
    raise ConversionError(f"{param}: unsupported value", param=param)  # pragma: no cover - decoder's domain


# -- sampling --------------------------------------------------------------------------------------------


def _temperature(value: float | None) -> float | None:
    if value is None:
        return None
    if not 0 <= value <= 2:
        raise ConversionError("temperature: must be between 0 and 2", param="temperature")
    return min(value, 1.0)


def _top_p(value: float | None) -> float | None:
    if value is not None and not 0 <= value <= 1:
        raise ConversionError("top_p: must be between 0 and 1", param="top_p")
    return value


def _stop_sequences(stop: str | list[str] | None) -> list[str] | None:
    sequences = [stop] if isinstance(stop, str) else (stop or [])
    kept = [s for s in sequences if s]
    return kept or None


def _thinking(
    effort: str | None,
    max_tokens: int,
    tool_choice: ant.ToolChoice | None,
    temperature: float | None,
    top_p: float | None,
) -> ant.ThinkingEnabled | None:
    if effort is None or effort in _NO_THINKING:
        return None
    budget = _THINKING_BUDGETS.get(effort)
    if budget is None:
        raise ConversionError(
            f"reasoning_effort: unknown value `{effort}`; use none, minimal, low, medium, high or xhigh",
            param="reasoning_effort",
        )
    budget = min(budget, max_tokens // 2)
    compatible = (
        budget >= _MIN_THINKING_BUDGET
        and not isinstance(tool_choice, ant.ToolChoiceAny | ant.ToolChoiceTool)
        and temperature in (None, 1.0)
        and (top_p is None or top_p >= 0.95)
    )
    return ant.ThinkingEnabled(budget_tokens=budget) if compatible else None

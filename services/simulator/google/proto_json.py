"""The protobuf-JSON strictness of Google's front end: unknown names, wrong value types, bad bytes.

Google parses the request JSON into protobuf messages before any business rule runs, and reports *all*
parse problems in one 400 whose message joins them with newlines and whose ``google.rpc.BadRequest``
detail lists one ``fieldViolation`` per problem (examples Appendix B1). Paths use proto (snake_case)
names and indexes — ``request.tools[0].function_declarations[2].parameters.properties[0].value`` —
prefixed with ``request.`` on Code Assist (§5.1). Both JSON spellings of a field name are accepted.

The most important case is B1: ``parameters`` is the OpenAPI-subset ``Schema`` message, so JSON-Schema
keywords like ``additionalProperties`` are unknown names there, while ``parametersJsonSchema`` takes any
JSON value (§5.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.simulator.google.signatures import SignatureCheck, check_signature
from services.simulator.google.view import snake


def _fields(*camel: str) -> frozenset[str]:
    return frozenset(camel)


REQUEST = _fields("contents", "systemInstruction", "cachedContent", "tools", "toolConfig", "labels", "safetySettings",
                  "generationConfig", "sessionId", "model")
CONTENT = _fields("role", "parts")
PART = _fields("text", "inlineData", "fileData", "functionCall", "functionResponse", "executableCode",
               "codeExecutionResult", "thought", "thoughtSignature", "videoMetadata", "mediaResolution", "partMetadata")
BLOB = _fields("mimeType", "data", "displayName")
FILE_DATA = _fields("mimeType", "fileUri", "displayName")
FUNCTION_CALL = _fields("id", "name", "args")
FUNCTION_RESPONSE = _fields("id", "name", "response", "parts", "willContinue", "scheduling")
TOOL = _fields("functionDeclarations", "googleSearch", "googleSearchRetrieval", "codeExecution", "urlContext",
               "retrieval", "computerUse", "enterpriseWebSearch", "googleMaps", "fileSearch")
FUNCTION_DECLARATION = _fields("name", "description", "parameters", "parametersJsonSchema", "response",
                               "responseJsonSchema", "behavior")
TOOL_CONFIG = _fields("functionCallingConfig", "retrievalConfig")
FUNCTION_CALLING_CONFIG = _fields("mode", "allowedFunctionNames")
SAFETY_SETTING = _fields("category", "threshold", "method")
GENERATION_CONFIG = _fields(
    "temperature", "topP", "topK", "candidateCount", "maxOutputTokens", "stopSequences", "responseLogprobs",
    "logprobs", "presencePenalty", "frequencyPenalty", "seed", "responseMimeType", "responseSchema",
    "responseJsonSchema", "routingConfig", "modelSelectionConfig", "responseModalities", "mediaResolution",
    "speechConfig", "audioTimestamp", "thinkingConfig", "imageConfig", "enableEnhancedCivicAnswers",
    "enableAffectiveDialog")
THINKING_CONFIG = _fields("includeThoughts", "thinkingBudget", "thinkingLevel")
# §5.1: the keys of the Vertex Schema message.
SCHEMA = _fields("type", "format", "title", "description", "nullable", "default", "example", "enum", "items",
                 "minItems", "maxItems", "properties", "required", "propertyOrdering", "minProperties",
                 "maxProperties", "minLength", "maxLength", "pattern", "minimum", "maximum", "anyOf")
SCHEMA_TYPES = frozenset({"TYPE_UNSPECIFIED", "STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL"})
# Code Assist's envelope; the Antigravity extras are accepted too (§9).
CODE_ASSIST_ENVELOPE = _fields("model", "project", "userPromptId", "request", "enabledCreditTypes", "requestId",
                               "userAgent", "requestType")


def _known(key: str, camel_names: frozenset[str]) -> bool:
    if key in camel_names:
        return True
    parts = key.split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:]) in camel_names


class ProtoJsonCheck:
    """Collects field violations for one request; `violations` is empty when the JSON parses."""

    def __init__(self, signature_secret: bytes) -> None:
        self.secret = signature_secret
        self.violations: list[dict[str, str]] = []

    # -------------------------------------------------------------- reporting

    def unknown(self, key: str, path: str) -> None:
        where = f" at '{path}'" if path else ""
        text = f'Invalid JSON payload received. Unknown name "{key}"{where}: Cannot find field.'
        self.violations.append({"field": path, "description": text} if path else {"description": text})

    def bad_value(self, path: str, proto_type: str, value: Any) -> None:
        shown = f'"{value}"' if isinstance(value, str) else str(value).replace("'", '"')
        text = f"Invalid value at '{path}' ({proto_type}), {shown}"
        self.violations.append({"field": path, "description": text})

    def not_repeating(self, path: str) -> None:
        self.violations.append({"field": path, "description":
                                "Invalid JSON payload received. Proto field is not repeating, cannot start list."})

    # -------------------------------------------------------------- walking

    def message(self, obj: Any, names: frozenset[str], path: str) -> Mapping[str, Any]:
        if not isinstance(obj, Mapping):
            self.bad_value(path, "message", obj)
            return {}
        for key in obj:
            if not _known(key, names):
                self.unknown(key, path)
        return obj

    def repeated(self, value: Any, path: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.bad_value(path, "repeated", value)
            return []
        return value

    def request(self, body: Any, prefix: str) -> None:
        """``prefix`` is ``"request"`` on Code Assist and ``""`` on the public API."""
        join = (lambda name: f"{prefix}.{name}") if prefix else (lambda name: name)
        req = self.message(body, REQUEST, prefix)
        for i, content in enumerate(self.repeated(_get(req, "contents"), join("contents"))):
            self.content(content, join(f"contents[{i}]"))
        if _get(req, "systemInstruction") is not None:
            self.content(_get(req, "systemInstruction"), join("system_instruction"))
        for t, tool in enumerate(self.repeated(_get(req, "tools"), join("tools"))):
            self.tool(tool, join(f"tools[{t}]"))
        if _get(req, "toolConfig") is not None:
            config = self.message(_get(req, "toolConfig"), TOOL_CONFIG, join("tool_config"))
            if _get(config, "functionCallingConfig") is not None:
                self.message(_get(config, "functionCallingConfig"), FUNCTION_CALLING_CONFIG,
                             join("tool_config.function_calling_config"))
        for s, setting in enumerate(self.repeated(_get(req, "safetySettings"), join("safety_settings"))):
            self.message(setting, SAFETY_SETTING, join(f"safety_settings[{s}]"))
        if _get(req, "generationConfig") is not None:
            config = self.message(_get(req, "generationConfig"), GENERATION_CONFIG, join("generation_config"))
            if _get(config, "thinkingConfig") is not None:
                self.message(_get(config, "thinkingConfig"), THINKING_CONFIG, join("generation_config.thinking_config"))

    def content(self, obj: Any, path: str) -> None:
        content = self.message(obj, CONTENT, path)
        role = content.get("role")
        if role is not None and not isinstance(role, str):
            self.bad_value(f"{path}.role", "TYPE_STRING", role)
        for j, part in enumerate(self.repeated(content.get("parts"), f"{path}.parts")):
            self.part(part, f"{path}.parts[{j}]")

    def part(self, obj: Any, path: str) -> None:
        part = self.message(obj, PART, path)
        text = part.get("text")
        if text is not None and not isinstance(text, str):
            self.bad_value(f"{path}.text", "TYPE_STRING", text)
        signature = _get(part, "thoughtSignature")
        if signature is not None:
            # B4: bytes that do not decode fail at parse time, for every model.
            if not isinstance(signature, str) or check_signature(self.secret, signature) is SignatureCheck.NOT_BASE64:
                shown = signature if isinstance(signature, str) else str(signature)
                self.violations.append({"field": f"{path}.thought_signature", "description":
                                        f"Invalid value at '{path}.thought_signature' (TYPE_BYTES), "
                                        f'Base64 decoding failed for "{shown}"'})
        if _get(part, "inlineData") is not None:
            self.message(_get(part, "inlineData"), BLOB, f"{path}.inline_data")
        if _get(part, "fileData") is not None:
            self.message(_get(part, "fileData"), FILE_DATA, f"{path}.file_data")
        call = _get(part, "functionCall")
        if call is not None:
            call = self.message(call, FUNCTION_CALL, f"{path}.function_call")
            if call.get("args") is not None and not isinstance(call.get("args"), Mapping):
                self.bad_value(f"{path}.function_call.args", "type.googleapis.com/google.protobuf.Struct", call["args"])
        response = _get(part, "functionResponse")
        if response is not None:
            response = self.message(response, FUNCTION_RESPONSE, f"{path}.function_response")
            if response.get("response") is not None and not isinstance(response.get("response"), Mapping):
                self.bad_value(f"{path}.function_response.response", "type.googleapis.com/google.protobuf.Struct",
                               response["response"])

    def tool(self, obj: Any, path: str) -> None:
        tool = self.message(obj, TOOL, path)
        for d, decl in enumerate(self.repeated(_get(tool, "functionDeclarations"), f"{path}.function_declarations")):
            decl_path = f"{path}.function_declarations[{d}]"
            decl = self.message(decl, FUNCTION_DECLARATION, decl_path)
            if decl.get("parameters") is not None:
                self.schema(decl["parameters"], f"{decl_path}.parameters")
            if decl.get("response") is not None:
                self.schema(decl["response"], f"{decl_path}.response")

    def schema(self, obj: Any, path: str) -> None:
        """B1: one violation per unknown key, recursing through properties, items and anyOf."""
        schema = self.message(obj, SCHEMA, path)
        kind = schema.get("type")
        if isinstance(kind, list):
            self.not_repeating(f"{path}.type")
        elif kind is not None and (not isinstance(kind, str) or kind.upper() not in SCHEMA_TYPES):
            self.bad_value(f"{path}.type", "type.googleapis.com/google.cloud.aiplatform.v1beta1.Type", kind)
        for e, value in enumerate(self.repeated(schema.get("enum"), f"{path}.enum")):
            if not isinstance(value, str):
                self.bad_value(f"{path}.enum[{e}]", "TYPE_STRING", value)
        properties = schema.get("properties")
        if isinstance(properties, Mapping):
            for i, value in enumerate(properties.values()):
                self.schema(value, f"{path}.properties[{i}].value")
        elif properties is not None:
            self.bad_value(f"{path}.properties", "map", properties)
        if schema.get("items") is not None:
            self.schema(schema["items"], f"{path}.items")
        for k, branch in enumerate(self.repeated(_get(schema, "anyOf"), f"{path}.any_of")):
            self.schema(branch, f"{path}.any_of[{k}]")

    def envelope(self, body: Any) -> Mapping[str, Any]:
        """Code Assist's top level: unknown names there have no ``at '…'`` location."""
        if not isinstance(body, Mapping):
            self.bad_value("", "message", body)
            return {}
        for key in body:
            if not _known(key, CODE_ASSIST_ENVELOPE):
                self.unknown(key, "")
        return body


def _get(obj: Any, camel: str) -> Any:
    if not isinstance(obj, Mapping):
        return None
    if camel in obj:
        return obj[camel]
    return obj.get(snake(camel))

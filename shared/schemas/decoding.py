"""Decode client bodies into Structs once, and turn every failure into a message fit for a 400.

STYLE.md "Types at the edges": a handler calls ``decode_client_body(body, MessagesRequest)`` and either gets
typed data or a ``ClientBodyError`` whose ``message`` goes verbatim into the client's
``invalid_request_error``. The message names the field the way msgspec reports it, minus the ``$.``
prefix: ``messages[0].content: Expected `str | array`, got `int```.

This module also implements *open tagged unions* (``OpenUnion`` / ``register_open_union``): msgspec's tagged
unions reject an unknown tag, but a gateway must not 400 a whole Claude Code request because Anthropic
shipped a new content-block type. An open union decodes known tags strictly into their Struct and keeps an
unknown tag as a raw ``dict`` subclass (e.g. ``UnknownBlock``) that re-encodes byte-for-byte the same, so a
translator can skip it or reject it *by name*.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec

__all__ = [
    "ClientBodyError",
    "OpenUnion",
    "convert",
    "decode_client_body",
    "decoder_for",
    "register_open_union",
    "sent_fields",
    "split_validation_message",
]

T = TypeVar("T")


class ClientBodyError(ValueError):
    """A request body we refuse. ``message`` is safe and useful to show the client as-is.

    ``path`` is the offending field in dotted/indexed form (``messages[0].content``) when one is known,
    so an error builder can fill OpenAI's ``param`` member.
    """

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


# --------------------------------------------------------------------------------------------------
# Open tagged unions
# --------------------------------------------------------------------------------------------------


class OpenUnion:
    """Marker base for a family of tagged Structs that must tolerate unknown tags.

    Subclass it once per family (``class ContentBlock(OpenUnion): __slots__ = ()``), make every member
    Struct inherit from that subclass, annotate fields with the subclass (``list[ContentBlock]``) and
    call ``register_open_union``. msgspec treats the subclass as a custom type: it hands the raw JSON
    value to our decode hook, which dispatches on the tag. Members are therefore real instances of the
    base, so ``isinstance(block, ContentBlock)`` holds for every decoded element.
    """

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class _OpenUnionSpec:
    tag_field: str
    members: dict[str, type]
    unknown: Callable[[dict[str, Any]], Any]
    missing_tag: type | None


_OPEN_UNIONS: dict[type, _OpenUnionSpec] = {}
_MISSING = object()

_JSON_KIND = {dict: "object", list: "array", str: "str", int: "int", float: "float", bool: "bool"}


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    return _JSON_KIND.get(type(value), type(value).__name__)


def register_open_union(
    base: type[OpenUnion],
    members: dict[str, type],
    *,
    unknown: Callable[[dict[str, Any]], Any],
    tag_field: str = "type",
    missing_tag: type | None = None,
) -> None:
    """Declare how to decode values annotated as ``base``.

    ``members`` maps a tag value to the Struct that decodes it strictly; any other string tag becomes
    ``unknown(raw_dict)``; ``missing_tag`` is the member used when the tag field is absent (Anthropic custom
    tools may omit ``type``), otherwise an absent tag is an error naming the field.
    """
    _OPEN_UNIONS[base] = _OpenUnionSpec(tag_field, dict(members), unknown, missing_tag)


def _decode_hook(type_: type, value: Any) -> Any:
    spec = _OPEN_UNIONS.get(type_)
    if spec is None:
        raise NotImplementedError(f"no decoder for {type_!r}")
    if type(value) is not dict:
        raise ValueError(f"Expected `object`, got `{_json_kind(value)}`")
    tag = value.get(spec.tag_field, _MISSING)
    if tag is _MISSING:
        if spec.missing_tag is None:
            raise ValueError(f"Object missing required field `{spec.tag_field}`")
        member = spec.missing_tag
    elif type(tag) is not str:
        raise ValueError(f"Expected `str`, got `{_json_kind(tag)}` - at `$.{spec.tag_field}`")
    else:
        member = spec.members.get(tag)
        if member is None:
            return spec.unknown(value)
    try:
        return msgspec.convert(value, member, dec_hook=_decode_hook)
    except msgspec.ValidationError as exc:
        # Re-raise as ValueError so the enclosing decoder appends the outer path ("… - at `$.text`
        # - at `$.messages[0].content[0]`"); a ValidationError would escape with only the inner path.
        raise ValueError(str(exc)) from None


# --------------------------------------------------------------------------------------------------
# Decoders and error messages
# --------------------------------------------------------------------------------------------------

_DECODERS: dict[Any, msgspec.json.Decoder[Any]] = {}


def decoder_for(type_: type[T]) -> msgspec.json.Decoder[T]:
    """The process-wide JSON decoder for ``type_`` (built once; knows the open unions).

    Use this rather than ``msgspec.json.decode(..., type=...)`` for any type that contains an open
    union (Anthropic content blocks and tools, OpenAI content parts and tools).
    """
    decoder = _DECODERS.get(type_)
    if decoder is None:
        decoder = msgspec.json.Decoder(type_, dec_hook=_decode_hook)
        _DECODERS[type_] = decoder
    return decoder


def convert(value: Any, type_: type[T]) -> T:
    """``msgspec.convert`` from already-parsed builtins, with open-union support (for tests and fixtures)."""
    return msgspec.convert(value, type_, dec_hook=_decode_hook)


def sent_fields(obj: msgspec.Struct) -> list[str]:
    """Wire names of the members of a decoded body that the client set to a non-default value.

    Lets a translator reject unsupported parameters by name:
    ``bad = sorted(set(sent_fields(req)) & UNSUPPORTED)``. An explicit ``null`` counts as "not set".
    """
    names: list[str] = []
    for field in msgspec.structs.fields(obj):
        value = getattr(obj, field.name)
        if field.required:
            names.append(field.encode_name)
            continue
        default = field.default if field.default_factory is msgspec.NODEFAULT else field.default_factory()
        if value != default:
            names.append(field.encode_name)
    return names


_AT_PATH = re.compile(r" - at `(\$[^`]*)`$")


def split_validation_message(message: str) -> tuple[str, str | None]:
    """Split msgspec's ``"<what> - at `$.a` - at `$.b`"`` into ``("<what>", "b.a")``.

    Several ``- at`` suffixes appear when a ValueError raised inside a nested convert (open unions,
    ``__post_init__``) is wrapped by the outer decoder; the last suffix is the outermost path.
    """
    paths: list[str] = []
    match = _AT_PATH.search(message)
    while match is not None:
        paths.append(match.group(1))
        message = message[: match.start()]
        match = _AT_PATH.search(message)
    if not paths:
        return message, None
    joined = "".join(p[1:] for p in paths)  # outermost first; each path starts with "$"
    return message, joined.removeprefix(".") or None


def _invalid_utf8_message(body: bytes) -> str:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = body[exc.start : exc.start + 1].hex()
        return f"Request body is not valid UTF-8: invalid byte 0x{bad} at offset {exc.start}"
    return "Request body is not valid UTF-8"


def decode_client_body(body: bytes | bytearray | memoryview, type_: type[T]) -> T:
    """Parse a client's JSON body into ``type_`` or raise ``ClientBodyError`` with a client-facing message.

    Unknown members are ignored (msgspec's default; clients send fields we do not model, e.g. betas).
    """
    data = bytes(body)  # no copy when it already is bytes (aiohttp's request.read())
    if not data or data.isspace():
        raise ClientBodyError("Request body is empty; expected a JSON object")
    try:
        return decoder_for(type_).decode(data)
    except msgspec.ValidationError as exc:
        what, path = split_validation_message(str(exc))
        if path is None and what.startswith("Expected `object`, got "):
            got = what.removeprefix("Expected `object`, got ")
            raise ClientBodyError(f"Request body must be a JSON object, got {got}") from None
        raise ClientBodyError(f"{path}: {what}" if path else what, path=path) from None
    except msgspec.DecodeError as exc:
        raise ClientBodyError(f"Request body is not valid JSON: {exc}") from None
    except UnicodeDecodeError:
        raise ClientBodyError(_invalid_utf8_message(data)) from None

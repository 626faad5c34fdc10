"""Typed wire schemas (msgspec Structs) for every API the gateway speaks.

Client side: ``anthropic`` (Messages API), ``openai`` (Chat Completions). Upstream side: ``amazonq``
(GenerateAssistantResponse, management calls, errors; stream events in ``amazonq_events``) and ``gemini``
(Code Assist v1internal). ``decoding`` turns client bodies into Structs or a ``ClientBodyError`` whose
message is the client's 400.

Several dialects reuse names (``ImageBlock``, ``Tool``, ``CountTokensRequest`` …), so import modules, not
names, where two meet: ``from shared.schemas import anthropic, amazonq``.
"""

from .decoding import ClientBodyError, decode_client_body

__all__ = ["ClientBodyError", "decode_client_body"]

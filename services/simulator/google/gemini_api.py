"""The public Gemini API (``generativelanguage.googleapis.com``) with API keys, under ``/gemini``.

Same generation behaviour as Code Assist, but (differences a bridge must handle):

* no envelope — request and every SSE event are a bare ``GenerateContentRequest`` / ``…Response``;
* the key comes as ``x-goog-api-key`` or ``?key=``; none → 403 "unregistered callers", a bad one → 400
  ``API_KEY_INVALID`` (never 401);
* chunks number their candidate (``index: 0``) and repeat cumulative ``usageMetadata``;
* 429s speak "Please retry in Ns." with QuotaFailure + RetryInfo, not "Your quota will reset after";
* roles are ``user``/``model`` only, and the missing-signature message uses the AI Studio wording.

SSE framing: Google's reference docs do not specify line endings; the official JS SDK splits events on
``\\n\\n``, ``\\r\\r`` or ``\\r\\n\\r\\n`` alike. Google front ends terminate lines with CRLF (examples
"Conventions"), so the simulator sends CRLF here too; the ``lf_framing`` fault switches to LF.
Error bodies are objects (``gemini_api_stream_error_array`` switches the streaming method to arrays).
"""

from __future__ import annotations

from aiohttp import web

from services.simulator.google import errors, faults
from services.simulator.google.catalogue import GEMINI_API_MODELS, INPUT_TOKEN_LIMIT, OUTPUT_TOKEN_LIMIT
from services.simulator.google.codeassist import json_body, json_ok
from services.simulator.google.generation import GenerateCall, answer_generate
from services.simulator.google.proto_json import ProtoJsonCheck
from services.simulator.google.request_log import errors_as_array, logged, note
from services.simulator.google.state import GOOGLE_SIM, ApiKey
from services.simulator.google.validate import GEMINI_API, check_contents, validate_generate
from services.simulator.google.view import member, request_tokens


def _api_key(request: web.Request) -> ApiKey:
    sim = request.app[GOOGLE_SIM]
    key = request.headers.get("x-goog-api-key") or request.query.get("key")
    if not key:
        raise faults.api_key_missing()
    record = sim.api_keys.get(key)
    if record is None or record.revoked:
        raise faults.api_key_invalid()
    note(request, principal=key)
    return record


def _models_for(key: ApiKey) -> list[str]:
    return [m for m in GEMINI_API_MODELS if key.models is None or m in key.models]


def _model_resource(model: str) -> dict[str, object]:
    return {"name": f"models/{model}", "version": "001", "displayName": model, "description": f"Simulated {model}",
            "inputTokenLimit": INPUT_TOKEN_LIMIT, "outputTokenLimit": OUTPUT_TOKEN_LIMIT,
            "supportedGenerationMethods": ["generateContent", "countTokens"], "temperature": 1, "topP": 0.95,
            "topK": 64, "maxTemperature": 2, "thinking": True}


@logged("gemini")
async def model_method(request: web.Request) -> web.StreamResponse:
    """``POST /gemini/{v1beta|v1}/models/{model}:{generateContent|streamGenerateContent|countTokens}``."""
    model, _, method = request.match_info["target"].rpartition(":")
    streaming = method == "streamGenerateContent"
    sim = request.app[GOOGLE_SIM]
    if streaming and sim.config.gemini_api_stream_error_array:
        errors_as_array(request)
    if method not in ("generateContent", "streamGenerateContent", "countTokens"):
        raise errors.method_not_found()
    key = _api_key(request)
    note(request, model=model)
    if model not in _models_for(key):
        raise errors.gemini_api_model_not_found(model, method)
    body = await json_body(request)
    if method == "countTokens":
        return _count_tokens(request, body)
    validate_generate(body, model, GEMINI_API, sim.signature_secret)
    call = GenerateCall(principal=key.key, model=model, body=body, dialect=GEMINI_API, streaming=streaming,
                        sse=request.query.get("alt") == "sse")
    return await answer_generate(request, call)


def _count_tokens(request: web.Request, body: dict) -> web.Response:
    """``{contents}`` or ``{generateContentRequest: {model, contents, …}}`` → ``{totalTokens}``."""
    inner = member(body, "generateContentRequest") or body
    check = ProtoJsonCheck(request.app[GOOGLE_SIM].signature_secret)
    check.request(inner, "generate_content_request" if inner is not body else "")
    if check.violations:
        raise errors.invalid_json(check.violations)
    check_contents(list(member(inner, "contents") or []), GEMINI_API)
    total = request_tokens(inner)
    return json_ok({"totalTokens": total, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": total}]})


@logged("gemini")
async def list_models(request: web.Request) -> web.Response:
    key = _api_key(request)
    return json_ok({"models": [_model_resource(m) for m in _models_for(key)]})


@logged("gemini")
async def get_model(request: web.Request) -> web.Response:
    key = _api_key(request)
    model = request.match_info["model"]
    if model not in _models_for(key):
        raise errors.gemini_api_model_not_found(model, "generateContent")
    return json_ok(_model_resource(model))


def add_gemini_api_routes(app: web.Application) -> None:
    app.router.add_post("/gemini/{version:v1beta|v1}/models/{target:[^/]+:[A-Za-z]+}", model_method)
    app.router.add_get("/gemini/{version:v1beta|v1}/models", list_models)
    app.router.add_get("/gemini/{version:v1beta|v1}/models/{model:[^/:]+}", get_model)

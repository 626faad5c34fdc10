"""OpenAI Chat Completions schemas (client side of the gateway): one import point.

Split for size into ``openai_request`` (the request body) and ``openai_response`` (completion, chunks,
errors, models). Facts: /work/shared/protocols/client-apis.md §2. Import the module when another dialect is
in scope: ``from shared.schemas import openai as oai`` (the name ``openai`` also belongs to the SDK).
"""

from .openai_request import *  # noqa: F403
from .openai_request import __all__ as _request_all
from .openai_response import *  # noqa: F403
from .openai_response import __all__ as _response_all

__all__ = [*_request_all, *_response_all]

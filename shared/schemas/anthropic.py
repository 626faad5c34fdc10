"""Anthropic Messages API schemas (client side of the gateway): one import point.

Split for size into ``anthropic_blocks`` (content blocks), ``anthropic_request`` (request bodies) and
``anthropic_response`` (``Message``, stream events, errors). Facts: /work/shared/protocols/client-apis.md §1.

Import the module rather than the names when another dialect is in scope, e.g.
``from shared.schemas import anthropic, amazonq`` then ``anthropic.ImageBlock`` vs ``amazonq.ImageBlock``.
"""

from .anthropic_blocks import *  # noqa: F403
from .anthropic_blocks import __all__ as _blocks_all
from .anthropic_request import *  # noqa: F403
from .anthropic_request import __all__ as _request_all
from .anthropic_response import *  # noqa: F403
from .anthropic_response import __all__ as _response_all

__all__ = [*_blocks_all, *_request_all, *_response_all]

"""Amazon Q Developer (CodeWhisperer streaming) upstream schemas: one import point.

Split for size into ``amazonq_request`` (the ``GenerateAssistantResponse`` body, amazonq.md §2),
``amazonq_management`` (``ListAvailableModels``, ``GetUsageLimits``, §7) and ``amazonq_errors`` (HTTP error
bodies, §4.1). Stream event Structs live in ``amazonq_events`` (owned separately).

Encode with ``msgspec.json.encode(request)``: field names come out camelCase exactly as on the wire and no
member is ever ``null``.
"""

from .amazonq_errors import *  # noqa: F403
from .amazonq_errors import __all__ as _errors_all
from .amazonq_management import *  # noqa: F403
from .amazonq_management import __all__ as _management_all
from .amazonq_request import *  # noqa: F403
from .amazonq_request import __all__ as _request_all

__all__ = [*_request_all, *_management_all, *_errors_all]

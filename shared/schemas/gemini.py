"""Gemini Code Assist (``cloudcode-pa.googleapis.com/v1internal``) upstream schemas: one import point.

Split for size into ``gemini_content`` (Content, Part, tools, generation config), ``gemini_generate``
(request/response envelopes, usage, countTokens), ``gemini_setup`` (loadCodeAssist, onboardUser,
retrieveUserQuota) and ``gemini_errors`` (error bodies as object or array). Facts:
/work/shared/protocols/gemini-code-assist.md §2, §3, §5, §6, §7.1 and gemini-code-assist-examples.md.
"""

from .gemini_content import *  # noqa: F403
from .gemini_content import __all__ as _content_all
from .gemini_errors import *  # noqa: F403
from .gemini_errors import __all__ as _errors_all
from .gemini_generate import *  # noqa: F403
from .gemini_generate import __all__ as _generate_all
from .gemini_setup import *  # noqa: F403
from .gemini_setup import __all__ as _setup_all

__all__ = [*_content_all, *_generate_all, *_setup_all, *_errors_all]

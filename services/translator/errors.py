"""Errors a conversion raises when a request cannot be served faithfully.

They carry a message fit for the client (what is wrong, what to do) and become a 400 — or the status
given — in the client's dialect. A conversion never raises anything else for bad input.
"""

from __future__ import annotations


class ConversionError(ValueError):
    def __init__(self, message: str, *, param: str | None = None, status: int = 400,
                 error_type: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.status = status
        self.error_type = error_type

"""The base of every domain error, and the registry the API schema reads.

A domain package subclasses :class:`DomainError` with a ``code``, an HTTP
``status_code`` and a ``default_message``; the API's error handler turns any
of them into the error format, and the schema documents every registered code
without knowing the domain's modules.
"""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """Base of every business-rule failure the API reports."""

    code = "domain_error"
    status_code = 400
    default_message = "The request breaks a business rule."
    registered: ClassVar[list[type[DomainError]]] = []

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        DomainError.registered.append(cls)

    def __init__(self, message: str | None = None, *, attr: str | None = None) -> None:
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.attr = attr

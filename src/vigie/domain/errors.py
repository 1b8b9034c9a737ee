"""Errors of the domain layer. Entry points translate them into their own answers."""

from __future__ import annotations

__all__ = ["DomainError", "InvalidValue", "NotFound"]


class DomainError(Exception):
    """Base of everything the domain refuses."""


class InvalidValue(DomainError):
    """A value that breaks a rule; names the field and what was expected."""

    def __init__(self, field: str, expected: str) -> None:
        super().__init__(f"{field}: expected {expected}")
        self.field = field
        self.expected = expected


class NotFound(DomainError):
    """The thing asked for does not exist."""

"""Hours for people: exact decimals written without trailing zeros."""

from __future__ import annotations

from decimal import Decimal

__all__ = ["format_hours"]


def format_hours(hours: Decimal) -> str:
    """Hours for people: exact, without trailing zeros (``30``, ``29.9``, ``0.25``)."""
    if not hours:
        return "0"
    text = str(hours)
    if "E" in text or "e" in text:  # scientific notation, e.g. Decimal("1E+1")
        return format(hours.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text

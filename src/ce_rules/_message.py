"""Bilingual texts: every message ce-rules shows people exists in Chinese and in English."""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, StringConstraints

__all__ = ["LANGS", "Message"]

#: The languages of every message, Chinese first (the default of the command line).
LANGS: Final = ("zh", "en")

_Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class Message(BaseModel):
    """A text in Chinese and in English.

    Attributes:
        zh: The Chinese text.
        en: The English text.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    zh: _Text
    en: _Text

    def in_(self, lang: str) -> str:
        """The text in ``lang`` (``"zh"`` or ``"en"``)."""
        if lang == "zh":
            return self.zh
        if lang == "en":
            return self.en
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")

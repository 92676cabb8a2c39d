"""The domain model accepts valid records exactly and rejects bad ones by field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

import ce_rules as ce
from ce_rules.testing import make_course, make_entry, make_person


def _error_fields(error: ValidationError) -> set[str]:
    return {".".join(str(p) for p in e["loc"]) for e in error.errors()}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("10", Decimal(10)),
        (10, Decimal(10)),
        (Decimal("152.5"), Decimal("152.5")),
        (0.5, Decimal("0.5")),
        (0.1, Decimal("0.1")),
        (" 2.25 ", Decimal("2.25")),
        ("1000", Decimal(1000)),
        ("0.01", Decimal("0.01")),
        ("10.000", Decimal("10.000")),
    ],
)
def test_hours_are_read_exactly(given: Any, expected: Decimal) -> None:
    """Strings, ints, decimals and short floats become the exact decimal they denote."""
    course = make_course(hours=given)
    assert course.hours == expected
    assert isinstance(course.hours, Decimal)


@pytest.mark.parametrize(
    "given",
    [
        0,
        "0",
        -1,
        "-0.5",
        "NaN",
        float("nan"),
        float("inf"),
        "Infinity",
        "1000.01",
        10_000,
        0.30000000000000004,
        "0.005",
        "1.234",
        True,
        "ten",
        "",
        None,
        [1],
    ],
)
def test_bad_hours_are_rejected_naming_the_field(given: Any) -> None:
    """Zero, negatives, NaN, infinities, absurd sizes and excess decimals are refused."""
    with pytest.raises(ValidationError) as caught:
        make_course(hours=given)
    assert "hours" in _error_fields(caught.value)


def test_entry_hours_may_be_partial_but_never_more_than_the_course() -> None:
    """An entry may record fewer hours than its course (partial credit), never more."""
    course = make_course(hours=10)
    assert make_entry(course=course, hours="7.5").effective_hours == Decimal("7.5")
    assert make_entry(course=course).effective_hours == Decimal(10)
    with pytest.raises(ValidationError, match="more than the course"):
        make_entry(course=course, hours="10.5")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("person_id", ""),
        ("person_id", "   "),
        ("completed_on", "2024-02-30"),
        ("completed_on", "2024-13-01"),
        ("completed_on", "yesterday"),
        ("completed_on", "05/01/2024"),
        ("role", "student"),
        ("status", "approved?"),
        ("credited_year", 1900),
        ("id", "R 1"),
    ],
)
def test_bad_entry_fields_are_rejected_by_name(field: str, value: Any) -> None:
    """Empty ids, impossible dates and unknown enum strings name their field."""
    data = {"person_id": "P1", "course": make_course(), "completed_on": date(2024, 5, 1)}
    data[field] = value
    with pytest.raises(ValidationError) as caught:
        ce.CreditEntry.model_validate(data)
    assert field in _error_fields(caught.value)


def test_unknown_fields_are_refused() -> None:
    """A misspelt field is an error, not silently ignored."""
    with pytest.raises(ValidationError) as caught:
        ce.Person.model_validate({"id": "P1", "unit": "provincial", "citty": "济南市"})
    assert "citty" in _error_fields(caught.value)


@pytest.mark.parametrize(
    ("enum", "value"),
    [
        (ce.Category, "publik"),
        (ce.Mode, "hybrid"),
        (ce.UnitLevel, "county"),
    ],
)
def test_unknown_enum_strings_are_rejected(enum: type, value: str) -> None:
    """String-valued enums refuse values they do not know."""
    with pytest.raises(ValueError, match=value):
        enum(value)


def test_enums_are_string_valued() -> None:
    """Enum members compare equal to their string values, for JSON and CSV."""
    assert ce.Category.PUBLIC == "public"
    assert ce.Role("instructor") is ce.Role.INSTRUCTOR
    assert ce.EntryStatus.APPROVED.label == "已审核"
    assert ce.Category.PROFESSIONAL.label == "专业科目"


def test_entry_defaults() -> None:
    """An entry is a learner's approved entry credited to its completion year by default."""
    entry = make_entry(completed_on=date(2024, 12, 31))
    assert entry.role is ce.Role.LEARNER
    assert entry.status is ce.EntryStatus.APPROVED
    assert entry.year == 2024


def test_make_up_study_credits_an_earlier_year_only() -> None:
    """A credited year may precede the completion year (补学), never follow it."""
    assert make_entry(completed_on=date(2025, 2, 1), credited_year=2024).year == 2024
    with pytest.raises(ValidationError, match="credited_year"):
        make_entry(completed_on=date(2024, 2, 1), credited_year=2025)


def test_public_topics_accept_chinese_labels_and_free_text() -> None:
    """Topics named as in 二(一) become PublicTopic members; other text is kept as is."""
    course = make_course(topics=["黄河流域生态保护和高质量发展", "digital_technology", "区块链"])
    assert course.topics == (
        ce.PublicTopic.YELLOW_RIVER,
        ce.PublicTopic.DIGITAL_TECHNOLOGY,
        "区块链",
    )
    assert ce.PublicTopic.XI_JINPING_THOUGHT.label == "习近平新时代中国特色社会主义思想"
    assert len(ce.PublicTopic) == 14


@pytest.mark.parametrize(
    ("category", "mode"),
    [(ce.Category.PROFESSIONAL, ce.Mode.ONLINE), (ce.Category.PUBLIC, ce.Mode.OFFLINE)],
)
def test_only_online_public_courses_can_be_featured(category: ce.Category, mode: ce.Mode) -> None:
    """优质在线公需课 (二(三)) are online public courses; any other featured course is an error."""
    with pytest.raises(ValidationError, match="featured"):
        make_course(category=category, mode=mode, featured=True)


def test_models_are_frozen() -> None:
    """Values cannot change after they are built."""
    person = make_person()
    with pytest.raises(ValidationError):
        person.id = "other"  # type: ignore[misc]


def test_person_round_trips_through_json() -> None:
    """A person read back from its JSON equals the original."""
    person = make_person(name="张三", unit=ce.UnitLevel.MUNICIPAL, city="青岛市")
    assert ce.Person.model_validate_json(person.model_dump_json()) == person

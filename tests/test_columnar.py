"""The columnar engine judges exactly as ``evaluate`` does, field by field (the proof of it)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

import ce_rules as ce
from _policies import NATIONAL, STRICT_NATIONAL, VARIANT  # tests/_policies.py
from ce_rules._columnar import ENTRY_SCHEMA, PERSON_SCHEMA, judge_table
from ce_rules._engine import topic_findings
from ce_rules.kinds._base import UNITS_PER_HOUR

ROOT = Path(__file__).parent.parent
BASE = ce.get_policy("shandong", 2024)
POLICIES = (
    BASE,
    VARIANT,
    NATIONAL,
    STRICT_NATIONAL,
    ce.merge_overlay(BASE, ce.load_overlay(ROOT / "examples/overlays/example-city-2024.toml")),
    ce.merge_overlay(BASE, ce.load_overlay(ROOT / "tests/data/overlays/city-loosen.toml")),
)
#: Recognised, an alias of one under the variant policy only, another, none.
PLATFORMS = ("山东开放大学", "专技知到", "专技知到平台", "某培训网", None)
#: Topics recorded (none, a key series, others) and not recorded (None, decision 14).
TOPICS = ((), ("黄河流域生态保护和高质量发展",), ("数字技术", "自定专题"), None, None)
#: Days on both sides of the year's ends, of a city's 31 October deadline, and within it:
#: few, so that copies of one entry (same course, role and day) are frequent.
DAYS = (
    date(2023, 12, 31), date(2024, 1, 1), date(2024, 3, 15), date(2024, 6, 30),
    date(2024, 10, 31), date(2024, 11, 1), date(2024, 12, 31), date(2025, 1, 1),
)  # fmt: skip


def _polars_type(name: str) -> Any:
    if name == "List(String)":
        return pl.List(pl.String)
    return getattr(pl, name)


@st.composite
def courses(draw: st.DrawFn, open_facts: bool = False) -> ce.Course:
    """Courses of every kind, with the facts a record may leave unknown sometimes unknown."""
    category = draw(st.sampled_from(ce.Category))
    modes = [ce.Mode.ONLINE, None, None] if open_facts else [ce.Mode.ONLINE, ce.Mode.OFFLINE, None]
    mode = draw(st.sampled_from(modes))
    can_feature = category is ce.Category.PUBLIC and mode is not ce.Mode.OFFLINE
    featured = (
        draw(st.sampled_from([False, True, None]))
        if can_feature
        else draw(st.sampled_from([False, None]))
    )
    return ce.Course(
        id=draw(st.sampled_from(["C1", "C2", "C3"])),
        title=draw(st.sampled_from(["甲", "乙"])),
        category=category,
        hours=draw(st.sampled_from(["0.5", "12.25", "30", "30", "45", "60", "60"])),
        mode=mode,
        platform=draw(st.sampled_from(PLATFORMS)),
        featured=featured,
        topics=draw(st.sampled_from(TOPICS)),
    )


@st.composite
def cases(
    draw: st.DrawFn, open_facts: bool = False
) -> tuple[list[ce.Person], list[ce.CreditEntry], date | None, ce.Policy]:
    """Persons (some with the unit unknown), their entries, an evaluation day and a policy.

    With ``open_facts``, the facts a record may leave unknown mostly are, and the years
    mostly meet the minimums without the open hours or with them: undetermined verdicts.
    """
    ids = ["370102198001011234", "370102199001015678", "A"]
    units = [None] if open_facts else [*ce.UnitLevel, None]
    persons = [
        ce.Person(id=pid, unit=draw(st.sampled_from(units)), city="济南市")
        for pid in ids[: draw(st.integers(1, 3))]
    ]
    pool = draw(st.lists(courses(open_facts), min_size=1, max_size=6))
    entries = []
    for _ in range(draw(st.integers(0, 8 if open_facts else 30))):
        course = draw(st.sampled_from(pool))
        day = draw(st.sampled_from(DAYS[2:5] if open_facts else DAYS))
        hours = draw(st.sampled_from([None, None, "0.5", "5"]))
        if hours is not None and Decimal(hours) > course.hours:
            hours = None
        entries.append(
            ce.CreditEntry(
                id=draw(st.sampled_from([None, "R1", "R2", "R10"])),
                person_id=draw(st.sampled_from([p.id for p in persons])),
                course=course,
                role=draw(
                    st.sampled_from(
                        [ce.Role.LEARNER] * (3 if open_facts else 1) + [ce.Role.INSTRUCTOR]
                    )
                ),
                completed_on=day,
                hours=hours,
                credited_year=None
                if open_facts
                else draw(st.sampled_from([None, None, None, None, day.year - 1])),
                status=ce.EntryStatus.APPROVED
                if open_facts
                else draw(st.sampled_from([*ce.EntryStatus, *[ce.EntryStatus.APPROVED] * 4])),
            )
        )
    if open_facts:
        return persons, entries, None, draw(st.sampled_from(POLICIES))
    as_of = draw(st.none() | st.dates(min_value=date(2024, 3, 1), max_value=date(2025, 2, 1)))
    return persons, entries, as_of, draw(st.sampled_from(POLICIES))


def _units(value: Decimal | None) -> int | None:
    return None if value is None else int(value * UNITS_PER_HOUR)


def _entries_frame(entries: list[ce.CreditEntry]) -> pl.DataFrame:
    rows = [
        {
            "person_id": e.person_id,
            "item": item,
            "entry_id": e.id,
            "course_id": e.course.id,
            "course_title": e.course.title,
            "category": e.course.category.value,
            "hours": _units(e.course.hours),
            "entry_hours": _units(e.hours),
            "mode": None if e.course.mode is None else e.course.mode.value,
            "platform": e.course.platform,
            "featured": e.course.featured,
            "topics": None if e.course.topics is None else [str(t) for t in e.course.topics],
            "role": e.role.value,
            "completed_on": e.completed_on,
            "credited_year": e.credited_year,
            "certificate_no": e.certificate_no,
            "status": e.status.value,
        }
        for item, e in enumerate(entries)
    ]
    return pl.DataFrame(rows, schema={k: _polars_type(v) for k, v in ENTRY_SCHEMA.items()})


def _persons_frame(persons: list[ce.Person]) -> pl.DataFrame:
    rows = [
        {
            "person_id": p.id,
            "name": p.name,
            "unit": None if p.unit is None else p.unit.value,
            "city": p.city,
            "industry": p.industry,
        }
        for p in persons
    ]
    return pl.DataFrame(rows, schema=dict.fromkeys(PERSON_SCHEMA, pl.String))


def _hours(units: int | None) -> Decimal | None:
    return None if units is None else Decimal(units) / UNITS_PER_HOUR


@settings(max_examples=150)
@given(cases())
def test_the_columnar_engine_judges_as_evaluate(
    case: tuple[list[ce.Person], list[ce.CreditEntry], date | None, ce.Policy],
) -> None:
    """For every person, every field of the columnar verdict and decisions equals evaluate's."""
    _same_as_evaluate(*case)


@settings(max_examples=100)
@given(cases(open_facts=True))
def test_the_columnar_engine_leaves_open_what_evaluate_leaves_open(
    case: tuple[list[ce.Person], list[ce.CreditEntry], date | None, ce.Policy],
) -> None:
    """With facts missing (decision 11) too, the columnar verdicts are evaluate's."""
    _same_as_evaluate(*case)


@st.composite
def teaching(
    draw: st.DrawFn,
) -> tuple[list[ce.Person], list[ce.CreditEntry], date | None, ce.Policy]:
    """Instructors of featured courses on several days of a year, under both credit readings."""
    person = ce.Person(id="T", unit=draw(st.sampled_from([*ce.UnitLevel, None])))
    featured = draw(st.sampled_from([True, True, None, False]))
    courses = [
        ce.Course(id=cid, title="课", category="public", hours=h, mode="online",
                  platform="专技知到", featured=featured)
        for cid, h in (("F1", "10"), ("F2", "12.5"))
    ]  # fmt: skip
    entries = [
        ce.CreditEntry(
            id=draw(st.sampled_from([None, "R1", "R2"])),
            person_id="T",
            course=draw(st.sampled_from(courses)),
            role=draw(st.sampled_from([ce.Role.INSTRUCTOR, ce.Role.INSTRUCTOR, ce.Role.LEARNER])),
            completed_on=draw(st.sampled_from(DAYS[2:5])),
            status=draw(st.sampled_from([ce.EntryStatus.APPROVED] * 3 + [ce.EntryStatus.PENDING])),
        )
        for _ in range(draw(st.integers(2, 8)))
    ]
    return [person], entries, None, draw(st.sampled_from([BASE, VARIANT, VARIANT]))


@settings(max_examples=100)
@given(teaching())
def test_the_columnar_engine_credits_teaching_as_evaluate(
    case: tuple[list[ce.Person], list[ce.CreditEntry], date | None, ce.Policy],
) -> None:
    """Featured-course instructorships credited once a year, or not at all, as evaluate does."""
    _same_as_evaluate(*case)


def _same_as_evaluate(
    persons: list[ce.Person],
    entries: list[ce.CreditEntry],
    as_of: date | None,
    policy: ce.Policy,
) -> None:
    judged = judge_table(
        _entries_frame(entries), _persons_frame(persons), year=2024, policy=policy, as_of=as_of
    )
    verdicts = {row["person_id"]: row for row in judged.verdicts.iter_rows(named=True)}
    decisions: dict[str, list[dict[str, Any]]] = {}
    for row in judged.decisions.iter_rows(named=True):
        decisions.setdefault(row["person_id"], []).append(row)
    assert sorted(verdicts) == sorted(p.id for p in persons)
    for person in persons:
        mine = [e for e in entries if e.person_id == person.id]
        want = ce.evaluate(person, mine, year=2024, policy=policy, as_of=as_of)
        got = verdicts[person.id]
        assert got["status"] == want.status.value
        assert got["compliant"] == want.compliant
        assert got["certificate_eligible"] == want.certificate_eligible
        assert tuple(got["missing_facts"]) == want.missing_facts
        assert got["fingerprint"] == want.fingerprint
        # Each key-topic rule's finding: not covered, or its topics not recorded (decision 14).
        by_key = topic_findings(policy)
        topical = set(by_key.values())
        assert [by_key[key] for key in got["topic_findings"]] == [
            f for f in want.findings if f in topical
        ]
        for result in want.requirements:
            figures = got[f"requirement_{result.code}"]
            for name in ("required", "earned", "shortfall", "pending", "undetermined"):
                assert _hours(figures[name]) == getattr(result, name), (result.code, name)
            assert figures["met"] == result.met
            assert figures["determined"] == result.determined
            assert figures["rounding"] == result.rounding
        rows = decisions.get(person.id, [])
        assert [r["index"] for r in rows] == [d.index for d in want.entries]
        for row, decision in zip(rows, want.entries, strict=True):
            where = (person.id, decision.index)
            assert row["reason"] == decision.reason.value, where
            assert row["counted"] == decision.counted, where
            assert _hours(row["credited_hours"]) == decision.credited_hours, where
            assert _hours(row["would_add"]) == decision.would_add, where
            assert _hours(row["undetermined_hours"]) == decision.undetermined_hours, where
            assert tuple(row["missing_facts"]) == decision.missing_facts, where
            assert Decimal(row["factor"]) / 100 == decision.factor, where
            assert row["rule"] == decision.rule, where
            assert row["duplicate_of"] == decision.duplicate_of, where
            assert _hours(row["hours"]) == decision.hours, where
            assert row["credited_year"] == decision.credited_year, where


def test_the_columnar_engine_keeps_the_larger_copy_waiting_for_the_unit() -> None:
    """Of copies that count only if the unit is municipal (二(二)), both keep the larger one.

    Both engines weigh a copy left open by the least it is credited, then by the most
    (decision 4 with decision 11): the 5-hour copy is kept in either order.
    """
    person = ce.Person(id="A")
    course = ce.Course(
        id="C1", title="课", category="public", hours="5", mode="online", platform="某培训网"
    )
    small = ce.CreditEntry(person_id="A", course=course, completed_on=date(2024, 3, 1), hours="2.5")
    large = ce.CreditEntry(id="R1", person_id="A", course=course, completed_on=date(2024, 3, 1))
    for entries in ([small, large], [large, small]):
        _same_as_evaluate([person], entries, None, BASE)
        verdict = ce.evaluate(person, entries, year=2024, policy=BASE)
        assert verdict.requirement("public_hours").undetermined == 5


def _boundary_cases() -> tuple[list[ce.Person], list[ce.CreditEntry]]:
    """Persons each on one side of a threshold of a rule kind, in a few fixed entries.

    Every minimum met exactly and missed by 0.01 hour, a share of the hours earned met
    exactly or inexactly, pending and open hours, a featured instructor, a platform off
    the list with and without a unit level, key topics and a city's deadline day.
    """

    def course(cid: str, category: str, hours: str, **fields: Any) -> ce.Course:
        mode = fields.pop("mode", "offline")
        return ce.Course(id=cid, title="课", category=category, hours=hours, mode=mode, **fields)

    on, late = date(2024, 10, 31), date(2024, 11, 1)
    plans: dict[str, list[tuple[ce.Course, dict[str, Any]]]] = {
        "exact": [
            # Two topics: the fingerprints join them alike.
            (
                course("P1", "public", "30", topics=("yellow_river", "自定专题")),
                {"completed_on": on},
            ),
            (course("Z1", "professional", "60"), {}),
        ],
        "short": [
            (course("P1", "public", "29.99"), {}),
            (course("Z1", "professional", "59.99"), {"completed_on": late}),
            (course("P2", "public", "5"), {"status": "pending"}),
            (course("Z2", "professional", "7.5"), {"status": "pending"}),
        ],
        "share": [
            (course("P1", "public", "10", topics=("自定专题",)), {"completed_on": late}),
            (course("Z1", "professional", "19.99"), {}),
            (course("Z2", "professional", "100"), {"status": "rejected"}),
        ],
        "teaching": [
            (
                course("F1", "public", "12.5", mode="online", platform="专技知到", featured=True),
                {"role": "instructor"},
            ),
            (course("T1", "public", "10"), {"role": "instructor"}),
            (course("Z1", "professional", "40"), {"role": "instructor"}),
            (course("O1", "public", "10", mode="online", platform="某培训网"), {}),
            (course("O2", "public", "10", mode="online"), {}),
            (course("R1", "public", "10", mode="online", platform="专技知到"), {}),
        ],
        "open": [
            (course("O1", "public", "30", mode="online", platform="某培训网"), {}),
            (course("O2", "public", "20", mode=None, platform="某培训网"), {}),
            (course("O3", "professional", "15", mode="online", platform="某培训网"), {}),
            (
                course("F1", "public", "10", mode="online", platform="专技知到", featured=None),
                {"role": "instructor"},
            ),
            (course("Z1", "professional", "60"), {}),
        ],
        "open_short": [
            (course("O1", "public", "25", mode="online", platform="某培训网"), {}),
            (course("Z1", "professional", "60"), {}),
            (course("P1", "public", "4.99"), {}),
        ],
        "open_exact": [
            (course("O1", "public", "25", mode="online", platform="某培训网"), {}),
            (course("Z1", "professional", "60"), {}),
            (course("P1", "public", "5"), {}),
        ],
        "share_open_other": [
            (course("P1", "public", "30"), {}),
            (course("Z1", "professional", "60"), {}),
            (course("O3", "professional", "15", mode="online", platform="某培训网"), {}),
        ],
        "share_over": [
            (course("P1", "public", "40.01"), {}),
            (course("Z1", "professional", "60.01"), {}),
        ],
        # Key topics (二(一), decision 14): not recorded but covered by another; recorded,
        # none; not recorded only in another category, or in an entry that does not count.
        "topics_covered": [
            (course("P1", "public", "10"), {}),
            (course("P2", "public", "20", topics=("yellow_river",)), {}),
        ],
        "topics_none": [(course("P1", "public", "30", topics=()), {})],
        "topics_other_category": [
            (course("P1", "public", "30", topics=("数字技术",)), {}),
            (course("Z1", "professional", "60"), {}),
        ],
        "topics_not_counted": [
            (course("P1", "public", "30", topics=("数字技术",)), {}),
            (course("P2", "public", "10"), {"status": "pending"}),
        ],
        "topics_unknown": [
            (course("P1", "public", "30", topics=("数字技术",)), {}),
            (course("P2", "public", "10"), {}),
        ],
    }
    units = {
        "open": None,
        "open_short": None,
        "open_exact": None,
        "share_open_other": None,
        "teaching": ce.UnitLevel.PROVINCIAL,
    }
    persons, entries = [], []
    for pid, plan in plans.items():
        persons.append(ce.Person(id=pid, unit=units.get(pid, ce.UnitLevel.MUNICIPAL)))
        for the_course, fields in plan:
            fields = {"completed_on": date(2024, 5, 1), **fields}
            entries.append(ce.CreditEntry(person_id=pid, course=the_course, **fields))
    return persons, entries


def _deadline(month: int, day: int) -> ce.Policy:
    """The example city's policy with its 31 October deadline moved to another day."""
    rules = tuple(
        r.model_copy(update={"month": month, "day": day}) if r.kind == "category_deadline" else r
        for r in POLICIES[4].rules
    )
    return POLICIES[4].model_copy(update={"rules": rules})


#: Shandong's platform rule read for professional courses too (a province's own reading).
_PROFESSIONAL_PLATFORMS = BASE.rule("provincial_platforms").model_copy(
    update={"code": "professional_platforms", "category": ce.Category.PROFESSIONAL}
)


def _national(**share: Any) -> ce.Policy:
    """第八条 with its share changed, and Shandong's platform rules and featured credit."""
    shandong = (
        BASE.rule("provincial_platforms"),
        _PROFESSIONAL_PLATFORMS,
        BASE.rule("featured_instructor_credit"),
    )
    rules = tuple(
        r.model_copy(update=share) if r.kind == "min_share" else r for r in NATIONAL.rules
    )
    return NATIONAL.model_copy(update={"rules": (*rules, *shandong)})


#: Shares whose own and other category's hours may wait for a missing fact (the unit
#: level), of the hours earned or of a total required, exact or not.
_SHARES = (
    _national(),
    _national(of="earned", required_total=None),
    _national(category=ce.Category.PUBLIC, share="1/3", of="earned", required_total=None),
    _national(category=ce.Category.PUBLIC, share="1/3"),
    _national(required_total=Decimal(100)),
)


def test_the_columnar_engine_judges_every_rule_kind_at_its_boundaries() -> None:
    """Fixed cases on both sides of every threshold, under every policy: both engines agree.

    The fast, deterministic companion of the properties above (mutation testing runs it).
    """
    persons, entries = _boundary_cases()
    for policy in (*POLICIES, *_SHARES):
        _same_as_evaluate(persons, entries, None, policy)
        _same_as_evaluate(persons, entries, date(2024, 10, 31), policy)
    # Both sides of decision 14, as both engines found them above.
    topics = {
        person.id: [
            f.code
            for f in ce.evaluate(
                person, [e for e in entries if e.person_id == person.id], year=2024, policy=BASE
            ).findings
        ]
        for person in persons
        if person.id.startswith("topics_")
    }
    assert topics == {
        "topics_covered": [],
        "topics_none": ["public_topics"],
        "topics_other_category": ["public_topics"],
        "topics_not_counted": ["public_topics"],
        "topics_unknown": ["key_topics_not_recorded"],
    }
    # A city's deadline day, and a day past the month's end (its last day, 29 February).
    for month, day, last in ((2, 31, date(2024, 2, 29)), (10, 30, date(2024, 10, 30))):
        days = [
            ce.CreditEntry(
                person_id="exact", course=entries[0].course, completed_on=on, id=on.isoformat()
            )
            for on in (last, last + timedelta(days=1))
        ]
        policy = _deadline(month, day)
        _same_as_evaluate(persons[:1], days, None, policy)
        verdict = ce.evaluate(persons[0], days, year=2024, policy=policy)
        assert [d.reason for d in verdict.entries] == [
            ce.Reason.COUNTED,
            ce.Reason.AFTER_CATEGORY_DEADLINE,
        ]

"""Title evaluation (职称评审): several years judged together, and the achievements in them.

Clause 一 makes continuing education "an important condition" of title applications and
clause 五(一) asks title-evaluating units to check the required hours; clause 二(三) lets a
featured online public course count as its instructor's teaching achievement. The notice
does not say which years an application must show: ``title_window`` takes the reading of
domain decision 9 (every full year since the current title, at most the last five).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Final

from pydantic import BaseModel, model_validator

from ._engine import evaluate, resolve_policy
from ._exceptions import EvaluationInputError
from ._model import FROZEN, CreditEntry, Person
from ._overlay import policy_for
from ._policy import Citation, Message, Policy, TitleAchievementRule
from ._verdict import Reason, RequirementResult, Status, Verdict, format_hours

__all__ = [
    "TITLE_WINDOW_MAX_YEARS",
    "Achievement",
    "PeriodVerdict",
    "YearShortfall",
    "achievements",
    "evaluate_period",
    "title_window",
]

#: How many of the most recent years a title application shows at most (domain
#: decision 9). The notice (一, 五(一)) makes CE a condition of title applications but
#: names no window; five years is the usual practice, and a parameter of ``title_window``.
TITLE_WINDOW_MAX_YEARS: Final = 5
_FINGERPRINT_SCHEME: Final = "ce-rules/period-fingerprint/1"

_PolicyChoice = Policy | str | Mapping[int, Policy | str] | None


def title_window(
    current_title_obtained_on: date,
    application_year: int,
    max_years: int = TITLE_WINDOW_MAX_YEARS,
) -> tuple[int, ...]:
    """The years a title application must show (一, 五(一); domain decision 9).

    Reading: every *full* calendar year during which the person held the current title
    (a year counts if the title was obtained on or before its 1 January), up to the
    year before the application year (which is not over), capped at the most recent
    ``max_years`` years. For a title obtained on 2019-07-01 and an application in 2025
    this is 2020-2024.

    Args:
        current_title_obtained_on: The day the current title was obtained.
        application_year: The year of the application.
        max_years: The cap (default ``TITLE_WINDOW_MAX_YEARS``, 5); at least 1.

    Returns:
        The years in ascending order; empty if no full year has passed.

    Raises:
        EvaluationInputError: An argument is of the wrong type or out of range.
    """
    if not isinstance(current_title_obtained_on, date):
        raise EvaluationInputError(
            "current_title_obtained_on", current_title_obtained_on, "must be a datetime.date"
        )
    if isinstance(application_year, bool) or not isinstance(application_year, int):
        raise EvaluationInputError("application_year", application_year, "must be an int year")
    if isinstance(max_years, bool) or not isinstance(max_years, int) or max_years < 1:
        raise EvaluationInputError("max_years", max_years, "must be an int of at least 1")
    obtained = current_title_obtained_on
    first = obtained.year if (obtained.month, obtained.day) == (1, 1) else obtained.year + 1
    last = application_year - 1
    first = max(first, last - max_years + 1)
    return tuple(range(first, last + 1))


class Achievement(BaseModel):
    """A featured online public course the person taught: a title achievement (二(三)).

    Attributes:
        person_id: The instructor.
        year: The year the instructorship is credited to.
        course_id: The course.
        course_title: The course's title.
        completed_on: The day of the entry.
        entry_id: The entry's own id, if it had one.
        entry_index: The entry's position in the input.
        hours: The course hours of the entry.
        factor: The credit factor applied (2 under 二(三)).
        credited_hours: The hours credited to the instructor (``hours * factor``).
        citation: The clause that makes it an achievement.
        message: What it counts as, in Chinese and English.
    """

    model_config = FROZEN

    person_id: str
    year: int
    course_id: str
    course_title: str
    completed_on: date
    entry_id: str | None
    entry_index: int
    hours: Decimal
    factor: Decimal
    credited_hours: Decimal
    citation: Citation
    message: Message


class YearShortfall(BaseModel):
    """A year of a title period that is not compliant, and what it lacks (一, 五(一)).

    Attributes:
        year: The year.
        status: Non-compliant or in progress.
        shortfalls: The requirements not met, with their shortfalls.
    """

    model_config = FROZEN

    year: int
    status: Status
    shortfalls: tuple[RequirementResult, ...]


class PeriodVerdict(BaseModel):
    """Several years judged together, as a title application shows them (一, 五(一)).

    Attributes:
        person_id: Whose period it is.
        years: The years, ascending.
        as_of: The day the verdict speaks for, if given.
        status: Compliant if every year is; non-compliant if a year is; else undetermined
            if a year waits for a missing fact, else in progress. That a period passes when
            every year is compliant is a reading of 一 ("重要条件": an important condition
            of title applications, not a test the notice defines): decision 9.
        compliant: Whether every year is compliant.
        verdicts: One ``Verdict`` per year, each under that year's own policy.
        failing_years: The years not compliant, each with its shortfalls.
        achievements: Featured-course instructorships in the period (二(三)).
        fingerprint: SHA-256 over the years' fingerprints.
    """

    model_config = FROZEN

    person_id: str
    years: tuple[int, ...]
    as_of: date | None
    status: Status
    compliant: bool
    verdicts: tuple[Verdict, ...]
    failing_years: tuple[YearShortfall, ...]
    achievements: tuple[Achievement, ...]
    fingerprint: str

    @model_validator(mode="after")
    def _consistent(self) -> PeriodVerdict:
        # Read back from JSON, the summary must agree with the years it summarises.
        if tuple(v.year for v in self.verdicts) != self.years:
            raise ValueError("years and verdicts disagree")
        if self.compliant != all(v.compliant for v in self.verdicts):
            raise ValueError("compliant and the years' verdicts disagree")
        if {f.year for f in self.failing_years} != {
            v.year for v in self.verdicts if not v.compliant
        }:
            raise ValueError("failing_years and the years' verdicts disagree")
        return self

    def verdict(self, year: int) -> Verdict:
        """The verdict of ``year``; ``KeyError`` naming the years known."""
        for verdict in self.verdicts:
            if verdict.year == year:
                return verdict
        raise KeyError(f"no year {year} in this period; years: {list(self.years)}")

    def explain(self, lang: str = "zh") -> str:
        """A short explanation for people, in Chinese (``"zh"``) or English (``"en"``)."""
        return _explain(self, lang)


def _check_years(years: object) -> tuple[int, ...]:
    if isinstance(years, str | bytes) or not isinstance(years, Iterable):
        raise EvaluationInputError("years", years, "must be an iterable of int years")
    checked = tuple(years)
    if not checked:
        raise EvaluationInputError("years", checked, "must name at least one year")
    for year in checked:
        if isinstance(year, bool) or not isinstance(year, int):
            raise EvaluationInputError("years", checked, "must contain only int years")
    if len(set(checked)) != len(checked):
        raise EvaluationInputError("years", checked, "must not repeat a year")
    return tuple(sorted(checked))


def _policy_of_year(
    person: Person,
    year: int,
    policy: _PolicyChoice,
    overlays: tuple[Policy, ...],
    allow_other_year: bool,
) -> Policy:
    if isinstance(policy, Mapping):
        if year not in policy:
            raise EvaluationInputError("policy", year, "the policy mapping has no entry for it")
        return resolve_policy(policy[year], year, allow_other_year=allow_other_year)
    if policy is None:
        return policy_for(person, year, overlays=overlays)
    return resolve_policy(policy, year, allow_other_year=allow_other_year)


#: Why an entry is no instructorship of the year at all: not the person's, not this
#: year's, not yet as of the day, or not approved. Any other exclusion (a city's deadline
#: for counting the hours, a duplicate, a course credited already) concerns the hours, not
#: the selection of the course, which is what makes the achievement (二(三), decision 13).
_NOT_AN_INSTRUCTORSHIP: Final = frozenset(
    {
        Reason.OTHER_PERSON,
        Reason.OTHER_YEAR,
        Reason.AFTER_AS_OF,
        Reason.PENDING,
        Reason.REJECTED,
        Reason.REVOKED,
    }
)


def _achievement_rule(policy: Policy) -> TitleAchievementRule | None:
    for rule in policy.rules:
        if isinstance(rule, TitleAchievementRule):
            return rule
    return None


def _year_achievements(
    person: Person, entries: tuple[CreditEntry, ...], verdict: Verdict, policy: Policy
) -> list[Achievement]:
    rule = _achievement_rule(policy)
    if rule is None:
        # The year's own rules grant no achievement: none is claimed for it.
        return []
    found = []
    courses: set[str] = set()
    # The counted entry of a course first, so that the one achievement of a course names it.
    decisions = sorted(verdict.entries, key=lambda d: (not d.counted, d.index))
    for decision in decisions:
        entry = entries[decision.index]
        if (
            decision.reason not in _NOT_AN_INSTRUCTORSHIP
            and entry.role is rule.role
            and entry.course.featured == rule.featured
            and entry.course.id not in courses
        ):
            courses.add(entry.course.id)
            found.append(
                Achievement(
                    person_id=person.id,
                    year=decision.credited_year,
                    course_id=entry.course.id,
                    course_title=entry.course.title,
                    completed_on=entry.completed_on,
                    entry_id=entry.id,
                    entry_index=decision.index,
                    hours=decision.hours,
                    factor=decision.factor,
                    credited_hours=decision.credited_hours,
                    citation=rule.citation,
                    message=rule.message,
                )
            )
    return sorted(found, key=lambda a: a.entry_index)


def evaluate_period(
    person: Person,
    entries: Iterable[CreditEntry],
    *,
    years: Iterable[int],
    policy: _PolicyChoice = None,
    as_of: date | None = None,
    overlays: Iterable[Policy] = (),
    allow_other_year: bool = False,
) -> PeriodVerdict:
    """Judge several years at once, as a title application shows them (一, 五(一)).

    Each year gets its own ``Verdict`` under that year's own policy; the period is
    compliant only if every year is (categories never fill each other and nothing
    carries over between years, domain decision 2).

    Args:
        person: Whose years they are.
        entries: The person's entries, of any years.
        years: The years to judge, e.g. ``title_window(...)``.
        policy: None for each year's bundled policy (with the person's local overlay,
            if ``overlays`` has one for them); a ``Policy`` or policy id for every year;
            or a mapping from year to ``Policy`` or id.
        as_of: The day the verdict speaks for (see ``evaluate``).
        overlays: Local overlay policies (``load_overlay``) to select from by the
            person's city or industry, when ``policy`` is None.
        allow_other_year: Apply a policy given to years it does not govern (decision 8):
            each such year's verdict says so.

    Returns:
        A frozen ``PeriodVerdict``.

    Raises:
        PolicyNotFoundError: A year has no registered policy and none was given.
        EvaluationInputError: An argument is of the wrong type or out of range, or
            ``overlays`` are given with a ``policy`` (they would not be applied).
    """
    checked_years = _check_years(years)
    entries = tuple(entries)
    overlay_policies = tuple(overlays)
    if overlay_policies and policy is not None:
        raise EvaluationInputError(
            "overlays",
            tuple(o.id for o in overlay_policies),
            "are selected only when policy is None; merge them into the policy given",
        )
    verdicts: list[Verdict] = []
    failing: list[YearShortfall] = []
    found: list[Achievement] = []
    for year in checked_years:
        year_policy = _policy_of_year(person, year, policy, overlay_policies, allow_other_year)
        verdict = evaluate(
            person,
            entries,
            year=year,
            policy=year_policy,
            as_of=as_of,
            allow_other_year=allow_other_year,
        )
        verdicts.append(verdict)
        if not verdict.compliant:
            failing.append(
                YearShortfall(
                    year=year,
                    status=verdict.status,
                    shortfalls=tuple(r for r in verdict.requirements if not r.met),
                )
            )
        found.extend(_year_achievements(person, entries, verdict, year_policy))
    compliant = all(v.compliant for v in verdicts)
    if compliant:
        status = Status.COMPLIANT
    elif any(v.status is Status.NON_COMPLIANT for v in verdicts):
        status = Status.NON_COMPLIANT
    elif any(v.status is Status.UNDETERMINED for v in verdicts):
        status = Status.UNDETERMINED
    else:
        status = Status.IN_PROGRESS
    digest = hashlib.sha256(
        "\x1e".join((_FINGERPRINT_SCHEME, *(v.fingerprint for v in verdicts))).encode()
    ).hexdigest()
    return PeriodVerdict(
        person_id=person.id,
        years=checked_years,
        as_of=as_of,
        status=status,
        compliant=compliant,
        verdicts=tuple(verdicts),
        failing_years=tuple(failing),
        achievements=tuple(found),
        fingerprint=digest,
    )


def achievements(
    person: Person,
    entries: Iterable[CreditEntry],
    *,
    years: Iterable[int],
    policy: _PolicyChoice = None,
    as_of: date | None = None,
    overlays: Iterable[Policy] = (),
    allow_other_year: bool = False,
) -> tuple[Achievement, ...]:
    """The featured-course instructorships of ``years`` (二(三)), for a title application.

    Every approved instructor entry of the person on a featured online public course
    that counts in one of ``years`` (same checks as ``evaluate``: credited year,
    review status, duplicates) is one achievement, with its course, year and hours.
    A year whose policy has no ``title_achievement`` rule yields none.

    Args:
        person: The instructor.
        entries: Their entries.
        years: The years to look in, e.g. ``title_window(...)``.
        policy: As for ``evaluate_period``.
        as_of: As for ``evaluate``.
        overlays: As for ``evaluate_period``.
        allow_other_year: As for ``evaluate_period``.

    Returns:
        The achievements, by year and then input order.
    """
    period = evaluate_period(
        person,
        entries,
        years=years,
        policy=policy,
        as_of=as_of,
        overlays=overlays,
        allow_other_year=allow_other_year,
    )
    return period.achievements


def _explain(period: PeriodVerdict, lang: str) -> str:
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    zh = lang == "zh"
    first, last = period.years[0], period.years[-1]
    if len(period.years) == last - first + 1:
        span = f"{first}-{last}"
    else:
        # Not consecutive: name each year, never a span that includes years not judged.
        span = ("、" if zh else ", ").join(str(year) for year in period.years)
    status = period.status.label.in_(lang)
    lines = [
        f"{period.person_id} {span}年度继续教育（职称评审）：{status}"
        if zh
        else f"{period.person_id}, continuing education {span} (title evaluation): {status}",
        "依据：一（继续教育情况是申报评审职称的“重要条件”）；各年度均合格方为合格，是本项目的理解（决定9）"
        if zh
        else 'Basis: 一 (continuing education is an "important condition" of title '
        "applications); that the period passes when every year is compliant is the project's "
        "reading (decision 9)",
    ]
    for verdict in period.verdicts:
        label = verdict.status.label.in_(lang)
        lines.append(
            f"- {verdict.year}年：{label}（{verdict.policy_id} v{verdict.policy_version}）"
            if zh
            else f"- {verdict.year}: {label} ({verdict.policy_id} v{verdict.policy_version})"
        )
        for result in verdict.requirements:
            if not result.met:
                lines.append(f"    {result.message.in_(lang)} [{result.citation.clause}]")
    if period.achievements:
        lines.append("业绩成果：" if zh else "Achievements:")
        for item in period.achievements:
            hours = format_hours(item.hours)
            credited = format_hours(item.credited_hours)
            lines.append(
                f"  * {item.year}年 {item.course_title}（{item.course_id}）：{hours}学时，"
                f"计入{credited}学时；{item.message.zh} [{item.citation.clause}]"
                if zh
                else f"  * {item.year} {item.course_title} ({item.course_id}): {hours} hours, "
                f"credited {credited}; {item.message.en} [{item.citation.clause}]"
            )
    return "\n".join(lines)

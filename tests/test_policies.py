"""Policies load from data, are found by region and year, and report bad files precisely."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

import ce_rules as ce
from ce_rules._catalogue import rule_summary

BUNDLED = Path(ce.__file__).parent / "policies"


def test_shandong_2024_is_registered_for_2024_only() -> None:
    """get_policy finds the 2024 notice for 2024 and refuses other years (decision 8)."""
    policy = ce.get_policy("shandong", 2024)
    assert policy.id == "shandong-2024"
    assert policy.years == (2024,)
    for year in (2023, 2025):
        with pytest.raises(ce.PolicyNotFoundError) as caught:
            ce.get_policy("shandong", year)
        assert caught.value.year == year
        assert "shandong-2024" in str(caught.value)


def test_unknown_region_is_not_found() -> None:
    """A region with no policy is an explicit error."""
    with pytest.raises(ce.PolicyNotFoundError, match="guangdong"):
        ce.get_policy("guangdong", 2024)


def test_evaluating_a_year_without_policy_raises() -> None:
    """Evaluate never falls back to another year's rules."""
    person = ce.Person(id="P1", unit=ce.UnitLevel.PROVINCIAL)
    with pytest.raises(ce.PolicyNotFoundError):
        ce.evaluate(person, [], year=2025)
    assert isinstance(ce.PolicyNotFoundError("x", 1), ce.CeRulesError)
    assert isinstance(ce.PolicyNotFoundError("x", 1), LookupError)


def test_shandong_2024_carries_the_catalogue() -> None:
    """The 2024 policy has the rules of the catalogue that concern a person's year."""
    policy = ce.get_policy("shandong", 2024)
    public = policy.rule("public_hours")
    assert isinstance(public, ce.MinHoursRule)
    assert (public.category, public.hours, public.citation.clause) == (
        ce.Category.PUBLIC,
        Decimal(30),
        "二(一)",
    )
    professional = policy.rule("professional_hours")
    assert isinstance(professional, ce.MinHoursRule)
    assert (professional.hours, professional.citation.clause) == (Decimal(60), "三(一)")
    featured = policy.rule("featured_instructor_credit")
    assert isinstance(featured, ce.CreditFactorRule)
    assert (featured.factor, featured.citation.clause) == (Decimal(2), "二(三)")
    platforms = policy.rule("provincial_platforms")
    assert isinstance(platforms, ce.RecognisedPlatformsRule)
    assert platforms.platforms == ("山东开放大学", "蟹壳云学", "专技知到")
    assert policy.certificate_requires == ("public_hours", "professional_hours")


def test_national_baseline_is_general() -> None:
    """人社部令第25号 第八条 is expressed in the same vocabulary: a total and a share."""
    policy = ce.get_policy("cn-national", 2020)
    total = policy.rule("total_hours")
    assert isinstance(total, ce.MinHoursRule)
    assert total.category is None
    assert total.hours == Decimal(90)
    share = policy.rule("professional_share")
    assert isinstance(share, ce.MinShareRule)
    assert share.ratio == Fraction(2, 3)
    assert policy.document_number == "人力资源社会保障部令第25号"


def test_every_rule_cites_its_clause_and_speaks_both_languages() -> None:
    """Citations and bilingual messages are required on every bundled rule."""
    for policy in ce.list_policies():
        for rule in policy.rules:
            assert rule.citation.document
            assert rule.citation.clause
            assert rule.citation.quote
            assert rule.message.zh
            assert rule.message.en


def test_listing_is_ordered_and_complete() -> None:
    """list_policies shows each bundled file once, ordered by region and years."""
    ids = [p.id for p in ce.list_policies()]
    assert ids == ["cn-national-2015", "shandong-2024"]
    assert len(ids) == len(list(BUNDLED.glob("*.toml")))


def test_policy_by_id() -> None:
    """A bundled policy can be named by id; an unknown id is not found."""
    assert ce.policy_by_id("shandong-2024") is ce.get_policy("shandong", 2024)
    with pytest.raises(ce.PolicyNotFoundError):
        ce.policy_by_id("shandong-2099")


def test_a_users_own_file_loads(tmp_path: Path) -> None:
    """load_policy reads a file in the bundled format."""
    text = (BUNDLED / "shandong-2024.toml").read_text(encoding="utf-8")
    path = tmp_path / "mine.toml"
    path.write_text(text.replace('id = "shandong-2024"', 'id = "mine-2024"'), encoding="utf-8")
    policy = ce.load_policy(path)
    assert policy.id == "mine-2024"
    person = ce.Person(id="P1", unit=ce.UnitLevel.PROVINCIAL)
    assert ce.evaluate(person, [], year=2024, policy=policy).policy_id == "mine-2024"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (("hours = 30", 'hours = "thirty"'), "rules[0].min_hours.hours"),
        (("hours = 30", "hours = -30"), "rules[0].min_hours.hours"),
        (('kind = "min_hours"', 'kind = "max_fun"'), "rules[0]"),
        (('clause = "二(一)", ', ""), "rules[0].min_hours.citation.clause"),
        (("years = [2024]", "years = []"), "years"),
        (('category = "public"', 'category = "leisure"'), "rules[0].min_hours.category"),
        (
            ('"public_hours", "professional_hours"]', '"public_hours", "nope"]'),
            "certificate_requires[1]",
        ),
        (("factor = 2", "factor = 2\nbonus = 1"), "rules[2].credit_factor.bonus"),
    ],
)
def test_malformed_policy_names_file_and_field(
    tmp_path: Path, change: tuple[str, str], field: str
) -> None:
    """A bad policy file raises PolicyFileError naming the file and the field."""
    text = (BUNDLED / "shandong-2024.toml").read_text(encoding="utf-8")
    old, new = change
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ce.PolicyFileError) as caught:
        ce.load_policy(path)
    assert caught.value.source == str(path)
    assert caught.value.field == field
    assert str(path) in str(caught.value)


def test_syntax_errors_and_missing_files_name_the_file(tmp_path: Path) -> None:
    """Unreadable TOML or a missing file is a PolicyFileError naming the path."""
    path = tmp_path / "broken.toml"
    path.write_text("id = \n", encoding="utf-8")
    with pytest.raises(ce.PolicyFileError, match=r"broken\.toml"):
        ce.load_policy(path)
    with pytest.raises(ce.PolicyFileError, match=r"absent\.toml"):
        ce.load_policy(tmp_path / "absent.toml")


def test_duplicate_rule_codes_are_refused(tmp_path: Path) -> None:
    """Two rules with one code would make verdicts ambiguous."""
    text = (BUNDLED / "shandong-2024.toml").read_text(encoding="utf-8")
    path = tmp_path / "dup.toml"
    path.write_text(text.replace('code = "professional_hours"', 'code = "public_hours"'), "utf-8")
    with pytest.raises(ce.PolicyFileError, match="used twice"):
        ce.load_policy(path)


def test_a_file_taking_a_bundled_id_with_other_content_is_refused(tmp_path: Path) -> None:
    """An edited copy of a bundled policy keeping its id is refused; a true copy loads (item 6)."""
    bundled = Path(ce.__file__).parent / "policies" / "shandong-2024.toml"
    text = bundled.read_text(encoding="utf-8")
    copy = tmp_path / "copy.toml"
    copy.write_text("# a copy\n" + text, encoding="utf-8")
    assert ce.load_policy(copy).digest == ce.policy_by_id("shandong-2024").digest
    edited = tmp_path / "edited.toml"
    edited.write_text(text.replace("hours = 30", "hours = 24", 1), encoding="utf-8")
    with pytest.raises(ce.PolicyFileError) as caught:
        ce.load_policy(edited)
    assert caught.value.field == "id"
    assert "shandong-2024" in str(caught.value)
    own = tmp_path / "own.toml"
    own.write_text(text.replace('id = "shandong-2024"', 'id = "my-shandong-2024"', 1), "utf-8")
    assert ce.load_policy(own).id == "my-shandong-2024"


def _bundled_text() -> str:
    return (BUNDLED / "shandong-2024.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("tail", "message"),
    [
        ("extra = ", "Invalid value (at line"),
        ("extra = " + "[" * 50_000 + "]" * 50_000, "nested deeper than 6 levels"),
        ("extra = 1" + "0" * 5_000, "Exceeds the limit (4300 digits)"),
    ],
    ids=["syntax", "arrays-50000-deep", "int-5000-digits"],
)
def test_a_file_that_is_not_toml_python_can_hold_names_file_and_syntax(
    tmp_path: Path, tail: str, message: str
) -> None:
    """Unreadable TOML is a PolicyFileError on "(syntax)" naming the file and saying why."""
    path = tmp_path / "bad.toml"
    path.write_text(
        _bundled_text().replace('region = "shandong"', f'region = "x"\n{tail}'), "utf-8"
    )
    with pytest.raises(ce.PolicyFileError) as caught:
        ce.load_policy(path)
    assert (caught.value.source, caught.value.field) == (str(path), "(syntax)")
    assert message in caught.value.message
    assert len(caught.value.message) <= 300


def test_hours_in_a_policy_file_are_read_exactly(tmp_path: Path) -> None:
    """A minimum of 29.9 学时 is 29.9 exactly, never a binary float (principle 6)."""
    path = tmp_path / "mine.toml"
    text = _bundled_text().replace('id = "shandong-2024"', 'id = "mine-2024"')
    path.write_text(text.replace("hours = 30", "hours = 29.9", 1), encoding="utf-8")
    public = ce.load_policy(path).rule("public_hours")
    assert isinstance(public, ce.MinHoursRule)
    assert public.hours == Decimal("29.9")


def test_a_file_that_cannot_be_read_or_decoded_names_the_file(tmp_path: Path) -> None:
    """A missing file or one not in UTF-8 is a PolicyFileError on "(file)" saying why."""
    absent = tmp_path / "absent.toml"
    with pytest.raises(ce.PolicyFileError) as caught:
        ce.load_policy(absent)
    assert (caught.value.source, caught.value.field) == (str(absent), "(file)")
    assert caught.value.message == "No such file or directory"
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes(_bundled_text().encode("gb18030"))
    with pytest.raises(ce.PolicyFileError) as caught:
        ce.load_policy(gbk)
    assert (caught.value.source, caught.value.field) == (str(gbk), "(file)")
    assert caught.value.message.startswith("not UTF-8: invalid")


def test_an_edited_copy_of_a_bundled_policy_is_told_to_take_its_own_id(tmp_path: Path) -> None:
    """The refusal names the file and says what to do (decision 8: no silent fallback)."""
    edited = tmp_path / "edited.toml"
    edited.write_text(_bundled_text().replace("hours = 30", "hours = 24", 1), encoding="utf-8")
    with pytest.raises(ce.PolicyFileError) as caught:
        ce.load_policy(edited)
    assert caught.value.source == str(edited)
    assert caught.value.message == (
        "'shandong-2024' is the id of a bundled policy, and this file's content differs "
        "from it: give your policy its own id (and version)"
    )


_SHANDONG = ce.get_policy("shandong", 2024)
_NATIONAL = ce.get_policy("cn-national", 2024)


@pytest.mark.parametrize(
    ("policy", "code", "update", "summary"),
    [
        (_SHANDONG, "public_hours", {"category": None}, "all categories ≥ 30 学时 in the year"),
        (
            _NATIONAL,
            "professional_share",
            {"of": "earned", "required_total": None},
            "professional ≥ 2/3 of the counted total",
        ),
        (_SHANDONG, "public_instructor_credit", {"factor": 0}, "instructor, public: not credited"),
        (
            _SHANDONG,
            "featured_instructor_credit",
            {"featured": False, "category": None, "toward": None, "once_per_course_year": False},
            "instructor, course not featured: hours × 2",
        ),
        (
            _SHANDONG,
            "provincial_platforms",
            {"roles": (ce.Role.LEARNER, ce.Role.INSTRUCTOR), "platforms": ("专技知到",)},
            "provincial unit, online public (learner/instructor): only on 专技知到",
        ),
        (
            _SHANDONG,
            "public_topics",
            {"category": ce.Category.PROFESSIONAL, "topics": (ce.PublicTopic.PARTY_HISTORY,)},
            "advisory: professional hours in one of 党史学习教育",
        ),
        (
            _SHANDONG,
            "featured_course_achievement",
            {"featured": False, "role": ce.Role.LEARNER},
            "learner of a course not featured: may be treated as a teaching achievement or "
            "representative paper in title evaluation (an important reference)",
        ),
        (
            _SHANDONG,
            "training_filing_deadline",
            {"days": 45, "documents": (), "recipients": (), "extend_past_holidays": False},
            "file within 45 days after completion",
        ),
        (
            _SHANDONG,
            "plan_submission_deadline",
            {"month": 3, "day": 1, "formats": ()},
            "submit by 03-01",
        ),
    ],
)
def test_the_catalogue_states_each_rule_a_policy_file_may_write(
    policy: ce.Policy, code: str, update: dict[str, object], summary: str
) -> None:
    """Each kind says in one line what its rule asks, for values the bundled files do not use.

    The catalogue (docs/rules.md, ``ce-rules rules``) is read by policy authors: a total
    of all categories, a share of the hours earned, a factor of 0, a rule for courses not
    featured, restricted roles, another category's topics, a deadline without documents,
    formats or a rest-day extension.
    """
    rule = policy.rule(code).model_copy(update=update)
    catalogue = ce.rule_catalogue(policy.model_copy(update={"rules": (rule,)}))
    assert f" | {summary} | " in catalogue


def _bundled_data() -> dict[str, Any]:
    return tomllib.loads(_bundled_text(), parse_float=Decimal)


def _without_requirements(data: dict[str, Any]) -> None:
    data["rules"] = [r for r in data["rules"] if r["kind"] not in ("min_hours", "min_share")]
    data["certificate_requires"] = []


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (lambda d: d.update(years=[2024, 2024]), "years", "a value appears twice: 2024"),
        (
            lambda d: d.update(years=[2023, 2024, 2023, 2024]),
            "years",
            "a value appears twice: 2023, 2024",
        ),
        (
            lambda d: d.update(applies_to={"city": "济南市"}),
            "applies_to",
            "applies_to is for overlays: set extends too",
        ),
        (
            lambda d: d.update(loosens=["public_hours"]),
            "loosens",
            "loosens is for overlays: set extends too",
        ),
        (
            _without_requirements,
            "rules",
            "a policy needs at least one min_hours or min_share rule",
        ),
        (
            lambda d: d.pop("certificate_reading"),
            "certificate_reading",
            "certificate_requires needs its basis: certificate_citation (the clause that sets "
            "the condition) or certificate_reading (the decision it takes)",
        ),
    ],
)
def test_a_policy_inconsistent_across_fields_names_the_field_and_what_to_do(
    change: Any, field: str, message: str
) -> None:
    """Errors are API (principle 7): the field at fault and the remedy, word for word."""
    data = _bundled_data()
    change(data)
    with pytest.raises(ce.PolicyFileError) as caught:
        ce.parse_policy(data)
    assert (caught.value.source, caught.value.field) == ("<policy>", field)
    assert caught.value.message == message


def test_two_problems_are_one_error_naming_both_in_order() -> None:
    """Every problem of a file at once: its fields, then each field with its problem."""
    data = _bundled_data()
    data.update(years=[2024, 2024], loosens=["public_hours"])
    with pytest.raises(ce.PolicyFileError) as caught:
        ce.parse_policy(data, source="mine.toml")
    assert caught.value.field == "years, loosens"
    assert caught.value.message == (
        "2 problems: years: a value appears twice: 2024; "
        "loosens: loosens is for overlays: set extends too"
    )
    data["rules"][7]["platforms"] = [""] * 60
    with pytest.raises(ce.PolicyFileError) as caught:
        ce.parse_policy(data)
    assert caught.value.field.startswith("rules[7].recognised_platforms.platforms[0], ")
    assert caught.value.field.endswith(", …")
    assert caught.value.message.startswith(
        "60 problems: rules[7].recognised_platforms.platforms[0]: "
    )
    assert caught.value.message.endswith("; and 10 more problems")


def test_long_or_missing_field_paths_are_named_within_bounds() -> None:
    """A field path is at most 200 characters ("…" marks a cut); the whole file is "(top level)"."""
    data = _bundled_data()
    data["k" * 300] = 1
    with pytest.raises(ce.PolicyFileError) as caught:
        ce.parse_policy(data)
    assert caught.value.field == "k" * 199 + "…"
    data = _bundled_data()
    data["k" * 200] = 1
    with pytest.raises(ce.PolicyFileError) as caught:
        ce.parse_policy(data)
    assert caught.value.field == "k" * 200
    with pytest.raises(ce.PolicyFileError) as caught:
        ce.parse_policy(["not", "a", "table"])  # type: ignore[arg-type]
    assert caught.value.field == "(top level)"
    nested: dict[str, Any] = {"leaf": 1}
    for name in "fedcba":
        nested = {name: nested}
    data = _bundled_data()
    data["extra"] = nested
    with pytest.raises(ce.PolicyFileError) as caught:
        ce.parse_policy(data)
    assert caught.value.field == "extra.a.b.c.d.e"
    long_nested: dict[str, Any] = {"leaf": 1}
    for _ in range(6):
        long_nested = {"n" * 60: long_nested}
    data["extra"] = long_nested
    with pytest.raises(ce.PolicyFileError) as caught:
        ce.parse_policy(data)
    assert len(caught.value.field) == 200
    assert caught.value.field.endswith("n…")


def test_asking_a_policy_for_a_rule_it_lacks_names_the_policy_and_the_code() -> None:
    """``Policy.rule`` raises a KeyError saying which policy lacks which code."""
    with pytest.raises(KeyError) as caught:
        _SHANDONG.rule("total_hours")
    assert caught.value.args == ("policy shandong-2024 has no rule 'total_hours'",)


def test_every_platform_rule_of_one_scope_applies_and_the_first_broken_is_cited() -> None:
    """Two recognised-platform rules for the same staff and courses (二(二)): both restrict.

    An entry off both lists is excluded by the first; an entry on the first list only,
    by the second.
    """
    narrower = _SHANDONG.rule("provincial_platforms").model_copy(
        update={"code": "one_platform", "platforms": ("专技知到",)}
    )
    policy = _SHANDONG.model_copy(update={"rules": (*_SHANDONG.rules, narrower)})
    assert policy.platform_rules == (_SHANDONG.rule("provincial_platforms"), narrower)
    person = ce.Person(id="P1", unit=ce.UnitLevel.PROVINCIAL)
    entries = [
        ce.CreditEntry(
            person_id="P1",
            course=ce.Course(
                id=f"C-{n}", title="课", category="public", hours=10, mode="online", platform=name
            ),
            completed_on="2024-05-01",
        )
        for n, name in enumerate(("某平台", "山东开放大学", "专技知到"))
    ]
    verdict = ce.evaluate(person, entries, year=2024, policy=policy)
    assert [d.rule for d in verdict.entries] == [
        "provincial_platforms",
        "one_platform",
        "public_learner_credit",
    ]
    assert verdict.requirement("public_hours").earned == 10


def test_a_factor_of_zero_is_not_credited_and_says_so() -> None:
    """Decision 3: a policy may credit teaching nothing; such an entry is ``not_credited``."""
    policy = _SHANDONG.model_copy(
        update={
            "rules": tuple(
                r.model_copy(update={"factor": Decimal(0)}) if r.code == "public_instructor_credit"
                else r
                for r in _SHANDONG.rules
            )
        }
    )  # fmt: skip
    person = ce.Person(id="P1", unit=ce.UnitLevel.PROVINCIAL)
    course = ce.Course(id="C-1", title="课", category="public", hours=15, mode="offline")
    entry = ce.CreditEntry(
        person_id="P1", course=course, role="instructor", completed_on="2024-05-01"
    )
    decision = ce.evaluate(person, [entry], year=2024, policy=policy).entries[0]
    assert (decision.reason, decision.rule) == (ce.Reason.NOT_CREDITED, "public_instructor_credit")
    assert decision.credited_hours == 0


def test_an_unknown_policy_id_names_it_and_the_registered_ones() -> None:
    """No fallback (decision 8): the error says which id was asked for and which exist."""
    with pytest.raises(ce.PolicyNotFoundError) as caught:
        ce.policy_by_id("shandong-2099")
    assert (caught.value.region, caught.value.year) == ("shandong-2099", None)
    assert caught.value.available == ("cn-national-2015", "shandong-2024")
    assert "'shandong-2099'; registered: cn-national-2015, shandong-2024" in str(caught.value)


@pytest.mark.parametrize(("lang", "other"), [("zh", "en"), ("en", "zh")])
def test_a_rule_message_is_at_most_a_thousand_characters_in_each_language(
    lang: str, other: str
) -> None:
    """A policy file is bounded: 1000 characters of a message load, 1001 are refused."""
    data = _bundled_data()
    data["rules"][0]["message"] = {lang: "字" * 1000, other: "x"}
    assert len(getattr(ce.parse_policy(data).rules[0].message, lang)) == 1000
    data["rules"][0]["message"] = {lang: "字" * 1001, other: "x"}
    with pytest.raises(ce.PolicyFileError) as caught:
        ce.parse_policy(data)
    assert caught.value.field == "rules[0].min_hours.message"
    assert f"{lang}: at most 1000 characters, got 1001" in caught.value.message


def test_a_reading_names_a_decision_of_the_catalogue_and_speaks_english_by_default() -> None:
    """A decision number outside docs/concepts.md is refused; ``describe()`` is in English."""
    data = _bundled_data()
    data["rules"][2]["reading"]["decision"] = 99
    with pytest.raises(ce.PolicyFileError) as caught:
        ce.parse_policy(data)
    assert "decision 99 is not in the catalogue of decisions (1 to 14, docs/concepts.md)" in (
        caught.value.message
    )
    reading = _SHANDONG.rule("featured_instructor_credit").reading
    assert reading is not None
    assert reading.describe().startswith("reading: decision 3 — The 2x hours count")


def test_a_topic_series_declared_twice_is_refused_naming_both() -> None:
    """Two topic series of one id would make a key-topic rule ambiguous: the second is named."""
    data = _bundled_data()
    again = len(data["topics"])
    data["topics"].append(dict(data["topics"][0]))
    with pytest.raises(ce.PolicyFileError) as caught:
        ce.parse_policy(data)
    assert caught.value.field == f"topics[{again}].id"
    first = data["topics"][0]["id"]
    assert caught.value.message == f"the id {first!r} is used twice (also topics[0])"


def test_a_topic_series_is_found_by_its_id_and_an_unknown_id_is_named() -> None:
    """``Policy.topic`` returns the series of that id; for another id a KeyError names it."""
    last = _SHANDONG.topics[-1]
    assert _SHANDONG.topic(last.id) is last
    assert _SHANDONG.topic(_SHANDONG.topics[0].id) is _SHANDONG.topics[0]
    with pytest.raises(KeyError) as caught:
        _SHANDONG.topic("nope")
    assert caught.value.args == ("policy shandong-2024 declares no topic series 'nope'",)


def test_a_key_topic_named_as_shandong_names_it_is_read_whatever_its_id() -> None:
    """A policy may give Shandong's topic series another id: a course naming it as before counts.

    The yellow-river series declared as ``huanghe``: a course whose topic is Shandong's id
    for it (``PublicTopic.YELLOW_RIVER``) covers the key topics; a topic of no series does not.
    """
    data = _bundled_data()
    for topic in data["topics"]:
        if topic["id"] == "yellow_river":
            topic["id"] = "huanghe"
    for rule in data["rules"]:
        if rule["kind"] == "key_topics":
            rule["topics"] = ["huanghe" if t == "yellow_river" else t for t in rule["topics"]]
    policy = ce.parse_policy(data)
    person = ce.Person(id="P1", unit=ce.UnitLevel.PROVINCIAL)
    for topic, covered in ((ce.PublicTopic.YELLOW_RIVER.value, True), ("自定专题", False)):
        course = ce.Course(
            id="C-1", title="课", category="public", hours=30, mode="offline", topics=(topic,)
        )
        entry = ce.CreditEntry(person_id="P1", course=course, completed_on="2024-05-01")
        verdict = ce.evaluate(person, [entry], year=2024, policy=policy)
        assert ("public_topics" not in [f.code for f in verdict.findings]) is covered


@pytest.mark.parametrize("declared", [True, False])
def test_a_key_topic_rule_naming_an_undeclared_series_is_refused(declared: bool) -> None:
    """A key-topic rule's topic must be a series of the policy; the error lists those declared."""
    data = _bundled_data()
    position = next(i for i, r in enumerate(data["rules"]) if r["kind"] == "key_topics")
    data["rules"][position]["topics"] = ["nope"]
    ids = ", ".join(t["id"] for t in data["topics"])
    if not declared:
        data["topics"] = []
        ids = "none"
    with pytest.raises(ce.PolicyFileError) as caught:
        ce.parse_policy(data)
    assert caught.value.field == f"rules[{position}].topics[0]"
    assert caught.value.message == (
        "'nope' is not a topic series of this policy: declare it under [[topics]] "
        f"(id, name, clause); declared: {ids}"
    )


def test_a_key_topic_is_read_by_its_name_or_alias_as_declared_without_quotes() -> None:
    """A course's topic covers a series given by its id, its Chinese name or an alias.

    An alias declared in Chinese quotes (as the notice quotes the series) is read without
    them; anything else of it is kept as written.
    """
    data = _bundled_data()
    series = next(t for t in data["topics"] if t["id"] == "yellow_river")
    series["aliases"] = ["“黄河X”"]
    policy = ce.parse_policy(data)
    for topic, covered in (
        ("yellow_river", True),
        (series["name"]["zh"], True),
        ("黄河X", True),
        ("黄河", False),
    ):
        assert _covers(policy, topic) is covered, topic


def _covers(policy: ce.Policy, topic: str) -> bool:
    """Whether 30 counted public hours of one course on ``topic`` cover the key series."""
    person = ce.Person(id="P1", unit=ce.UnitLevel.PROVINCIAL)
    course = ce.Course(
        id="C-1", title="课", category="public", hours=30, mode="offline", topics=(topic,)
    )
    entry = ce.CreditEntry(person_id="P1", course=course, completed_on="2024-05-01")
    verdict = ce.evaluate(person, [entry], year=2024, policy=policy)
    return "public_topics" not in [f.code for f in verdict.findings]


def test_a_key_topic_a_policy_built_in_code_does_not_declare_is_its_id() -> None:
    """A policy built in code may name key topics it declares no series for: each is its id."""
    policy = _SHANDONG.model_copy(update={"topics": ()})
    name = _SHANDONG.topic("yellow_river").name.en  # a spelling of the declared series only
    for topic, covered in (("yellow_river", True), (name, False)):
        assert _covers(policy, topic) is covered, topic


def test_a_key_topic_rule_is_summarised_by_its_series_names_else_their_ids() -> None:
    """The catalogue names a key-topic rule's series as the policy declares them, else by id.

    The rule alone (no policy) lists its ids; under a policy built in code that declares
    all but one of them, that one is named by its id and the others by their names.
    """
    rule = _SHANDONG.rule("public_topics")
    assert isinstance(rule, ce.KeyTopicsRule)
    assert rule_summary(rule) == "advisory: public hours in one of " + ", ".join(rule.topics)
    partial = _SHANDONG.model_copy(
        update={"topics": tuple(t for t in _SHANDONG.topics if t.id != "yellow_river")}
    )
    [line] = [x for x in ce.rule_catalogue(partial).splitlines() if "`public_topics`" in x]
    named = "、".join(t if t == "yellow_river" else _SHANDONG.topic(t).name.zh for t in rule.topics)
    assert f"| advisory: public hours in one of {named} |" in line


def _platform_rule_data(data: dict[str, Any]) -> dict[str, Any]:
    (rule,) = (r for r in data["rules"] if r["kind"] == "recognised_platforms")
    return rule


@pytest.mark.parametrize(
    ("aliases", "message"),
    [
        (
            [{"name": "蟹壳云学平台", "of": "蟹壳云学网"}],
            "aliases: '蟹壳云学平台' is given as a name of '蟹壳云学网', which is not one of the "
            "platforms (山东开放大学, 蟹壳云学, 专技知到)",
        ),
        (
            [{"name": "专技知到", "of": "蟹壳云学"}],
            "aliases: '专技知到' is named twice among platforms and aliases",
        ),
        (
            [
                {"name": "蟹壳云学平台", "of": "蟹壳云学"},
                {"name": "蟹壳云学平台", "of": "蟹壳云学"},
            ],
            "aliases: '蟹壳云学平台' is named twice among platforms and aliases",
        ),
    ],
)
def test_an_alias_must_name_one_recognised_platform_and_no_name_twice(
    aliases: list[dict[str, str]], message: str
) -> None:
    """二(二): an alias names one of the rule's platforms; a name means one platform only."""
    data = _bundled_data()
    _platform_rule_data(data)["aliases"] = aliases
    with pytest.raises(ce.PolicyFileError) as caught:
        ce.parse_policy(data)
    assert caught.value.field == "rules[7].recognised_platforms"
    assert caught.value.message == f"Value error, {message}"  # as pydantic tells a rule's own


def test_an_entry_on_a_platform_named_by_an_alias_counts_and_no_other_name_does() -> None:
    """二(二), decision 6: a name counts only if a policy says whose name it is.

    Under the bundled rules 蟹壳云学平台 is not recognised; under a policy declaring it an
    alias of 蟹壳云学 it counts, and 蟹壳云学网 still does not. The catalogue says so.
    """
    data = _bundled_data()
    _platform_rule_data(data)["aliases"] = [{"name": "蟹壳云学平台", "of": "蟹壳云学"}]
    data.update(id="shandong-2024-aliases", version="1.0.0")
    policy = ce.parse_policy(data)
    person = ce.Person(id="P1", unit=ce.UnitLevel.PROVINCIAL)

    def reason(platform: str, rules: ce.Policy) -> ce.Reason:
        course = ce.Course(
            id="C-1", title="课", category="public", hours=30, mode="online", platform=platform
        )
        entry = ce.CreditEntry(person_id="P1", course=course, completed_on="2024-05-01")
        (decision,) = ce.evaluate(person, [entry], year=2024, policy=rules).entries
        return decision.reason

    assert reason("蟹壳云学平台", _SHANDONG) is ce.Reason.PLATFORM_NOT_RECOGNISED
    assert reason("蟹壳云学平台", policy) is ce.Reason.COUNTED
    assert reason("蟹壳云学网", policy) is ce.Reason.PLATFORM_NOT_RECOGNISED
    assert "(also written: 蟹壳云学平台 for 蟹壳云学)" in ce.rule_catalogue(policy)


def test_an_overlay_that_adds_an_alias_loosens_the_platform_rule() -> None:
    """An alias recognises more entries: an overlay adding one loosens the rule (and says so)."""
    from ce_rules.kinds import recognised_platforms

    rule = _SHANDONG.rule("provincial_platforms")
    assert isinstance(rule, recognised_platforms.RecognisedPlatformsRule)
    alias = recognised_platforms.PlatformAlias(name="蟹壳云学平台", of="蟹壳云学")
    wider = rule.model_copy(update={"aliases": (alias,)})
    assert recognised_platforms.loosens(rule, wider)
    assert not recognised_platforms.loosens(wider, rule)
    assert not recognised_platforms.loosens(wider, wider)

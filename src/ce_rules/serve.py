"""``ce-rules serve``: the library as an HTTP service (the ``serve`` extra: FastAPI, uvicorn).

A thin edge, like the command line: every answer comes from the library's public
functions (``evaluate``, ``evaluate_period``, ``plan_compliance``, ``open_record_file``
and ``evaluate_batches``, the policy registry, the JSON Schemas of ``ce-rules schema``);
no rule and no cell parser lives here. The request and response bodies are the
library's pydantic models, so the OpenAPI document is derived from them.

Safe to expose on purpose: it binds 127.0.0.1 unless told otherwise; a bearer token,
when configured, is compared in constant time (``hmac.compare_digest``); request bodies,
batch sizes and computing time are bounded (413 and 503 with a problem document); no
record is logged or kept after its response (an uploaded batch lives in a private
temporary directory that is removed before the answer is sent). Errors are
``application/problem+json`` (RFC 9457) naming the field, the value and the reason, in
the language of ``Accept-Language`` (Chinese by default, or English). docs/service.md
describes it. ``import ce_rules`` never imports this module.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import tempfile
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Final, Literal, TypeVar

import anyio
import uvicorn
from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as AsgiMessage

from . import __version__
from ._batch import BatchVerdict
from ._catalogue import rule_catalogue
from ._cells import CellError, parse_cell, parse_date, parse_year
from ._cells import parse_hours as _parse_hours
from ._cli import output_schema
from ._engine import evaluate
from ._exceptions import CeRulesError, EvaluationInputError, PolicyNotFoundError
from ._message import Message
from ._model import CreditEntry, Person, entry_problems, parse_hours
from ._overlay import merge_overlay
from ._plan import CompliancePlan, plan_compliance
from ._policy import Policy, Rule
from ._readers import RecordFileError, SkippedRow, open_record_file
from ._registry import Registry
from ._schema import PERSON_COLUMNS, column, record_json_schema
from ._table import evaluate_batches, file_batches, verdict_json
from ._title import PeriodVerdict, evaluate_period, title_window
from ._verdict import Verdict

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "TOKEN_VARIABLE",
    "ServeSettings",
    "create_app",
    "run",
]

#: Loopback only unless told otherwise: exposing the service is a decision of its operator.
DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8000
#: The environment variable a bearer token may come from (``--token-file`` is preferred).
TOKEN_VARIABLE: Final = "CE_RULES_TOKEN"
PROBLEM_JSON: Final = "application/problem+json"
JSON_LINES: Final = "application/x-ndjson"
#: Media types of an uploaded batch, and the suffix the record reader reads each by.
_BATCH_TYPES: Final = {
    "text/csv": ".csv",
    "application/csv": ".csv",
    "application/x-ndjson": ".jsonl",
    "application/jsonl": ".jsonl",
    "application/json-lines": ".jsonl",
    # Read only with the excel extra (openpyxl); without it the answer is a 422 saying so.
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}
#: How much of a refused value a problem quotes.
_SHOWN: Final = 200
_LOG: Final = logging.getLogger("ce_rules.serve")
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class ServeSettings:
    """How the service guards itself.

    Attributes:
        token: The bearer token every request but ``/v1/health`` must carry; None for none.
        max_body_bytes: The largest request body read; a larger one is refused with 413.
        max_records: The most records (entries) one request may carry; more is a 413.
        timeout_seconds: The longest one judgement may take; then the answer is a 503.
        registry: The policies requests may name, by id or by region: the bundled ones, and
            those of the folders given (``load_registry``; ``ce-rules serve --policies``).
    """

    token: str | None = None
    max_body_bytes: int = 10 * 1024 * 1024
    max_records: int = 100_000
    timeout_seconds: float = 60.0
    registry: Registry = field(default_factory=Registry)


# --- problem documents (RFC 9457) -----------------------------------------------------------


class FieldProblem(BaseModel):
    """One thing wrong with the request.

    Attributes:
        field: Where: a JSON path into the body (``entries[0].course.hours``), a query
            parameter, a header, or ``body`` for the body as a whole.
        value: The value refused, shortened to 200 characters; None when there is none.
        code: A stable code for machines (``required``, ``unknown_field``, a cell error's code …).
        reason: What is wrong and what to do, in the language asked for.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: str
    value: str | None = None
    code: str
    reason: str


class Problem(BaseModel):
    """An error, as RFC 9457 problem details (``application/problem+json``).

    Attributes:
        type: A URI naming the kind of problem (``urn:ce-rules:problem:<code>``).
        title: The kind of problem, for people.
        status: The HTTP status code.
        detail: This occurrence, for people.
        code: The kind of problem, for machines.
        errors: Every field at fault (empty when the problem is not about a field).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: tuple[FieldProblem, ...] = ()


class _ProblemError(Exception):
    """Raised by a handler: answered as a problem document."""

    def __init__(
        self,
        status: int,
        code: str,
        title: Message,
        detail: Message,
        errors: Sequence[tuple[str, str | None, str, Message]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail.en)
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.errors = tuple(errors)
        self.headers = dict(headers or {})


def _m(zh: str, en: str) -> Message:
    return Message(zh=zh, en=en)


def language(accept_language: str | None) -> str:
    """``zh`` or ``en``: the first of them ``Accept-Language`` prefers; ``zh`` by default."""
    if not accept_language:
        return "zh"
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in ("zh", "en") and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else "zh"


def _problem_response(error: _ProblemError, lang: str) -> JSONResponse:
    problem = Problem(
        type=f"urn:ce-rules:problem:{error.code}",
        title=error.title.in_(lang),
        status=error.status,
        detail=error.detail.in_(lang),
        code=error.code,
        errors=tuple(
            FieldProblem(field=field, value=value, code=code, reason=reason.in_(lang))
            for field, value, code, reason in error.errors
        ),
    )
    return JSONResponse(
        problem.model_dump(mode="json"),
        status_code=error.status,
        media_type=PROBLEM_JSON,
        headers={"Content-Language": lang, **error.headers},
    )


def _shown(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
        except ValueError:
            text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


_INVALID: Final = _m("请求无效", "Invalid request")

#: What a pydantic error type means, for people: (Chinese, English).
_TYPE_REASONS: Final = {
    "missing": ("缺少必填字段", "a required field is missing"),
    "extra_forbidden": ("未知字段：请删除或检查拼写",
                        "unknown field: remove it or check its spelling"),
    "int_parsing": ("应为整数", "must be an integer"),
    "int_type": ("应为整数", "must be an integer"),
    "int_from_float": ("应为整数", "must be an integer"),
    "bool_parsing": ("应为 true 或 false", "must be true or false"),
    "bool_type": ("应为 true 或 false", "must be true or false"),
    "string_type": ("应为文本", "must be a text"),
    "list_type": ("应为数组", "must be an array"),
    "tuple_type": ("应为数组", "must be an array"),
    "model_type": ("应为 JSON 对象", "must be a JSON object"),
    "model_attributes_type": ("应为 JSON 对象", "must be a JSON object"),
    "dict_type": ("应为 JSON 对象", "must be a JSON object"),
    "date_parsing": ("应为日期 YYYY-MM-DD", "must be a date YYYY-MM-DD"),
    "date_from_datetime_parsing": ("应为日期 YYYY-MM-DD", "must be a date YYYY-MM-DD"),
    "date_type": ("应为日期 YYYY-MM-DD", "must be a date YYYY-MM-DD"),
    "literal_error": ("取值无效", "not one of the allowed values"),
    "too_long": ("元素过多", "too many items"),
}  # fmt: skip


def _field_path(loc: Sequence[int | str]) -> str:
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        kind = parts.pop(0)
        if not parts or (kind == "body" and isinstance(parts[0], int)):
            return "body"  # a JSON syntax error: loc is ("body", offset)
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


#: How ``settle_course_facts`` refuses a featured course that is not an online public one.
_NOT_FEATURABLE: Final = "featured: only an online public course"


def _entry_problems(data: object) -> list[tuple[str, str | None, str, Message]]:
    """What ``entry_problems`` finds inconsistent in an entry whose fields each read."""
    if not isinstance(data, dict) or not isinstance(data.get("course"), dict):
        return []
    try:
        course_hours = parse_hours(data["course"].get("hours"))
        hours = _parse_hours(data.get("hours"))
        credited_year = parse_year(data.get("credited_year"))
        completed_on = parse_date(data.get("completed_on"))
    except (CellError, ValueError):
        return []
    if completed_on is None:
        return []
    return [
        (name, _shown(data.get(name)), code, why)
        for name, code, why in entry_problems(hours, course_hours, credited_year, completed_on)
    ]


def _validation_problems(
    errors: Sequence[Any],
) -> list[tuple[str, str | None, str, Message]]:
    found: list[tuple[str, str | None, str, Message]] = []
    for detail in errors:
        kind = str(detail.get("type", "value_error"))
        field = _field_path(detail.get("loc", ()))
        cause = (detail.get("ctx") or {}).get("error")
        if isinstance(cause, CellError):
            found.append((field, _shown(cause.value), cause.code, cause.message))
            continue
        value = None if kind == "missing" else _shown(detail.get("input"))
        if kind == "json_invalid":
            why = (detail.get("ctx") or {}).get("error", "")
            reason = _m(f"请求体不是有效的 JSON：{why}", f"the body is not valid JSON: {why}")
            found.append(("body", None, "json_invalid", reason))
            continue
        known = _TYPE_REASONS.get(kind)
        if known is not None:
            code = {"missing": "required", "extra_forbidden": "unknown_field"}.get(kind, kind)
            found.append((field, value, code, _m(*known)))
            continue
        text = str(detail.get("msg", kind)).removeprefix("Value error, ")
        # An entry whose fields each read and disagree: each field at fault, in both languages.
        inconsistent = _entry_problems(detail.get("input")) if kind == "value_error" else []
        for name, shown, code, why in inconsistent:
            found.append((f"{field}.{name}", shown, code, why))
        if inconsistent:
            continue
        if text.startswith(_NOT_FEATURABLE):
            value = _shown(detail.get("input", {}).get("featured"))
            found.append((f"{field}.featured", value, "not_online_public", _m(
                "只有远程教育的公需科目课程才能是优质在线公需课（二(三)）：请改正 featured、"
                f"category 或 mode（{text.partition('; ')[2]}）", text,
            )))  # fmt: skip
            continue
        if text == "must not be blank":  # the models' word for a required value left blank
            found.append((field, value, "required", _m("不能为空", "must not be blank")))
            continue
        found.append((field, value, kind, _m(f"该值未通过校验：{text}", text)))
    return found


#: The library's argument errors a request can cause, in Chinese (its messages are English).
_ARGUMENT_REASONS: Final = {
    "must be between 1990 and 2100": "应为 1990 至 2100 之间的年份",
    "must name at least one year": "至少给出一个年度",
    "must not repeat a year": "年度不得重复",
}
_OTHER_YEAR: Final = re.compile(r"^policy (\S+) governs (.+), not (\d+);")


def _argument_reason(error: EvaluationInputError) -> Message:
    zh = _ARGUMENT_REASONS.get(error.message)
    other_year = _OTHER_YEAR.match(error.message)
    if other_year is not None:
        policy, governs, year = other_year.groups()
        zh = (
            f"政策 {policy} 适用于 {governs} 年度，不适用于 {year} 年度（决定8）；"
            "如确需用于其他年度，请设 allow_other_year 为 true"
        )
        return _m(zh, error.message.replace("allow_other_year=True (--allow-other-year)",
                                            "allow_other_year: true"))  # fmt: skip
    return _m(zh or f"参数无效：{error.message}", error.message)


def _library_problem(error: CeRulesError) -> _ProblemError:
    """A library error about the request, as a 422 naming its field."""
    if isinstance(error, PolicyNotFoundError):
        known = ", ".join(error.available) or "-"
        if error.year is None:
            errors = [
                (
                    "policy",
                    _shown(error.region),
                    "unknown_policy",
                    _m(
                        f"没有编号为 {error.region} 的政策；已登记：{known}",
                        f"no policy has the id {error.region!r}; registered: {known}",
                    ),
                )
            ]
        else:
            errors = [
                (
                    "year",
                    str(error.year),
                    "no_policy",
                    _m(
                        f"{error.region} 没有适用于 {error.year} 年度的政策（决定8：从不借用"
                        f"其他年度的规则）；已登记：{known}",
                        f"no policy governs {error.region} in {error.year} (decision 8: "
                        f"another year's rules are never borrowed); registered: {known}",
                    ),
                )
            ]
        return _ProblemError(422, "no_policy", _INVALID, errors[0][3], errors)
    if isinstance(error, EvaluationInputError):
        reason = _argument_reason(error)
        errors = [(error.field, _shown(error.value), "invalid_argument", reason)]
        return _ProblemError(422, "invalid_argument", _INVALID, reason, errors)
    if isinstance(error, CellError):
        errors = [("body", _shown(error.value), error.code, error.message)]
        return _ProblemError(422, error.code, _INVALID, error.message, errors)
    if isinstance(error, RecordFileError):
        errors = [("body", None, "unreadable_records", error.message)]
        return _ProblemError(422, "unreadable_records", _INVALID, error.message, errors)
    reason = _m(f"请求无效：{error}", str(error))
    return _ProblemError(
        422, "invalid_request", _INVALID, reason, [("body", None, "invalid", reason)]
    )


# --- guards -----------------------------------------------------------------------------------


_INTERNAL: Final = _ProblemError(
    500,
    "internal_error",
    _m("内部错误", "Internal error"),
    _m("ce-rules 内部错误；请报告此问题", "an internal error of ce-rules; please report it"),
)


def _too_large(limit: int) -> _ProblemError:
    what = _m(
        f"请求体超过 {limit} 字节的上限：请分批提交",
        f"the body is over the limit of {limit} bytes: send it in several requests",
    )
    return _ProblemError(413, "body_too_large", _m("请求体过大", "Request body too large"), what)


class _Guard:
    """Refuses a request without the token (401) or with a body over the limit (413).

    Both before any handler, and the token before any of the body is read. The body is
    held in memory (at most the limit) and handed on; a declared ``Content-Length`` over
    the limit is refused without reading. An error of ce-rules itself is answered here
    (500) and goes no further, so that nothing logs what it says about the input.
    """

    def __init__(self, app: ASGIApp, limit: int, token: str | None) -> None:
        self.app = app
        self.limit = limit
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        lang = language(headers.get("accept-language"))
        if self.token is not None and scope["path"] != "/v1/health":
            refused = _token_problem(self.token, headers.get("authorization"))
            if refused is not None:
                # Before the body is read: no one without the token costs the server memory.
                await _problem_response(refused, lang)(scope, receive, send)
                return
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            await _problem_response(_too_large(self.limit), lang)(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before its body was read
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await _problem_response(_too_large(self.limit), lang)(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> AsgiMessage:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        started = False

        async def sending(message: AsgiMessage) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self.app(scope, replay, sending)
        except Exception as error:
            # Our fault, not the request's. Caught here so that it goes no further: the
            # server would log its message and traceback, which may quote a record. Only
            # its type and the path are logged.
            _LOG.error("internal error in %s %s: %s", scope["method"], scope["path"],
                       type(error).__name__)  # fmt: skip
            if not started:
                await _problem_response(_INTERNAL, lang)(scope, receive, send)


_BEARER: Final = HTTPBearer(auto_error=False, description="The token given to ce-rules serve")


def _token_problem(token: str, authorization: str | None) -> _ProblemError | None:
    """None if ``authorization`` is ``Bearer <token>``; else the 401 to answer."""
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        code = "no_token"
        reason = _m(
            "缺少令牌：请加上请求头 Authorization: Bearer <令牌>",
            "no token: send the header Authorization: Bearer <token>",
        )
    # Constant time: how much of a guess matches never shows in the time taken.
    elif hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8")):
        return None
    else:
        code, reason = "wrong_token", _m("令牌不正确", "the token is not right")
    return _ProblemError(
        401,
        "unauthorized",
        _m("未授权", "Unauthorized"),
        reason,
        [("Authorization", None, code, reason)],
        headers={"WWW-Authenticate": "Bearer"},
    )


def _token_check(token: str) -> Callable[..., Awaitable[None]]:
    """The token as a dependency: the OpenAPI document declares it (the middleware checks it)."""

    async def check(
        request: Request,
        # Read by HTTPBearer only so that the document names the scheme.
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
    ) -> None:
        refused = _token_problem(token, request.headers.get("authorization"))
        if refused is not None:
            raise refused

    return check


async def _judged(settings: ServeSettings, work: Callable[[], _T]) -> _T:
    """``work()`` in a worker thread, given at most ``settings.timeout_seconds``."""
    try:
        with anyio.fail_after(settings.timeout_seconds):
            # A judgement cannot be interrupted: past the limit its thread is abandoned
            # (it finishes and its result is dropped) and the client is told at once.
            return await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
    except TimeoutError:
        raise _ProblemError(
            503,
            "timeout",
            _m("处理超时", "Timed out"),
            _m(
                f"计算超过 {settings.timeout_seconds:g} 秒的上限：请分批提交，或稍后再试",
                f"the judgement took longer than the limit of {settings.timeout_seconds:g} s: "
                "send fewer records, or try again later",
            ),
        ) from None


def _count_limit(settings: ServeSettings, field: str, count: int) -> None:
    if count > settings.max_records:
        limit = settings.max_records
        reason = _m(
            f"共 {count} 条记录，超过每次请求 {limit} 条的上限：请分批提交",
            f"{count} records is over the limit of {limit} a request: send them in several",
        )
        raise _ProblemError(
            413,
            "too_many_records",
            _m("记录过多", "Too many records"),
            reason,
            [(field, str(count), "too_many_records", reason)],
        )


# --- request and response bodies ----------------------------------------------------------------

_PolicyId = Annotated[
    str | None,
    Field(description="a bundled policy id (GET /v1/policies); default: the year's Shandong one"),
]
_AsOf = Annotated[
    date | None,
    Field(description="the day the verdict speaks for; default: after the year"),
]


class _Request(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EvaluateRequest(_Request):
    """One person's year: ``evaluate(person, entries, year=..., policy=..., as_of=...)``.

    Attributes:
        person: Whose year it is.
        entries: Their credit entries (学时记录).
        year: The calendar year to judge.
        policy: A bundled policy id; default the Shandong policy governing ``year``.
        as_of: The day the verdict speaks for.
        allow_other_year: Apply ``policy`` to a year it does not govern (decision 8).
    """

    person: Person
    entries: list[CreditEntry]
    year: int
    policy: _PolicyId = None
    as_of: _AsOf = None
    allow_other_year: bool = False


class PlanRequest(_Request):
    """One person's gap plan: ``plan_compliance(person, entries, year=...)``.

    Attributes:
        person: Whose year it is.
        entries: Their credit entries.
        year: The year to plan.
        policy: A bundled policy id; default the Shandong policy governing ``year``.
        as_of: The day the plan speaks for (gives the days left).
    """

    person: Person
    entries: list[CreditEntry]
    year: int
    policy: _PolicyId = None
    as_of: _AsOf = None


class TitleWindow(_Request):
    """The years of a title application, by ``title_window`` (decision 9).

    Attributes:
        current_title_obtained_on: The day the current title was obtained.
        application_year: The year of the application.
    """

    current_title_obtained_on: date
    application_year: int


class PeriodRequest(_Request):
    """Several years for a title application: ``evaluate_period`` (一, 五(一), 二(三)).

    Give either ``years`` or ``window``.

    Attributes:
        person: Whose years they are.
        entries: Their credit entries, of any years.
        years: The years to judge.
        window: Or the title window the years are read from.
        policy: A bundled policy id for every year; default each year's own.
        as_of: The day the verdict speaks for.
        allow_other_year: Apply ``policy`` to years it does not govern (decision 8).
    """

    person: Person
    entries: list[CreditEntry]
    years: list[int] | None = None
    window: TitleWindow | None = None
    policy: _PolicyId = None
    as_of: _AsOf = None
    allow_other_year: bool = False


class PolicySummary(BaseModel):
    """A registered policy, as ``ce-rules policies`` lists it.

    Attributes:
        id: The policy id.
        version: Its version.
        region: The region it governs.
        years: The years it governs.
        title: Its title in Chinese.
        title_en: Its title in English.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    version: str
    region: str
    years: tuple[int, ...]
    title: str
    title_en: str


class RuleCatalogue(BaseModel):
    """A policy's rules with their clauses, as data and as ``rule_catalogue`` renders them.

    Attributes:
        policy_id: The policy.
        policy_version: Its version.
        rules: Its rules, each with its citation and, where it decides more than the
            clause says, its reading.
        markdown: The catalogue as Markdown (what docs/rules.md shows).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy_id: str
    policy_version: str
    rules: tuple[Rule, ...]
    markdown: str


class Health(BaseModel):
    """The service is up.

    Attributes:
        status: Always ``ok``.
        version: The version of ce-rules.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: Literal["ok"]
    version: str


SchemaName = Literal["record", "person", "verdict", "output"]
_SCHEMAS: Final[Mapping[str, Callable[[], dict[str, Any]]]] = {
    "record": record_json_schema,
    "person": lambda: record_json_schema(PERSON_COLUMNS),
    "verdict": lambda: BatchVerdict.model_json_schema(mode="serialization"),
    "output": output_schema,
}


def _json(model: BaseModel) -> Response:
    # The model's own JSON (hours as exact decimal strings), as ce-rules writes it everywhere.
    return Response(model.model_dump_json(), media_type="application/json")


# --- the batch --------------------------------------------------------------------------------


def _batch_lines(
    settings: ServeSettings,
    body: bytes,
    suffix: str,
    name: str,
    options: Mapping[str, Any],
) -> list[str]:
    """A batch judged as ``ce-rules check --format jsonl`` judges a file: its lines, totals last.

    The body is written to a private temporary directory only because the record reader
    reads files; the directory is removed before this returns.
    """
    with tempfile.TemporaryDirectory(prefix="ce-rules-serve-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(body)
        record_file = open_record_file(path, source=name, strict=options["strict"])
        tables = list(file_batches([record_file]))
    records = sum(
        table.frame.height + sum(not isinstance(row, SkippedRow) for _, row in table.others)
        for table in tables
    )
    _count_limit(settings, "body", records)
    lines = []
    for note in record_file.notes:
        lines.append(json.dumps({"note": note.model_dump()}, ensure_ascii=False))
    unknown = record_file.unknown_message()
    if unknown is not None:
        lines.append(json.dumps({"warning": unknown.model_dump()}, ensure_ascii=False))
    # Judged in bulk, and written as check writes it (verdict_json).
    batch = evaluate_batches(
        tables,
        year=options["year"],
        policy=options["policy"],
        as_of=options["as_of"],
        default_unit=options["default_unit"],
        default_mode=options["default_mode"],
        allow_other_year=options["allow_other_year"],
    )
    for verdict in verdict_json(batch.table):
        lines.append('{"verdict": ' + verdict + "}")
    for record in batch.invalid_records:
        lines.append('{"invalid_record": ' + record.model_dump_json() + "}")
    for row in batch.skipped:
        skipped = {"source": row.source, "line": row.line, "kind": row.kind, "text": row.text}
        lines.append(json.dumps({"skipped": skipped}, ensure_ascii=False))
    lines.append('{"totals": ' + json.dumps(batch.totals.as_dict()) + "}")
    return lines


def _choice_option(name: str, value: str | None) -> Any:
    if value is None:
        return None
    try:
        return parse_cell(column(name.removeprefix("default_")), value)
    except CellError as error:
        raise _ProblemError(
            422,
            error.code,
            _INVALID,
            error.message,
            [(name, _shown(value), error.code, error.message)],
        ) from None


def _lines(lines: list[str]) -> Iterator[bytes]:
    for line in lines:
        yield (line + "\n").encode("utf-8")


# --- the application ----------------------------------------------------------------------------

_PROBLEMS: Final[dict[int | str, dict[str, Any]]] = {
    422: {"model": Problem, "description": "The request is invalid: every field at fault"},
}
_LIMITED: Final[dict[int | str, dict[str, Any]]] = {
    **_PROBLEMS,
    413: {"model": Problem, "description": "The body or the number of records is over the limit"},
    503: {"model": Problem, "description": "The judgement took longer than the limit"},
}


def create_app(settings: ServeSettings | None = None) -> FastAPI:
    """The ASGI application: every endpoint under ``/v1`` (docs/service.md)."""
    settings = settings or ServeSettings()
    app = FastAPI(
        title="ce-rules",
        version=__version__,
        summary="China's continuing-education rules (专业技术人员继续教育) as a service",
        description="Verdicts, title periods and gap plans for professional and technical "
        "personnel, each number with the clause behind it. Errors are RFC 9457 problem "
        "documents in the language of Accept-Language (zh by default, or en).",
        openapi_url="/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    guarded: list[Any] = [] if settings.token is None else [Depends(_token_check(settings.token))]
    unauthorized: dict[int | str, dict[str, Any]] = (
        {}
        if settings.token is None
        else {401: {"model": Problem, "description": "No or wrong token"}}
    )

    @app.exception_handler(_ProblemError)
    async def on_problem(request: Request, error: _ProblemError) -> Response:
        return _problem_response(error, language(request.headers.get("accept-language")))

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, error: RequestValidationError) -> Response:
        lang = language(request.headers.get("accept-language"))
        found = _validation_problems(error.errors())
        count = len(found)
        detail = _m(
            f"请求有 {count} 处错误，见 errors", f"the request has {count} error(s), see errors"
        )
        return _problem_response(
            _ProblemError(422, "invalid_request", _INVALID, detail, found), lang
        )

    @app.exception_handler(CeRulesError)
    async def on_library(request: Request, error: CeRulesError) -> Response:
        lang = language(request.headers.get("accept-language"))
        return _problem_response(_library_problem(error), lang)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, error: StarletteHTTPException) -> Response:
        lang = language(request.headers.get("accept-language"))
        titles = {
            404: _m("未找到", "Not found"),
            405: _m("不支持该方法", "Method not allowed"),
        }
        title = titles.get(error.status_code, _m("请求无效", "Invalid request"))
        detail = _m(
            f"{request.method} {request.url.path}：{title.zh}（接口见 /v1/openapi.json）",
            f"{request.method} {request.url.path}: {title.en.lower()} (the endpoints are in "
            "/v1/openapi.json)",
        )
        problem = _ProblemError(
            error.status_code, f"http_{error.status_code}", title, detail, headers=error.headers
        )
        return _problem_response(problem, lang)

    @app.get("/v1/health", response_model=Health, tags=["service"])
    async def health() -> Response:
        """The service is up (no token needed)."""
        return _json(Health(status="ok", version=__version__))

    @app.post(
        "/v1/evaluate",
        response_model=Verdict,
        responses={**_LIMITED, **unauthorized},
        dependencies=guarded,
        tags=["judgement"],
    )
    async def evaluate_year(body: EvaluateRequest) -> Response:
        """One person's year (二(一), 三(一)): the verdict, each entry's decision and clause."""
        _count_limit(settings, "entries", len(body.entries))
        return await _judged(
            settings,
            lambda: _built(
                evaluate(
                    body.person,
                    body.entries,
                    year=body.year,
                    policy=_chosen(settings, body.policy),
                    as_of=body.as_of,
                    allow_other_year=body.allow_other_year,
                )
            ),
        )

    @app.post(
        "/v1/period",
        response_model=PeriodVerdict,
        responses={**_LIMITED, **unauthorized},
        dependencies=guarded,
        tags=["judgement"],
    )
    async def evaluate_title_period(body: PeriodRequest) -> Response:
        """Several years for a title application, with featured-course achievements (一, 二(三))."""
        _count_limit(settings, "entries", len(body.entries))
        if (body.years is None) == (body.window is None):
            reason = _m(
                "请给出 years（年度列表）或 window（职称取得日期与申报年度）之一",
                "give either years (a list of years) or window (the title's day and the "
                "application year), not both or neither",
            )
            raise _ProblemError(
                422,
                "invalid_request",
                _INVALID,
                reason,
                [("years", None, "years_or_window", reason)],
            )
        years: Sequence[int]
        if body.window is not None:
            window = body.window
            years = title_window(window.current_title_obtained_on, window.application_year)
            if not years:
                reason = _m(
                    "取得现职称后尚无完整年度可评价",
                    "no full year has passed since the current title was obtained",
                )
                raise _ProblemError(
                    422, "empty_window", _INVALID, reason,
                    [("window", _shown(window.model_dump(mode="json")), "empty_window", reason)],
                )  # fmt: skip
        else:
            years = body.years or []
        return await _judged(
            settings,
            lambda: _json(
                evaluate_period(
                    body.person,
                    body.entries,
                    years=years,
                    policy=_chosen(settings, body.policy),
                    as_of=body.as_of,
                    allow_other_year=body.allow_other_year,
                )
            ),
        )

    @app.post(
        "/v1/plan",
        response_model=CompliancePlan,
        responses={**_LIMITED, **unauthorized},
        dependencies=guarded,
        tags=["judgement"],
    )
    async def plan(body: PlanRequest) -> Response:
        """The gap plan: the extra hours each category still needs, and the days left."""
        _count_limit(settings, "entries", len(body.entries))
        return await _judged(
            settings,
            lambda: _json(
                plan_compliance(
                    body.person,
                    body.entries,
                    year=body.year,
                    policy=_chosen(settings, body.policy),
                    as_of=body.as_of,
                )
            ),
        )

    @app.post(
        "/v1/batch",
        responses={
            **_LIMITED,
            **unauthorized,
            200: {
                "description": "One JSON object a line, as `ce-rules check --format jsonl` "
                "writes them: `verdict`s sorted by person id, `invalid_record`s, `skipped` "
                "rows, then `totals` (notes and warnings about the file come first)",
                "content": {JSON_LINES: {"schema": {"type": "string"}}},
            },
            415: {"model": Problem, "description": "The body is not CSV, JSON Lines or xlsx"},
        },
        response_class=StreamingResponse,
        dependencies=guarded,
        tags=["judgement"],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {media: {"schema": {"type": "string"}} for media in _BATCH_TYPES},
            }
        },
    )
    async def batch(
        request: Request,
        year: Annotated[int, Query(description="the calendar year to judge")],
        region: Annotated[
            str | None, Query(description="a bundled region (shandong, cn-national)")
        ] = None,
        policy: Annotated[str | None, Query(description="a bundled policy id")] = None,
        as_of: Annotated[date | None, Query(description="the day the verdicts speak for")] = None,
        default_unit: Annotated[str | None, Query(description="provincial|municipal")] = None,
        default_mode: Annotated[str | None, Query(description="online|offline")] = None,
        allow_other_year: bool = False,
        strict: Annotated[bool, Query(description="a column not understood is an error")] = False,
        name: Annotated[
            str | None, Query(max_length=200, description="the name records are reported by")
        ] = None,
    ) -> StreamingResponse:
        """A batch of records (CSV, JSON Lines or xlsx, the columns `ce-rules check` reads).

        The policy is the region's for the year (`region`), or the one named (`policy`);
        with neither, Shandong's, as `ce-rules check` does for now. A parameter this
        endpoint does not know is refused, never ignored.
        """
        _known_parameters(request, _BATCH_PARAMETERS)
        if region is not None and policy is not None:
            reason = _m("region 与 policy 只能给出一个", "give region or policy, not both")
            raise _ProblemError(
                422, "conflicting_parameters", _INVALID, reason,
                [("region", _shown(region), "conflicting_parameters", reason)],
            )  # fmt: skip
        chosen = _chosen(settings, policy)
        if region is not None:
            chosen = _region_policy(settings.registry, region, year)
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        suffix = _BATCH_TYPES.get(media)
        if suffix is None:
            known = ", ".join(_BATCH_TYPES)
            reason = _m(
                f"请求体的 Content-Type 应为以下之一：{known}",
                f"the body's Content-Type must be one of: {known}",
            )
            raise _ProblemError(
                415, "unsupported_media_type", _m("不支持的媒体类型", "Unsupported media type"),
                reason, [("Content-Type", _shown(media or None), "unsupported_media_type", reason)],
            )  # fmt: skip
        options = {
            "year": year,
            "policy": chosen,
            "as_of": as_of,
            "default_unit": _choice_option("default_unit", default_unit),
            "default_mode": _choice_option("default_mode", default_mode),
            "allow_other_year": allow_other_year,
            "strict": strict,
        }
        body = await request.body()
        source = name or f"upload{suffix}"
        lines = await _judged(
            settings, lambda: _batch_lines(settings, body, suffix, source, options)
        )
        return StreamingResponse(_lines(lines), media_type=JSON_LINES)

    @app.get("/v1/policies", response_model=list[PolicySummary], dependencies=guarded,
             responses=unauthorized, tags=["policies"])  # fmt: skip
    async def policies() -> Response:
        """Every policy it knows (bundled, and of `--policies`): id, version, region, years."""
        listed = [
            PolicySummary(
                id=p.id, version=p.version, region=p.region, years=tuple(p.years),
                title=p.title, title_en=p.title_en,
            ).model_dump(mode="json")
            for p in settings.registry.policies
        ]  # fmt: skip
        return JSONResponse(listed)

    not_found: dict[int | str, dict[str, Any]] = {
        404: {"model": Problem, "description": "No policy has this id"},
        **_PROBLEMS,
        **unauthorized,
    }

    @app.get("/v1/policies/{policy_id}", response_model=Policy, dependencies=guarded,
             responses=not_found, tags=["policies"])  # fmt: skip
    async def one_policy(policy_id: str) -> Response:
        """One policy in full: its rules, citations and readings."""
        return _json(_policy_or_404(settings.registry, policy_id))

    @app.get("/v1/policies/{policy_id}/rules", response_model=RuleCatalogue, dependencies=guarded,
             responses=not_found, tags=["policies"])  # fmt: skip
    async def rules(policy_id: str) -> Response:
        """A policy's rule catalogue: every rule with its clause, as data and as Markdown."""
        found = _policy_or_404(settings.registry, policy_id)
        return _json(
            RuleCatalogue(
                policy_id=found.id,
                policy_version=found.version,
                rules=tuple(found.rules),
                markdown=rule_catalogue(found),
            )
        )

    @app.get("/v1/schemas", dependencies=guarded, responses=unauthorized, tags=["schemas"])
    async def schemas() -> dict[str, Any]:
        """The JSON Schemas `ce-rules schema all` prints: record, person, verdict, output."""
        return {which: make() for which, make in _SCHEMAS.items()}

    @app.get("/v1/schemas/{which}", dependencies=guarded, responses={**_PROBLEMS, **unauthorized},
             tags=["schemas"])  # fmt: skip
    async def one_schema(which: SchemaName) -> dict[str, Any]:
        """One JSON Schema, as `ce-rules schema WHICH` prints it."""
        return _SCHEMAS[which]()

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            for path in document["paths"].values():
                for operation in path.values():
                    for status, response in operation.get("responses", {}).items():
                        content = response.get("content", {})
                        if status[0] in "45" and "application/json" in content:
                            content[PROBLEM_JSON] = content.pop("application/json")
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_middleware(_Guard, limit=settings.max_body_bytes, token=settings.token)
    return app


def _built(verdict: Verdict) -> Response:
    # Serialised in the worker thread: a verdict builds its decisions on first use.
    return _json(verdict)


#: The query parameters of ``/v1/batch``.
_BATCH_PARAMETERS: Final = frozenset(
    {"year", "region", "policy", "as_of", "default_unit", "default_mode", "allow_other_year",
     "strict", "name"}
)  # fmt: skip


def _known_parameters(request: Request, known: frozenset[str]) -> None:
    """Refuse a query parameter the endpoint does not know (a 422): never ignored."""
    for name in request.query_params:
        if name not in known:
            reason = _m(
                f"未知参数 {name}；可用参数：{', '.join(sorted(known))}",
                f"unknown parameter {name!r}; known: {', '.join(sorted(known))}",
            )
            raise _ProblemError(
                422, "unknown_field", _INVALID, reason,
                [(name, _shown(request.query_params.get(name)), "unknown_field", reason)],
            )  # fmt: skip


def _chosen(settings: ServeSettings, policy_id: str | None) -> Policy | None:
    """The policy a request names by id; None for the library's default.

    An overlay is merged onto its base, as the command line does.
    """
    if policy_id is None:
        return None
    policy = settings.registry.by_id(policy_id)
    if policy.extends is not None:
        return merge_overlay(settings.registry.by_id(policy.extends), policy)
    return policy


def _region_policy(registry: Registry, region: str, year: int) -> Policy:
    """The policy governing ``year`` in ``region`` (a 422 naming the regions if none)."""
    try:
        return registry.policy(region, year)
    except PolicyNotFoundError as error:
        known = ", ".join(error.available)
        reason = _m(
            f"{region} 没有 {year} 年度的政策；已登记：{known}",
            f"no policy governs {year} in {region!r}; registered: {known}",
        )
        raise _ProblemError(
            422, "unknown_region", _INVALID, reason,
            [("region", _shown(region), "unknown_region", reason)],
        ) from None  # fmt: skip


def _policy_or_404(registry: Registry, policy_id: str) -> Policy:
    try:
        return registry.by_id(policy_id)
    except PolicyNotFoundError as error:
        known = ", ".join(error.available)
        reason = _m(
            f"没有编号为 {policy_id} 的政策；已登记：{known}",
            f"no policy has the id {policy_id!r}; registered: {known}",
        )
        raise _ProblemError(
            404, "unknown_policy", _m("未找到", "Not found"), reason,
            [("policy_id", _shown(policy_id), "unknown_policy", reason)],
        ) from None  # fmt: skip


def run(
    settings: ServeSettings,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    access_log: bool = False,
    max_concurrency: int | None = None,
) -> None:
    """Serve until interrupted, with uvicorn.

    Args:
        settings: The token and the limits.
        host: The address to bind; loopback by default.
        port: The port.
        access_log: Log one line a request (client, method, path, status; never a body).
        max_concurrency: The most connections at once; more are answered 503.
    """
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        access_log=access_log,
        limit_concurrency=max_concurrency,
        server_header=False,
        timeout_keep_alive=5,
        log_level="info",
    )

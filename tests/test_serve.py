"""``ce-rules serve``: a real server on localhost, called over HTTP, answering as the library does.

One server process for the module (``python -m ce_rules serve`` with a token and small
limits); every answer is compared with the library's own for the same input and checked
against the schema the server's OpenAPI document gives for it.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import csv
import io
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import httpx
import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate as validate_openapi

import ce_rules as ce
from ce_rules._cli import main
from ce_rules.testing import make_course, make_entry, make_person

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = "examples/records-2024.csv"
TOKEN = "s3cret-token-for-tests"
MAX_BODY = 64 * 1024
MAX_RECORDS = 40
#: A person id that appears only in request bodies: it must never reach the server's log.
SECRET_ID = "370100199901019999"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Server:
    """The server under test: its URL, a client with the token, its log, its TMPDIR."""

    url: str
    client: httpx.Client
    log: Path
    openapi: dict[str, Any]
    scratch: Path


#: A province's own policy file, which the module's server serves (``--policies``).
FICTIONAL = ROOT / "tests/data/fictional-2025.toml"


def free_port() -> int:
    """A port on localhost no one listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``python -m ce_rules serve`` with a token and small limits, up until the module ends."""
    folder = tmp_path_factory.mktemp("serve")
    token_file = folder / "token"
    token_file.write_text(TOKEN + "\n", "utf-8")
    log = folder / "server.log"
    # The server's own temporary directory, to see that no upload outlives its answer.
    scratch = folder / "tmp"
    scratch.mkdir()
    # A province of one's own, served beside the bundled policies.
    policies = folder / "policies"
    policies.mkdir()
    shutil.copy(FICTIONAL, policies)
    port = free_port()
    command = [
        sys.executable, "-m", "ce_rules", "serve", "--port", str(port),
        "--token-file", str(token_file), "--max-body", str(MAX_BODY),
        "--max-records", str(MAX_RECORDS), "--timeout", "30", "--access-log",
        "--policies", str(policies),
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "TMPDIR": str(scratch)},
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/v1/health", timeout=2).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the server did not start:\n{log.read_text('utf-8')}")
            time.sleep(0.1)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            openapi = client.get("/v1/openapi.json").json()
            yield Server(url, client, log, openapi, scratch)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover - a hung server
            process.kill()
            process.wait()


def conforms(server: Server, path: str, method: str, response: httpx.Response) -> None:
    """The response is what the OpenAPI document says this operation answers with."""
    operation = server.openapi["paths"][path][method]
    declared = operation["responses"][str(response.status_code)]
    media = response.headers["content-type"].split(";")[0]
    schema = declared["content"][media]["schema"]
    validator = jsonschema.Draft202012Validator(
        {**schema, "components": server.openapi["components"]}
    )
    validator.validate(response.json())


def library_json(model: Any) -> Any:
    """A library value as its JSON, parsed: what the service must answer."""
    return json.loads(model.model_dump_json())


def person_and_entries(n: int) -> tuple[ce.Person, list[ce.CreditEntry]]:
    """A person with a mix of counted, excluded and featured entries, varied by ``n``."""
    person = make_person(id=f"3701001990{n:08d}", unit=ce.UnitLevel.PROVINCIAL)
    featured = make_course(
        id=f"F{n}", category=ce.Category.PUBLIC, hours=Decimal("4.5"), featured=True,
        platform="专技知到",
    )  # fmt: skip
    professional = make_course(
        id=f"P{n}", category=ce.Category.PROFESSIONAL, hours=Decimal(20 + n % 50),
        mode=ce.Mode.OFFLINE,
    )  # fmt: skip
    other_platform = make_course(
        id=f"O{n}", category=ce.Category.PUBLIC, hours=Decimal("12.25"), mode=ce.Mode.ONLINE,
        platform="某网站",
    )  # fmt: skip
    entries = [
        make_entry(person, featured, role=ce.Role.INSTRUCTOR, completed_on=date(2024, 3, 1)),
        make_entry(person, professional, completed_on=date(2024, 6, 1)),
        make_entry(person, professional, completed_on=date(2023, 6, 1)),
        make_entry(person, other_platform, completed_on=date(2024, 9, 1)),
        make_entry(
            person, professional, completed_on=date(2024, 10, 1), status=ce.EntryStatus.PENDING
        ),
    ]
    return person, entries


def body(person: ce.Person, entries: list[ce.CreditEntry], **more: Any) -> dict[str, Any]:
    """A request body: the person and entries as the library writes them, and ``more``."""
    return {
        "person": library_json(person),
        "entries": [library_json(e) for e in entries],
        **more,
    }


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``ce-rules ARGS`` in process: exit code, stdout, stderr."""
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


# --- the OpenAPI document and health -----------------------------------------------------------


def test_openapi_document_is_valid_and_lists_every_endpoint(server: Server) -> None:
    """The OpenAPI document validates and names every endpoint, under /v1, with problems."""
    validate_openapi(server.openapi)
    assert set(server.openapi["paths"]) == {
        "/v1/health", "/v1/evaluate", "/v1/period", "/v1/plan", "/v1/batch", "/v1/policies",
        "/v1/policies/{policy_id}", "/v1/policies/{policy_id}/rules", "/v1/schemas",
        "/v1/schemas/{which}",
    }  # fmt: skip
    evaluate = server.openapi["paths"]["/v1/evaluate"]["post"]
    assert evaluate["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Verdict"
    }
    assert set(evaluate["responses"]["422"]["content"]) == {"application/problem+json"}
    assert "bearer" in json.dumps(server.openapi["components"]["securitySchemes"]).lower()
    # Every error the document declares is a problem document, none FastAPI's own shape.
    assert "HTTPValidationError" not in json.dumps(server.openapi)
    for operations in server.openapi["paths"].values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                if status[0] in "45":
                    assert response["content"] == {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}
                        }
                    }


def test_health_needs_no_token(server: Server) -> None:
    """/v1/health answers without a token: a load balancer can ask it."""
    response = httpx.get(f"{server.url}/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": ce.__version__}
    conforms(server, "/v1/health", "get", response)


# --- judgements, identical to the library's ------------------------------------------------------


def test_evaluate_is_the_library_verdict(server: Server) -> None:
    """POST /v1/evaluate answers exactly ``ce.evaluate``'s verdict, hours as exact strings."""
    person, entries = person_and_entries(1)
    response = server.client.post(
        "/v1/evaluate", json=body(person, entries, year=2024, as_of="2024-12-01")
    )
    assert response.status_code == 200, response.text
    expected = ce.evaluate(person, entries, year=2024, as_of=date(2024, 12, 1))
    assert response.json() == library_json(expected)
    earned = response.json()["requirements"][0]["earned"]
    assert isinstance(earned, str)
    assert Decimal(earned) == expected.requirements[0].earned
    conforms(server, "/v1/evaluate", "post", response)


def test_evaluate_with_a_named_policy(server: Server) -> None:
    """A bundled policy named by id judges the year, as the library does with that id."""
    person, entries = person_and_entries(2)
    response = server.client.post(
        "/v1/evaluate", json=body(person, entries, year=2024, policy="cn-national-2015")
    )
    assert response.status_code == 200, response.text
    expected = ce.evaluate(person, entries, year=2024, policy="cn-national-2015")
    assert response.json() == library_json(expected)
    assert response.json()["policy_id"] == "cn-national-2015"


def test_period_by_years_and_by_title_window(server: Server) -> None:
    """POST /v1/period is ``evaluate_period``, by years or by title window, with achievements."""
    person, entries = person_and_entries(3)
    expected = library_json(ce.evaluate_period(person, entries, years=[2024]))
    by_years = server.client.post("/v1/period", json=body(person, entries, years=[2024]))
    assert by_years.status_code == 200, by_years.text
    assert by_years.json() == expected
    assert expected["achievements"], "the featured instructorship is an achievement (二(三))"
    conforms(server, "/v1/period", "post", by_years)
    window = {"current_title_obtained_on": "2023-07-01", "application_year": 2025}
    assert ce.title_window(date(2023, 7, 1), 2025) == (2024,)
    by_window = server.client.post("/v1/period", json=body(person, entries, window=window))
    assert by_window.json() == expected
    unregistered = server.client.post("/v1/period", json=body(person, entries, years=[2023, 2024]))
    assert unregistered.status_code == 422
    assert unregistered.json()["errors"][0]["value"] == "2023"


def test_plan_is_the_library_plan(server: Server) -> None:
    """POST /v1/plan is ``plan_compliance``: gaps per category and days left."""
    person, entries = person_and_entries(4)
    response = server.client.post(
        "/v1/plan", json=body(person, entries, year=2024, as_of="2024-10-01")
    )
    assert response.status_code == 200, response.text
    expected = ce.plan_compliance(person, entries, year=2024, as_of=date(2024, 10, 1))
    assert response.json() == library_json(expected)
    assert response.json()["days_left"] == expected.days_left
    conforms(server, "/v1/plan", "post", response)


def jsonl(response: httpx.Response) -> list[dict[str, Any]]:
    """The JSON Lines of a response, parsed."""
    return [json.loads(line) for line in response.text.splitlines()]


def test_batch_csv_is_what_check_writes(server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    """A CSV upload answers the lines ``ce-rules check --format jsonl`` writes, totals last."""
    data = (ROOT / EXAMPLE).read_bytes()
    response = server.client.post(
        "/v1/batch",
        params={"year": 2024, "name": EXAMPLE},
        content=data,
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    with contextlib.chdir(ROOT):
        code, out, _ = cli(["check", EXAMPLE, "--year", "2024", "--format", "jsonl"], capsys)
    assert code == 1
    assert jsonl(response) == [json.loads(line) for line in out.splitlines()]
    assert list(jsonl(response)[-1]) == ["totals"]
    assert jsonl(response)[-1]["totals"]["persons"] == 5


def test_batch_json_lines_keeps_every_record(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A JSON Lines upload with a broken record: the record is listed, counted, never dropped."""
    rows = [
        {"person_id": "370100199001010011", "course_title": "公需课", "category": "公需科目",
         "hours": "30", "completed_on": "2024-03-01", "mode": "线下培训"},
        {"person_id": "370100199001010011", "course_title": "专业课", "category": "专业科目",
         "hours": "10.555", "completed_on": "2024-03-02"},
        {"person_id": "370100199001010022", "course_title": "专业课", "category": "专业科目",
         "hours": "60", "completed_on": "2024/5/1"},
    ]  # fmt: skip
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    path = tmp_path / "records.jsonl"
    path.write_text(text, "utf-8")
    response = server.client.post(
        "/v1/batch",
        params={"year": 2024, "name": str(path)},
        content=text.encode("utf-8"),
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    code, out, _ = cli(["check", str(path), "--year", "2024", "--format", "jsonl"], capsys)
    assert code == 2
    assert jsonl(response) == [json.loads(line) for line in out.splitlines()]
    invalid = [line["invalid_record"] for line in jsonl(response) if "invalid_record" in line]
    assert [(r["line"], r["problems"][0]["field"]) for r in invalid] == [(2, "hours")]
    assert jsonl(response)[-1]["totals"]["invalid"] == 1


def test_batch_xlsx_is_what_check_writes(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An xlsx upload (the excel extra) answers what ``check`` writes for that workbook."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "学时"
    sheet.append(["2024年度继续教育学时汇总表"])
    for row in csv.reader(io.StringIO((ROOT / EXAMPLE).read_text("utf-8"))):
        sheet.append(row)
    path = tmp_path / "records.xlsx"
    workbook.save(path)
    response = server.client.post(
        "/v1/batch",
        params={"year": 2024, "name": str(path)},
        content=path.read_bytes(),
        headers={"Content-Type": XLSX},
    )
    assert response.status_code == 200, response.text
    code, out, _ = cli(["check", str(path), "--year", "2024", "--format", "jsonl"], capsys)
    assert code == 1
    note, *lines = jsonl(response)
    assert note == {"note": {"zh": "读取的工作表：学时", "en": "sheets read: 学时"}}
    assert lines == [json.loads(line) for line in out.splitlines()]
    assert {"skipped": {"source": f"{path}[学时]", "line": 1, "kind": "title",
                        "text": "2024年度继续教育学时汇总表"}} in lines  # fmt: skip
    assert (lines[-1]["totals"]["records"], lines[-1]["totals"]["skipped"]) == (18, 1)


def test_batch_errors_are_problems(server: Server) -> None:
    """A batch with no year, a wrong media type, a bad default or no header is a 4xx problem."""
    csv_body = (ROOT / EXAMPLE).read_bytes()
    no_year = server.client.post(
        "/v1/batch", content=csv_body, headers={"Content-Type": "text/csv"}
    )
    assert no_year.status_code == 422
    assert no_year.json()["errors"][0]["field"] == "year"
    assert no_year.json()["errors"][0]["reason"] == "缺少必填字段"
    wrong_type = server.client.post(
        "/v1/batch", params={"year": 2024}, content=csv_body,
        headers={"Content-Type": "application/pdf", "Accept-Language": "en"},
    )  # fmt: skip
    assert wrong_type.status_code == 415
    assert wrong_type.json()["errors"][0]["value"] == "application/pdf"
    assert "text/csv" in wrong_type.json()["errors"][0]["reason"]
    conforms(server, "/v1/batch", "post", wrong_type)
    bad_unit = server.client.post(
        "/v1/batch", params={"year": 2024, "default_unit": "省级单位X"}, content=csv_body,
        headers={"Content-Type": "text/csv"},
    )  # fmt: skip
    assert bad_unit.status_code == 422
    assert bad_unit.json()["errors"][0]["field"] == "default_unit"
    assert bad_unit.json()["errors"][0]["value"] == "省级单位X"
    no_header = server.client.post(
        "/v1/batch", params={"year": 2024}, content=b"a,b\n1,2\n",
        headers={"Content-Type": "text/csv", "Accept-Language": "en"},
    )  # fmt: skip
    assert no_header.status_code == 422
    assert no_header.headers["content-type"] == "application/problem+json"
    assert no_header.json()["errors"][0]["field"] == "body"
    assert "person_id" in no_header.json()["detail"]
    conforms(server, "/v1/batch", "post", no_header)


def test_batch_by_region_and_unknown_parameters(server: Server) -> None:
    """``region`` chooses the region's policy for the year; an unknown parameter is a 422.

    A parameter the endpoint does not know is named and refused, never ignored: a client
    must not believe it was applied.
    """
    csv_body = (ROOT / EXAMPLE).read_bytes()

    def post(params: dict[str, Any], lang: str = "zh") -> httpx.Response:
        return server.client.post(
            "/v1/batch", params=params, content=csv_body,
            headers={"Content-Type": "text/csv", "Accept-Language": lang},
        )  # fmt: skip

    by_region = post({"year": 2024, "region": "shandong", "name": EXAMPLE})
    by_id = post({"year": 2024, "policy": "shandong-2024", "name": EXAMPLE})
    assert by_region.status_code == by_id.status_code == 200
    assert jsonl(by_region) == jsonl(by_id)
    assert {line["verdict"]["policy_id"] for line in jsonl(by_region) if "verdict" in line} == {
        "shandong-2024"
    }
    national = post({"year": 2024, "region": "cn-national", "name": EXAMPLE})
    assert {line["verdict"]["policy_id"] for line in jsonl(national) if "verdict" in line} == {
        "cn-national-2015"
    }
    unknown = post({"year": 2024, "regoin": "shandong"}, "en")
    assert unknown.status_code == 422
    assert unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json()["errors"][0]["field"] == "regoin"
    assert "region" in unknown.json()["errors"][0]["reason"]
    conforms(server, "/v1/batch", "post", unknown)
    nowhere = post({"year": 2024, "region": "atlantis"})
    assert nowhere.status_code == 422
    assert nowhere.json()["errors"][0]["field"] == "region"
    assert "shandong" in nowhere.json()["errors"][0]["reason"]
    both = post({"year": 2024, "region": "shandong", "policy": "shandong-2024"})
    assert both.status_code == 422
    assert both.json()["errors"][0]["code"] == "conflicting_parameters"


def test_a_policy_of_ones_own_is_served(server: Server) -> None:
    """``serve --policies DIR``: a province's own policy is listed, judged by id and by region."""
    listed = {p["id"] for p in server.client.get("/v1/policies").json()}
    assert {"fictional-2025", "shandong-2024", "cn-national-2015"} <= listed
    rules = server.client.get("/v1/policies/fictional-2025/rules").json()
    assert "第三条" in rules["markdown"]
    own = ce.load_policy(FICTIONAL)
    person = ce.Person(id="370102198001011234", unit=ce.UnitLevel.MUNICIPAL)
    course = ce.Course(id="C1", title="专业课", category=ce.Category.PROFESSIONAL, hours="56",
                       mode=ce.Mode.OFFLINE)  # fmt: skip
    entries = [ce.CreditEntry(person_id=person.id, course=course, completed_on=date(2025, 5, 1))]
    answer = server.client.post(
        "/v1/evaluate", json=body(person, entries, year=2025, policy="fictional-2025")
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == library_json(ce.evaluate(person, entries, year=2025, policy=own))
    records = "身份证号,课程名称,科目类别,学时,学习形式,完成日期,单位级别\n" + (
        "370102198001011234,专业课,专业科目,56,线下培训,2025-05-01,市属单位\n"
    )
    batch = server.client.post(
        "/v1/batch", params={"year": 2025, "region": "fictional"},
        content=records.encode(), headers={"Content-Type": "text/csv"},
    )  # fmt: skip
    assert batch.status_code == 200, batch.text
    (verdict,) = [line["verdict"] for line in jsonl(batch) if "verdict" in line]
    assert verdict["policy_id"] == "fictional-2025"
    assert [r["earned"] for r in verdict["requirements"]] == ["0", "56"]


# --- policies and schemas ----------------------------------------------------------------------


def test_policies_one_policy_and_its_rules(server: Server) -> None:
    """The registry over HTTP: the list, one policy in full, its rule catalogue; 404 otherwise."""
    listed = server.client.get("/v1/policies")
    # The bundled ones and the folder's (the module's server has --policies).
    registry = ce.Registry().with_policies([ce.load_policy(FICTIONAL)])
    assert [p["id"] for p in listed.json()] == [p.id for p in registry.policies]
    conforms(server, "/v1/policies", "get", listed)
    policy = ce.policy_by_id("shandong-2024")
    one = server.client.get("/v1/policies/shandong-2024")
    assert one.json() == library_json(policy)
    conforms(server, "/v1/policies/{policy_id}", "get", one)
    rules = server.client.get("/v1/policies/shandong-2024/rules")
    assert rules.json()["markdown"] == ce.rule_catalogue(policy)
    assert [r["code"] for r in rules.json()["rules"]] == [r.code for r in policy.rules]
    assert rules.json()["rules"][0]["citation"]["clause"] == policy.rules[0].citation.clause
    conforms(server, "/v1/policies/{policy_id}/rules", "get", rules)
    missing = server.client.get("/v1/policies/shandong-2099", headers={"Accept-Language": "en"})
    assert missing.status_code == 404
    assert missing.json()["errors"][0] == {
        "field": "policy_id",
        "value": "shandong-2099",
        "code": "unknown_policy",
        "reason": missing.json()["detail"],
    }
    conforms(server, "/v1/policies/{policy_id}", "get", missing)


def test_schemas_are_what_the_cli_prints(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    """/v1/schemas is ``ce-rules schema all``; /v1/schemas/record is ``ce-rules schema record``."""
    _, out, _ = cli(["schema", "all"], capsys)
    assert server.client.get("/v1/schemas").json() == json.loads(out)
    _, out, _ = cli(["schema", "record"], capsys)
    assert server.client.get("/v1/schemas/record").json() == json.loads(out)
    nonsense = server.client.get("/v1/schemas/nonsense")
    assert nonsense.status_code == 422
    assert nonsense.json()["errors"][0]["field"] == "which"
    conforms(server, "/v1/schemas/{which}", "get", nonsense)


# --- errors ----------------------------------------------------------------------------------


def test_invalid_body_names_every_field_in_chinese_by_default(server: Server) -> None:
    """Bad input is a 422 problem naming each field, value and reason, in Chinese by default."""
    person, entries = person_and_entries(5)
    data = body(person, entries, year=2024, colour="blue")
    data["entries"][1]["course"]["hours"] = "10.555"
    data["entries"][2]["completed_on"] = "2024-13-01"
    del data["person"]["id"]
    response = server.client.post("/v1/evaluate", json=data)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["content-language"] == "zh"
    problem = response.json()
    assert problem["status"] == 422
    assert problem["type"] == "urn:ce-rules:problem:invalid_request"
    found = {e["field"]: e for e in problem["errors"]}
    assert set(found) == {
        "person.id", "entries[1].course.hours", "entries[2].completed_on", "colour",
    }  # fmt: skip
    assert found["person.id"]["code"] == "required"
    assert found["entries[1].course.hours"]["value"] == "10.555"
    assert found["entries[1].course.hours"]["code"] == "too_many_decimals"
    assert "两位小数" in found["entries[1].course.hours"]["reason"]
    assert found["entries[2].completed_on"]["value"] == "2024-13-01"
    assert found["colour"]["code"] == "unknown_field"
    conforms(server, "/v1/evaluate", "post", response)


def test_fields_that_disagree_are_each_named(server: Server) -> None:
    """An entry's hours over its course's, a later credited year, a featured offline course."""
    person, entries = person_and_entries(13)
    data = body(person, entries, year=2024)
    data["entries"][1].update(hours="99", credited_year=2025)
    data["entries"][3]["course"].update(featured=True, mode="offline")
    response = server.client.post("/v1/evaluate", json=data)
    assert response.status_code == 422
    found = {e["field"]: (e["value"], e["code"], e["reason"]) for e in response.json()["errors"]}
    assert found == {
        "entries[1].hours": ("99", "more_than_course", "本条记录的学时99多于课程学时33"),
        "entries[1].credited_year": (
            "2025", "after_completion", "培训年度2025晚于完成年度2024；补学只计入以前年度",
        ),
        "entries[3].course.featured": (
            "true", "not_online_public",
            "只有远程教育的公需科目课程才能是优质在线公需课（二(三)）："
            "请改正 featured、category 或 mode（got category=public, mode=offline）",
        ),
    }  # fmt: skip
    del data["entries"][1]["person_id"]
    missing = server.client.post("/v1/evaluate", json=data).json()["errors"]
    assert ("entries[1].person_id", "required") in [(e["field"], e["code"]) for e in missing]


def test_errors_in_english_when_asked(server: Server) -> None:
    """Accept-Language: en gives the same problem in English."""
    person, entries = person_and_entries(6)
    data = body(person, entries, year=2024)
    data["entries"][0]["course"]["hours"] = "10.555"
    response = server.client.post(
        "/v1/evaluate", json=data, headers={"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"}
    )
    assert response.status_code == 422
    assert response.headers["content-language"] == "en"
    (error,) = response.json()["errors"]
    assert error["field"] == "entries[0].course.hours"
    assert "two decimal places" in error["reason"]
    assert response.json()["title"] == "Invalid request"


def test_a_year_without_a_policy_is_a_problem_not_a_verdict(server: Server) -> None:
    """A year no policy governs is a 422 naming the year (decision 8), never a verdict."""
    person, entries = person_and_entries(7)
    response = server.client.post(
        "/v1/evaluate", json=body(person, entries, year=2031), headers={"Accept-Language": "en"}
    )
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert (error["field"], error["value"], error["code"]) == ("year", "2031", "no_policy")
    assert "decision 8" in error["reason"]
    conforms(server, "/v1/evaluate", "post", response)
    unknown = server.client.post(
        "/v1/plan", json=body(person, entries, year=2024, policy="nowhere-2024")
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "policy"


def test_broken_json_and_wrong_shapes_are_4xx(server: Server) -> None:
    """Broken JSON, a wrong period request and unknown paths are 4xx problems, never 5xx."""
    broken = server.client.post(
        "/v1/evaluate", content=b'{"person": ', headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 422
    assert broken.json()["errors"][0]["code"] == "json_invalid"
    person, entries = person_and_entries(8)
    both = server.client.post(
        "/v1/period",
        json=body(person, entries, years=[2024],
                  window={"current_title_obtained_on": "2020-01-01", "application_year": 2025}),
    )  # fmt: skip
    assert both.status_code == 422
    assert both.json()["errors"][0]["code"] == "years_or_window"
    empty = server.client.post(
        "/v1/period",
        json=body(person, entries,
                  window={"current_title_obtained_on": "2024-06-01", "application_year": 2025}),
    )  # fmt: skip
    assert empty.status_code == 422
    assert empty.json()["code"] == "empty_window"
    nowhere = server.client.get("/v1/nowhere", headers={"Accept-Language": "en"})
    assert nowhere.status_code == 404
    assert nowhere.headers["content-type"] == "application/problem+json"
    wrong_method = server.client.get("/v1/evaluate")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["title"] == "不支持该方法"


# --- safety: token, limits, logs ---------------------------------------------------------------


def test_token_is_required_and_checked(server: Server) -> None:
    """Without the token, or with a wrong one, every endpoint but health answers 401."""
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic eDp5"}):
        response = httpx.get(f"{server.url}/v1/policies", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.headers["content-type"] == "application/problem+json"
        conforms(server, "/v1/policies", "get", response)
    person, entries = person_and_entries(9)
    response = httpx.post(
        f"{server.url}/v1/evaluate", json=body(person, entries, year=2024),
        headers={"Authorization": f"Bearer {TOKEN}x", "Accept-Language": "en"},
    )  # fmt: skip
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "wrong_token"


def test_token_is_checked_before_the_body_is_read(server: Server) -> None:
    """Without the token, even a body over the limit is a 401: the server does not read it."""
    response = httpx.post(
        f"{server.url}/v1/batch", params={"year": 2024}, content=b"x" * (MAX_BODY + 1),
        headers={"Content-Type": "text/csv", "Accept-Language": "en"},
    )  # fmt: skip
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "no_token"


def test_argument_errors_of_the_library_in_both_languages(server: Server) -> None:
    """A year out of range, or one the named policy does not govern, is explained in zh and en."""
    person, entries = person_and_entries(12)
    far = server.client.post("/v1/evaluate", json=body(person, entries, year=1800))
    assert far.status_code == 422
    assert far.json()["errors"][0] == {
        "field": "year", "value": "1800", "code": "invalid_argument",
        "reason": "应为 1990 至 2100 之间的年份",
    }  # fmt: skip
    other = body(person, entries, year=2025, policy="shandong-2024")
    zh = server.client.post("/v1/evaluate", json=other)
    assert zh.status_code == 422
    assert "不适用于 2025 年度（决定8）" in zh.json()["errors"][0]["reason"]
    en = server.client.post("/v1/evaluate", json=other, headers={"Accept-Language": "en"})
    assert "allow_other_year: true" in en.json()["errors"][0]["reason"]
    allowed = server.client.post("/v1/evaluate", json={**other, "allow_other_year": True})
    assert allowed.status_code == 200
    expected = ce.evaluate(
        person, entries, year=2025, policy="shandong-2024", allow_other_year=True
    )
    assert allowed.json() == library_json(expected)


def test_body_over_the_limit_is_413(server: Server) -> None:
    """A body over --max-body is refused with 413, declared or streamed without a length."""
    big = b"x" * (MAX_BODY + 1)
    declared = server.client.post(
        "/v1/batch", params={"year": 2024}, content=big, headers={"Content-Type": "text/csv"}
    )
    assert declared.status_code == 413
    assert declared.json()["code"] == "body_too_large"
    conforms(server, "/v1/batch", "post", declared)

    def chunks() -> Iterator[bytes]:
        for _ in range(MAX_BODY // 1024 + 2):
            yield b"y" * 1024

    streamed = server.client.post(
        "/v1/evaluate", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    assert str(MAX_BODY) in streamed.json()["detail"]


def test_too_many_records_is_413(server: Server) -> None:
    """More records than --max-records, in a batch or a person's entries, is refused with 413."""
    lines = (ROOT / EXAMPLE).read_text("utf-8").splitlines()
    header, first = lines[0], lines[1]
    many = "\n".join([header, *[first] * (MAX_RECORDS + 1)]) + "\n"
    response = server.client.post(
        "/v1/batch", params={"year": 2024}, content=many.encode(),
        headers={"Content-Type": "text/csv", "Accept-Language": "en"},
    )  # fmt: skip
    assert response.status_code == 413
    assert response.json()["errors"][0]["value"] == str(MAX_RECORDS + 1)
    person, entries = person_and_entries(10)
    response = server.client.post(
        "/v1/evaluate", json=body(person, entries * (MAX_RECORDS // len(entries) + 1), year=2024)
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] == "entries"
    conforms(server, "/v1/evaluate", "post", response)


_CELL = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30),
    st.sampled_from(["公需科目", "10.5", "2024/5/1", "是", "授课教师", "", "1e400", "３０"]),
    st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=5), st.none()),
)  # fmt: skip


@settings(max_examples=60)
@given(
    person=st.dictionaries(st.sampled_from(["id", "unit", "city", "name", "x"]), _CELL),
    course=st.dictionaries(
        st.sampled_from(["id", "title", "category", "hours", "mode", "featured", "topics"]), _CELL
    ),
    entry=st.dictionaries(
        st.sampled_from(["person_id", "role", "completed_on", "hours", "credited_year", "status"]),
        _CELL,
    ),
    year=_CELL,
)
def test_no_input_makes_a_5xx(
    server: Server, person: dict[str, Any], course: dict[str, Any], entry: dict[str, Any],
    year: Any,
) -> None:  # fmt: skip
    """Whatever JSON values the fields hold, the answer is a verdict or a 4xx problem."""
    data = {"person": person, "entries": [{**entry, "course": course}], "year": year}
    response = server.client.post("/v1/evaluate", json=data)
    assert response.status_code in (200, 422), response.text
    conforms(server, "/v1/evaluate", "post", response)
    if response.status_code == 422:
        assert all(e["reason"] for e in response.json()["errors"])


def test_concurrent_requests_answer_as_the_library(server: Server) -> None:
    """24 requests on 8 connections at once: each answer is the library's verdict for it."""
    cases = [person_and_entries(100 + n) for n in range(24)]

    def ask(case: tuple[ce.Person, list[ce.CreditEntry]]) -> Any:
        person, entries = case
        return server.client.post("/v1/evaluate", json=body(person, entries, year=2024)).json()

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(ask, cases))
    assert time.monotonic() - started < 60
    assert answers == [library_json(ce.evaluate(p, e, year=2024)) for p, e in cases]


def test_no_upload_outlives_its_answer(server: Server) -> None:
    """After batches (judged, refused, unreadable) the server's temporary directory is empty."""
    data = (ROOT / EXAMPLE).read_bytes()
    for content in (data, b"a,b\n1,2\n", data * 3):
        response = server.client.post(
            "/v1/batch", params={"year": 2024}, content=content,
            headers={"Content-Type": "text/csv"},
        )  # fmt: skip
        assert response.status_code in (200, 413, 422)
    assert list(server.scratch.iterdir()) == []


def test_no_record_reaches_the_log(server: Server) -> None:
    """The server's log (with --access-log) names requests, never a record or a person id."""
    data = body(make_person(id=SECRET_ID), [], year=2024)
    assert server.client.post("/v1/evaluate", json=data).status_code == 200
    data["entries"] = [{"person_id": SECRET_ID, "course": {"hours": "0"}}]
    assert server.client.post("/v1/evaluate", json=data).status_code == 422
    time.sleep(0.2)
    log = server.log.read_text("utf-8")
    assert '"POST /v1/evaluate HTTP/1.1" 200' in log
    assert SECRET_ID not in log
    # Nor any person id the other tests sent.
    assert not [n for n in range(200) if person_and_entries(n)[0].id in log]


# --- the command and the module without a server -------------------------------------------------


def test_language_follows_accept_language() -> None:
    """``zh`` unless English is preferred; q-values and regions are understood."""
    from ce_rules.serve import language

    assert language(None) == "zh"
    assert language("en") == "en"
    assert language("en-US,en;q=0.9") == "en"
    assert language("fr-FR, en;q=0.5, zh;q=0.8") == "zh"
    assert language("fr, de") == "zh"
    assert language("en;q=0, zh-CN") == "zh"
    assert language("zh-TW;q=0.2, en-GB;q=0.7") == "en"


def test_a_judgement_over_the_time_limit_is_503() -> None:
    """A judgement longer than the timeout answers 503 at once (in process: a tiny limit)."""
    from ce_rules.serve import ServeSettings, create_app

    app = create_app(ServeSettings(timeout_seconds=0.000001))
    data = (ROOT / EXAMPLE).read_bytes()

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post(
                "/v1/batch", params={"year": 2024}, content=data,
                headers={"Content-Type": "text/csv", "Accept-Language": "en"},
            )  # fmt: skip

    response = anyio.run(call)
    assert response.status_code == 503
    assert response.json()["code"] == "timeout"
    assert "limit" in response.json()["detail"]


def test_an_internal_error_is_a_500_problem_without_the_record(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A fault of ce-rules itself is a 500 problem; the log names its type, not the input."""
    import ce_rules.serve as serve

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"fault while judging {args[0].id}")

    monkeypatch.setattr(serve, "evaluate", broken)
    app = serve.create_app()
    person, entries = person_and_entries(14)

    async def call() -> httpx.Response:
        # The error must not leave the application: the server would log its message.
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post("/v1/evaluate", json=body(person, entries, year=2024))

    response = anyio.run(call)
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "internal_error"
    assert person.id not in response.text
    logged = [r.getMessage() for r in caplog.records if r.name == "ce_rules.serve"]
    assert logged == ["internal error in POST /v1/evaluate: RuntimeError"]


def test_import_ce_rules_does_not_import_fastapi() -> None:
    """``import ce_rules`` (and the command line) leave the service's framework unloaded."""
    code = "import sys, ce_rules, ce_rules._cli; print('fastapi' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


def test_serve_without_the_extra_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without fastapi, ``ce-rules serve`` exits 2 naming the extra, in either language."""
    import ce_rules as package

    monkeypatch.delitem(sys.modules, "ce_rules.serve", raising=False)
    monkeypatch.delattr(package, "serve", raising=False)
    monkeypatch.setitem(sys.modules, "fastapi", None)
    code, _, err = cli(["serve"], capsys)
    assert code == 2
    assert "pip install 'ce-rules[serve]'" in err
    assert "需要 serve 扩展" in err
    code, _, err = cli(["--lang", "en", "serve"], capsys)
    assert code == 2
    assert "needs the serve extra" in err
    assert "Traceback" not in err


def test_serve_on_a_port_in_use_exits_2(server: Server) -> None:
    """A second server on the port in use says so and exits 2, never 1 (a verdict's code)."""
    port = httpx.URL(server.url).port
    done = subprocess.run(
        [sys.executable, "-m", "ce_rules", "--lang", "en", "serve", "--port", str(port)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert f"could not serve on 127.0.0.1:{port}" in done.stderr
    assert "address already in use" in done.stderr


def test_serve_without_uvicorn_names_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without uvicorn (fastapi present), the message names uvicorn."""
    import ce_rules as package

    monkeypatch.delitem(sys.modules, "ce_rules.serve", raising=False)
    monkeypatch.delattr(package, "serve", raising=False)
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    code, _, err = cli(["--lang", "en", "serve"], capsys)
    assert code == 2
    assert "(uvicorn is not installed)" in err


def test_serve_refuses_bad_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An empty token file or a limit that is not positive is a usage error (2), not a server."""
    empty = tmp_path / "token"
    empty.write_text("\n", "utf-8")
    code, _, err = cli(["--lang", "en", "serve", "--token-file", str(empty)], capsys)
    assert (code, "is empty" in err) == (2, True)
    code, _, err = cli(["serve", "--max-records", "0"], capsys)
    assert (code, "--max-records 必须为正数" in err) == (2, True)
    code, _, err = cli(["serve", "--token-file", str(tmp_path / "missing")], capsys)
    assert (code, "无法读取" in err) == (2, True)
    code, _, err = cli(["serve", "--port", "70000"], capsys)
    assert (code, "--port 不得大于 65535" in err) == (2, True)


# --- the documentation's examples ----------------------------------------------------------------


def documented_curls() -> list[list[str]]:
    """Every ``curl`` command of docs/service.md, split as a shell splits it."""
    text = (ROOT / "docs" / "service.md").read_text("utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL)
    return [
        shlex.split(line)
        for block in blocks
        for line in block.splitlines()
        if line.startswith("curl ")
    ]


def test_every_curl_example_of_the_docs_works(server: Server) -> None:
    """Each curl command of docs/service.md, sent to the server, is answered as documented."""
    exercised: set[str] = set()
    paths = {*server.openapi["paths"], "/v1/openapi.json"}
    templates = {re.sub(r"\{[^}]+\}", "[^/]+", p) + "$": p for p in paths}
    curls = documented_curls()
    assert len(curls) >= 20
    for words in curls:
        url, headers, data = "", {"Authorization": f"Bearer {TOKEN}"}, None
        rest = iter(words[1:])
        for word in rest:
            if word in ("-H", "--header"):
                name, _, value = next(rest).partition(":")
                headers[name.strip()] = value.strip()
            elif word in ("-d", "--data", "--data-binary"):
                given = next(rest)
                data = (ROOT / given[1:]).read_bytes() if given.startswith("@") else given.encode()
            elif word == "-o":
                next(rest)
            elif word.startswith("http"):
                url = word
            else:
                assert word == "-s", word
        assert url.startswith("http://127.0.0.1:8000/v1/"), url
        method = "post" if data is not None else "get"
        response = httpx.request(
            method, url.replace("http://127.0.0.1:8000", server.url), headers=headers,
            content=data, timeout=60,
        )  # fmt: skip
        path = httpx.URL(url).path
        (template,) = [t for pattern, t in templates.items() if re.match(pattern, path)]
        exercised.add(template)
        # The page's two examples of errors: an unknown policy and hours with three decimals.
        refused = "shandong-2099" in url or b"10.555" in (data or b"")
        assert response.status_code == (404 if "2099" in url else 422 if refused else 200), (
            words,
            response.text,
        )
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json"
            wanted = "en" if headers.get("Accept-Language") == "en" else "zh"
            assert response.headers["content-language"] == wanted
        if response.headers["content-type"].startswith("application/x-ndjson"):
            assert "totals" in jsonl(response)[-1]
        elif template != "/v1/openapi.json":
            conforms(server, template, method, response)
    assert exercised == paths

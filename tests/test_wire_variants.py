"""The client reads every wire variant in the catalog. Variants the sandbox does not
produce are recorded responses served through httpx.MockTransport to the real client."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from katana_sn_mcp.katana.client import KatanaClient, RetryPolicy
from katana_sn_mcp.katana.errors import (
    AuthError,
    BusinessRuleError,
    InvalidRequest,
    KatanaError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from katana_sn_mcp.katana.pacing import Pacer
from katana_sn_mcp.present.answers import katana_says
from katana_sn_mcp.present.errors import whole_call
from katana_sn_mcp.present.words import create_reason

pytestmark = pytest.mark.anyio
NO_RETRY = RetryPolicy(attempts=1)


def recorded(status: int, body: Any = None, *, raw: bytes | None = None,
             headers: dict[str, str] | None = None) -> KatanaClient:
    def handler(request: httpx.Request) -> httpx.Response:
        content = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        return httpx.Response(status, content=content, headers=headers or {})

    return KatanaClient("k", "http://katana.test/v1", transport=httpx.MockTransport(handler),
                        pacer=Pacer(), retry=NO_RETRY)


SENTINEL_ROW = {"id": 42, "transaction_id": "undefined", "serial_number": "SN-KEEP-001",
                "resource_id": "null", "resource_type": "ManufacturingOrder",
                "transaction_date": "null", "quantity_change": 1, "brand_new_field": "kept"}


async def test_post_200_with_sentinels_unknown_reasons_and_extra_fields() -> None:
    body = {"successful": [SENTINEL_ROW, {**SENTINEL_ROW, "id": 43, "serial_number": "B",
                                          "resource_id": None, "transaction_id": None}],
            "failed": [{"serial_number": "SN2", "reason": "NOT_IN_STOCK"},
                       {"serial_number": "SN3", "reason": "SOMETHING_NEW"}], "extra": 1}
    resp = await recorded(200, body).create("ManufacturingOrder", 1, ["x"])
    a, b = resp.successful
    assert (a.resource_id, a.transaction_id, a.transaction_date) == (None, None, None)
    assert not a.landing_known and not b.landing_known
    assert a.model_extra == {"brand_new_field": "kept"}
    assert [f.reason for f in resp.failed] == ["NOT_IN_STOCK", "SOMETHING_NEW"]
    assert "SOMETHING_NEW" in create_reason("SOMETHING_NEW", "mint", "ManufacturingOrder 1", False)


async def test_post_204_with_empty_body_is_no_content() -> None:
    resp = await recorded(204).create("ManufacturingOrder", 1, ["x"])
    assert resp.no_content and resp.successful == [] and resp.failed == []


@pytest.mark.parametrize("shape", ["wrapped", "bare", "null-data"])
async def test_list_reads_wrapped_and_bare_bodies(shape: str) -> None:
    rows = [SENTINEL_ROW]
    body = {"wrapped": {"data": rows}, "bare": rows, "null-data": {"data": None}}[shape]
    got, _ = await recorded(200, body).list_page(resource_id=1)
    assert len(got) == (0 if shape == "null-data" else 1)


V8 = {"error": {"statusCode": 422, "name": "UnprocessableEntityError",
                "message": "The request body is invalid. See error object `details` property for more info.",
                "code": "VALIDATION_FAILED", "details": [
                    {"path": "/ids/0", "code": "type", "message": "must be number",
                     "info": {"type": "number"}},
                    {"path": "/resource_type", "code": "enum",
                     "message": "must be equal to one of the allowed values",
                     "info": {"allowedValues": ["ManufacturingOrder", "SalesOrderRow"]}}]}}
V6 = {"statusCode": 422, "name": "UnprocessableEntityError", "message": "invalid",
      "details": [{"path": ".ids[0]", "code": "type", "message": "should be number", "info": {}},
                  {"path": ".name", "code": "maxLength",
                   "message": "should NOT be longer than 10 characters", "info": {"limit": 10}}]}

ERRORS = [
    (401, {"statusCode": 401, "name": "UnauthorizedError", "message": "Unauthorized"}, AuthError),
    (401, {"error": {"statusCode": 401, "name": "UnauthorizedError", "message": "Unauthorized"}},
     AuthError),
    (422, {"error": {"statusCode": 422, "name": "UnprocessableEntityError",
                     "message": "No entity found"}}, NotFoundError),
    (422, {"statusCode": 422, "name": "UnprocessableEntityError", "message": "No entity found"},
     NotFoundError),
    (404, {"error": {"statusCode": 404, "name": "NotFoundError",
                     "message": "manufacturing order 99999999 not found"}}, NotFoundError),
    (404, {"statusCode": 404, "name": "NotFoundError", "message": "Not found"}, NotFoundError),
    (422, V8, InvalidRequest),
    (422, V6, InvalidRequest),
    (400, {"error": {"statusCode": 400, "name": "BadRequestError", "code": "INVALID_PARAMETER_VALUE",
                     "message": "Invalid data \"Foo\" for parameter \"resource_type\".",
                     "details": [{"path": "", "code": "enum",
                                  "message": "must be equal to one of the allowed values",
                                  "info": {"allowedValues": ["ManufacturingOrder"]}}]}}, InvalidRequest),
    (422, {"error": {"statusCode": 422, "name": "UnprocessableEntityError",
                     "message": "serial numbers not found"}}, BusinessRuleError),
    (422, {"error": {"statusCode": 422, "name": "UnprocessableEntityError",
                     "message": "UnknownSerialNumber"}}, BusinessRuleError),
    (422, {"error": {"statusCode": 422, "name": "UnprocessableEntityError",
                     "message": "SalesOrderRow 111978788 is linked, serial info must be updated on MO"}},
     BusinessRuleError),
    (422, {"error": {"statusCode": 422, "name": "UnprocessableEntityError",
                     "message": "given serial numbers have already been assigned"}}, BusinessRuleError),
    (429, {"statusCode": 429, "name": "TooManyRequests", "message": "Too Many Requests"},
     RateLimitedError),
    (500, {"error": {"statusCode": 500, "message": "Internal Server Error"}}, ServerError),
    (500, {"statusCode": 500, "name": "InternalServerError", "message": "Internal Server Error"},
     ServerError),
    (503, None, ServerError),
]


@pytest.mark.parametrize(("status", "body", "kind"), ERRORS)
async def test_every_error_variant_becomes_its_typed_exception(status, body, kind) -> None:
    with pytest.raises(kind) as info:
        await recorded(status, body, headers={"Retry-After": "15"}).list_page()
    err = info.value
    assert err.status == status
    if isinstance(err, RateLimitedError):
        assert err.retry_after == 15
    assert whole_call(err, "SalesOrderRow 3").endswith(f"\n({katana_says(err)})")


async def test_ajv_v6_and_v8_details_name_the_same_field() -> None:
    for body in (V8, V6):
        with pytest.raises(InvalidRequest) as info:
            await recorded(422, body).delete("ManufacturingOrder", 1, [1])
        assert info.value.details[0].path == "/ids/0"
        assert info.value.details[0].field == "ids[0]"
    text = whole_call(info.value)
    assert "ids[0]: should be number" in text and "nothing was changed" in text


async def test_enum_explanation_lists_allowed_values() -> None:
    with pytest.raises(InvalidRequest) as info:
        await recorded(422, V8).create("Foo", 1, ["x"])
    text = whole_call(info.value)
    assert ("resource_type: must be equal to one of the allowed values "
            "(allowed values: ManufacturingOrder, SalesOrderRow)") in text


async def test_retry_after_as_http_date_is_read() -> None:
    with pytest.raises(RateLimitedError) as info:
        await recorded(429, None, headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"}).list_page()
    assert info.value.retry_after and info.value.retry_after > 1000


@pytest.mark.parametrize("method", ["list", "create"])
async def test_non_json_success_body_is_a_transport_error(method: str) -> None:
    client = recorded(200, raw=b"<html>Bad Gateway</html>")
    with pytest.raises(TransportError) as info:
        if method == "list":
            await client.list_page()
        else:
            await client.create("ManufacturingOrder", 1, ["x"])
    assert info.value.may_have_applied is (method == "create")


@pytest.mark.parametrize(("exc", "maybe"), [
    (httpx.ConnectError("refused"), False), (httpx.ConnectTimeout("t"), False),
    (httpx.ReadTimeout("t"), True), (httpx.RemoteProtocolError("dropped"), True)])
async def test_transport_exceptions_say_whether_the_request_may_have_applied(exc, maybe) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    client = KatanaClient("k", "http://katana.test/v1", transport=httpx.MockTransport(handler),
                          retry=NO_RETRY)
    with pytest.raises(TransportError) as info:
        await client.create("ManufacturingOrder", 1, ["x"])
    assert info.value.may_have_applied is maybe
    assert isinstance(info.value, KatanaError)


async def test_client_sends_bearer_auth_integer_ids_and_no_extra_keys() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    client = KatanaClient("secret-k", "http://katana.test/v1/", transport=httpx.MockTransport(handler))
    await client.delete("ManufacturingOrder", 7, [1, 2])
    req = seen[0]
    assert req.method == "DELETE" and req.url.path == "/v1/serial_numbers"
    assert req.headers["authorization"] == "Bearer secret-k"
    assert req.headers["user-agent"].startswith("katana-sn-mcp/")
    assert json.loads(req.content) == {"resource_type": "ManufacturingOrder", "resource_id": 7, "ids": [1, 2]}


@pytest.mark.parametrize(("header", "requests"), [
    (None, 2),  # no header: read until the (empty) short page
    ('{"total_records":"250","total_pages":"1","page":"1","last_page":"true"}', 1),
    ('{"total_records":"250","total_pages":"1","page":"1"}', 1),
    ("not json", 2),
])
async def test_list_all_uses_x_pagination_when_present(header, requests) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        calls.append(page)
        rows = [{**SENTINEL_ROW, "id": i} for i in range(250)] if page == 1 else []
        return httpx.Response(200, json={"data": rows},
                              headers={"X-Pagination": header} if header else {})

    client = KatanaClient("k", "http://katana.test/v1", transport=httpx.MockTransport(handler))
    assert len(await client.list_all(resource_id=1)) == 250
    assert len(calls) == requests


async def test_an_unreadable_create_body_is_an_ambiguous_transport_error() -> None:
    with pytest.raises(TransportError) as info:
        await recorded(200, ["not", "an", "object"]).create("ManufacturingOrder", 1, ["x"])
    assert info.value.may_have_applied is True


async def test_an_unreadable_list_page_is_retried() -> None:
    answers = iter([httpx.Response(200, content=b"<html>oops</html>"),
                    httpx.Response(200, json={"data": [SENTINEL_ROW]})])
    client = KatanaClient("k", "http://katana.test/v1",
                          transport=httpx.MockTransport(lambda request: next(answers)),
                          retry=RetryPolicy(backoff_initial=0.001, backoff_max=0.01))
    rows, _ = await client.list_page()
    assert len(rows) == 1

"""Whole-call failures become ToolErrors whose text is the explanation plus Katana's words;
the API key never appears in any result or log line."""

from __future__ import annotations

import logging

import pytest

from katana_sn_mcp.katana.client import RetryPolicy
from katana_sn_mcp.runtime import client_factory
from katana_sn_mcp.sandbox import Fault
from katana_sn_mcp.settings import Settings
from tests.conftest import make_harness, text

pytestmark = pytest.mark.anyio
LIST = {"resource_type": "ManufacturingOrder", "resource_id": 1001}


async def test_rejected_key_is_explained_and_the_key_never_shown(tmp_path, era, katana_mode, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    h = make_harness(tmp_path, era=era, mode=katana_mode, api_key="the-right-key")
    # a server configured with a wrong key, against the same sandbox
    import httpx

    from katana_sn_mcp.journal import Journal
    from katana_sn_mcp.server import build_server

    secret = "sk-WRONG-very-secret-123"
    factory = client_factory(Settings(), transport=httpx.ASGITransport(app=h.sandbox),
                             api_key=secret, base_url="http://sandbox.invalid/v1")
    h.server = build_server(factory, Journal(h.journal_path))
    for tool, args in [("list_serial_numbers", {}), ("create_serial_numbers", {
            "resource_type": "ManufacturingOrder", "resource_id": 1003, "serial_numbers": ["K-1"]})]:
        r = await h.call(tool, args)
        assert r.is_error
        assert "rejected the API key" in text(r) and "KATANA_API_KEY" in text(r)
        assert "401" in text(r)
        assert secret not in text(r)
    assert h.sandbox.find("K-1") is None
    assert secret not in caplog.text
    assert secret not in h.journal_path.read_text()


async def test_rate_limit_beyond_the_cap_is_explained(tmp_path, era, katana_mode) -> None:
    h = make_harness(tmp_path, era=era, mode=katana_mode)
    h.sandbox.inject(Fault(kind="status", status=429, retry_after=600, count=5))
    r = await h.call("list_serial_numbers", LIST)
    assert r.is_error
    assert "rate limit" in text(r) and "about 600 seconds" in text(r)
    assert "Katana answered 429" in text(r)


async def test_server_error_on_a_read_after_retries_is_explained(tmp_path, era, katana_mode) -> None:
    h = make_harness(tmp_path, era=era, mode=katana_mode)
    h.sandbox.inject(Fault(kind="status", status=503, count=10))
    r = await h.call("verify_serial_numbers", {**LIST, "expect_absent_ids": [1]})
    assert r.is_error
    assert "This read failed; a read changes nothing" in text(r)
    assert "(Katana answered 503 ServiceUnavailableError: Service Unavailable (sent 4 times))" in text(r)
    assert len(h.sandbox.requests) == 4  # the first try and three retries


async def test_transport_failure_on_a_read_is_explained(tmp_path, era, katana_mode) -> None:
    h = make_harness(tmp_path, era=era, mode=katana_mode)
    h.sandbox.inject(Fault(kind="drop_before", count=10))
    r = await h.call("list_serial_numbers", LIST)
    assert r.is_error
    assert "This read failed; a read changes nothing" in text(r)
    assert "Katana gave no answer: the connection closed before an answer came (sent 4 times)" in text(r)


async def test_retries_hide_a_transient_failure_from_the_caller(tmp_path, era, katana_mode) -> None:
    h = make_harness(tmp_path, era=era, mode=katana_mode,
                     retry=RetryPolicy(backoff_initial=0.001, backoff_max=0.01))
    h.sandbox.inject(Fault(kind="status", status=502, count=2))
    r = await h.call("list_serial_numbers", LIST)
    assert not r.is_error and r.structured_content["count"] == 5


async def test_a_failed_pre_check_is_explained_and_nothing_is_deleted(tmp_path, era, katana_mode) -> None:
    h = make_harness(tmp_path, era=era, mode=katana_mode)
    target = h.sandbox.find("SN-1001-001").id
    h.sandbox.inject(Fault(kind="status", status=503, method="GET", count=10))
    r = await h.call("delete_serial_numbers", {"resource_type": "ManufacturingOrder",
                                               "resource_id": 1001, "ids": [target],
                                               "confirm": True})
    assert r.is_error
    assert "This read failed" in text(r) and "Katana answered 503" in text(r)
    assert h.sandbox.find("SN-1001-001") is not None
    assert not any(q.method == "DELETE" for q in h.sandbox.requests)


async def test_a_long_retry_after_closes_the_gate_for_every_later_call(tmp_path, era) -> None:
    h = make_harness(tmp_path, era=era)
    h.sandbox.inject(Fault(kind="status", status=429, retry_after=600, method="GET"))
    first = await h.call("list_serial_numbers", LIST)
    assert first.is_error and "about 600 seconds" in text(first)
    sent = len(h.sandbox.requests)
    later = await h.call("verify_serial_numbers", {**LIST, "expect_absent_ids": [1]})
    assert later.is_error and text(later).lower().count("not sent") == 1  # said once
    assert len(h.sandbox.requests) == sent  # nothing reached Katana while it asked to wait


async def test_a_deadline_reached_between_retries_reports_katanas_answer(tmp_path, era) -> None:
    """The 503 was sent and answered; the retry after it could not start in time. What
    Katana said is the fact, not "not sent"."""
    from katana_sn_mcp.journal import Journal
    from katana_sn_mcp.runtime import sandbox_factory
    from katana_sn_mcp.server import build_server

    h = make_harness(tmp_path, era=era)
    h.sandbox.inject(Fault(kind="status", status=503, method="GET"))
    slow_retry = RetryPolicy(attempts=2, backoff_initial=0.6, backoff_max=0.6)
    factory = sandbox_factory(h.sandbox, Settings(), retry=slow_retry)
    h.server = build_server(factory, Journal(h.journal_path), deadline_s=0.3)
    r = await h.call("list_serial_numbers", LIST)
    assert r.is_error and "Katana answered 503" in text(r)
    assert "not sent" not in text(r).lower() and "deadline" not in text(r)
    assert len(h.sandbox.requests) == 1


async def test_a_call_past_its_deadline_sends_nothing_more_and_says_so(tmp_path, era) -> None:
    from katana_sn_mcp.journal import Journal
    from katana_sn_mcp.katana.pacing import Pacer
    from katana_sn_mcp.runtime import sandbox_factory
    from katana_sn_mcp.server import build_server
    from katana_sn_mcp.settings import Settings

    h = make_harness(tmp_path, era=era)
    factory = sandbox_factory(h.sandbox, Settings(), pacer=Pacer(1, 60.0))  # one request a minute
    h.server = build_server(factory, Journal(h.journal_path), deadline_s=0.2)
    assert not (await h.call("list_serial_numbers", LIST)).is_error
    r = await h.call("list_serial_numbers", LIST)
    assert r.is_error and "deadline passed" in text(r) and "was not sent" in text(r)
    assert len(h.sandbox.requests) == 1

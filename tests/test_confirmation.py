"""Confirmation before deleting: elicitation accept / decline / cancel, and the explicit
`confirm` argument when the host cannot elicit, in both MCP protocol eras."""

from __future__ import annotations

from typing import Any

import pytest
from mcp.types import ElicitResult

from tests.conftest import Harness, make_harness

pytestmark = pytest.mark.anyio


def answering(action: str, confirm: bool = True, asked: list[str] | None = None) -> Any:
    async def callback(ctx: Any, params: Any) -> ElicitResult:
        if asked is not None:
            asked.append(params.message)
        content = {"confirm": confirm} if action == "accept" else None
        return ElicitResult(action=action, content=content)

    return callback


def setup(tmp_path, era: str, callback: Any) -> tuple[Harness, int, dict]:
    h = make_harness(tmp_path, era=era)
    h.elicitation = callback
    target = {s.serial_number: s.id for s in h.sandbox.serials_on("ManufacturingOrder", 1001)}
    args = {"resource_type": "ManufacturingOrder", "resource_id": 1001,
            "ids": [target["SN-1001-003"], 77777777]}
    return h, target["SN-1001-003"], args


async def test_accepted_elicitation_deletes_and_the_question_names_the_facts(tmp_path, era) -> None:
    asked: list[str] = []
    h, sid, args = setup(tmp_path, era, answering("accept", asked=asked))
    r = await h.call("delete_serial_numbers", args)
    assert not r.is_error
    assert r.structured_content["removed"] == {"count": 1, "ids": [[sid, sid]]}
    assert len(asked) == 1
    assert "Delete 1 serial number from ManufacturingOrder 1001" in asked[0]
    assert "SN-1001-003" in asked[0] and "77777777" in asked[0]
    assert h.sandbox.find("SN-1001-003") is None


@pytest.mark.parametrize(("action", "confirm", "word"), [
    ("decline", True, "declined"), ("cancel", True, "cancel"), ("accept", False, "declined")])
async def test_declined_or_cancelled_elicitation_changes_nothing(
    tmp_path, era, action: str, confirm: bool, word: str
) -> None:
    h, sid, args = setup(tmp_path, era, answering(action, confirm))
    r = await h.call("delete_serial_numbers", {**args, "confirm": True})
    out = r.structured_content
    assert out["outcome"] == "declined" and out["delete_sent"] is False
    assert word in out["summary"] and "no delete was sent" in out["summary"]
    assert "next_steps" not in out  # nothing proposes the deletion the person just refused
    assert h.sandbox.find("SN-1001-003").id == sid
    assert not any(q.method == "DELETE" for q in h.sandbox.requests)


async def test_without_elicitation_the_confirm_argument_is_required(tmp_path, era) -> None:
    h, sid, args = setup(tmp_path, era, None)
    r = await h.call("delete_serial_numbers", args)
    assert r.structured_content["outcome"] == "planned"
    assert h.sandbox.find("SN-1001-003") is not None
    r = await h.call("delete_serial_numbers", {**args, "confirm": True})
    assert r.structured_content["removed"] == {"count": 1, "ids": [[sid, sid]]}
    assert h.sandbox.find("SN-1001-003") is None


async def test_nothing_attached_means_no_question_is_asked(tmp_path, era) -> None:
    asked: list[str] = []
    h, _, args = setup(tmp_path, era, answering("accept", asked=asked))
    r = await h.call("delete_serial_numbers", {**args, "ids": [77777777]})
    assert r.structured_content["outcome"] == "not_applied" and asked == []

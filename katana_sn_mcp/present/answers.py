"""Katana's answer to one request, in one line: the sentence every result, error and
journal outcome quotes. It never invents a cause: a status and Katana's own words, or why
no answer came."""

from __future__ import annotations

from katana_sn_mcp.katana.errors import Answer, KatanaError


def said(answer: Answer) -> str:
    """`Katana answered 500 InternalServerError: ...` or why no answer came, with the
    number of sends when it was more than one."""
    times = f" (sent {answer.sends} times)" if answer.sends > 1 else ""
    if answer.no_answer == "unreadable_body" and answer.status is not None:
        return f"Katana answered {answer.status} with a body that could not be read{times}"
    if answer.status is not None:
        words = ": ".join(w for w in (answer.name, answer.message) if w)
        return f"Katana answered {answer.status}{' ' + words if words else ''}{times}"
    if answer.no_answer == "gate":
        return f"Not sent: {answer.message}"
    if answer.no_answer == "shared_state":
        return "Not sent: the shared rate budget (Redis) could not be reached"
    if answer.no_answer == "deadline":
        return "Not sent: the call's deadline passed before the request could be sent"
    if answer.no_answer == "too_many_pages":
        return f"Katana answered every page, but {answer.message}"
    if answer.no_answer == "unstable":
        return "Katana answered every page, but the listing kept changing while it was read"
    why = {"timeout": "no answer came within the timeout",
           "dropped": "the connection closed before an answer came",
           "never_connected": "the connection to Katana could not be opened"}
    return f"Katana gave no answer: {why.get(answer.no_answer or '', 'unknown reason')}{times}"


def katana_says(err: KatanaError) -> str:
    """Katana's own answer to the request that raised `err`, or why there was none."""
    return said(Answer.of_error(err))

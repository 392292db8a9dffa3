"""The size budgets of what a host receives, in one place.

Measured on everything a tool result carries (all content blocks + `structuredContent`,
in UTF-8 bytes). Claude Code refuses a tool result over 25,000 tokens and warns above
10,000; 8 KB keeps any result well inside both, whatever the batch size.
"""

from typing import Any

RESULT_BYTES = 8 * 1024  # create / delete / verify / list, at any n up to MAX_ITEMS
SMALL_RESULT_BYTES = 1800  # a 3-string create or a 2-id delete
MAX_ITEMS = 10_000  # strings or ids in one call (after range expansion)
REASONS_SHOWN = 6  # reason groups named in one result; the rest become OTHER_REASONS
NAMES_PER_REASON = 50  # failures / unknowns named per reason; the rest are counted
NAME_BYTES = 1500  # names of failures / unknowns, shared by all reasons of one result
RUNS_SHOWN = 20  # runs of consecutive serials shown per group; the rest are counted
RUN_BYTES = 700  # ...and at most this many bytes of runs per group
WHY_BYTES = 400  # an explanation quoting Katana's own words is cut here
LIST_DEFAULT = 100  # rows in one list_serial_numbers page
LIST_MAX = 250  # Katana's own page maximum
RECENT_RESULTS = 50  # full write results kept for katana://results/{id}


def result_bytes(result: Any) -> int:
    """What every budget here is measured in: the bytes a host receives for one result,
    every content block (text and links) plus the structured content, as JSON."""
    import json

    blocks = sum(len(json.dumps(c.model_dump(mode="json", exclude_none=True)).encode())
                 for c in result.content)
    return blocks + len(json.dumps(result.structured_content or {}).encode())

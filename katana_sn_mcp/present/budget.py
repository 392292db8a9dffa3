"""The size budgets of what a host receives, in one place.

Measured on everything a tool result carries (all content blocks + `structuredContent`,
in UTF-8 bytes). Claude Code refuses a tool result over 25,000 tokens and warns above
10,000; 8 KB keeps any result well inside both, whatever the batch size.
"""

RESULT_BYTES = 8 * 1024  # create / delete / verify / list, at any n up to MAX_ITEMS
SMALL_RESULT_BYTES = 1800  # a 3-string create or a 2-id delete
MAX_ITEMS = 10_000  # strings or ids in one call (after range expansion)
NAMES_PER_REASON = 50  # failures / unknowns named per reason; the rest are counted
NAME_BYTES_PER_REASON = 1200  # ...and at most this many bytes of names per reason
RUNS_SHOWN = 20  # runs of consecutive serials shown per group; the rest are counted
LIST_DEFAULT = 100  # rows in one list_serial_numbers page
LIST_MAX = 250  # Katana's own page maximum
RECENT_RESULTS = 50  # full write results kept for katana://results/{id}

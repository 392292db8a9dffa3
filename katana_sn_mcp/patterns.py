r"""String patterns checked with Python's `re`, published in the JSON Schema as usual.

Why not pydantic's `pattern=`: pydantic-core compiles it with Rust's regex crate, whose
Unicode tables cost every process about 1 MiB the first time a pattern is built (VmRSS,
measured after the SDK's own import), for three one-line patterns. Here the published
schema keeps the ECMA pattern, so hosts and models read the same rule; the check is the
same pattern run with `re.fullmatch` (whole string, so a trailing newline is no loophole,
as `$` would be in Python), with `\s` read as Unicode's White_Space as Rust reads it
(Python's would add U+001C..U+001F); and a miss is pydantic's own `string_pattern_mismatch`
error, word for word, so every refusal reads as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

# Unicode's White_Space property: what `\s` means to Rust's regex crate.
_WHITE_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def _as_python(pattern: str) -> str:
    r"""The anchored pattern without its anchors, `\s`/`\S` spelled out as Rust reads them."""
    inner = pattern[1:-1]
    return inner.replace(r"\S", f"[^{_WHITE_SPACE}]").replace(r"\s", f"[{_WHITE_SPACE}]")


@dataclass(frozen=True)
class Matching:
    """`Annotated[str, Matching(r"^...$")]`: the value must match the anchored pattern."""

    pattern: str  # ECMA-262 and Python alike, anchored with ^ and $
    _full: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not (self.pattern.startswith("^") and self.pattern.endswith("$")):
            raise ValueError(f"pattern must be anchored with ^ and $: {self.pattern}")
        object.__setattr__(self, "_full", re.compile(_as_python(self.pattern)))

    def __get_pydantic_core_schema__(self, source: Any,
                                     handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> dict[str, Any]:
        published = handler(schema)
        published["pattern"] = self.pattern
        return published

    def _check(self, value: str) -> str:
        if self._full.fullmatch(value) is None:
            raise PydanticCustomError("string_pattern_mismatch",
                                      "String should match pattern '{pattern}'",
                                      {"pattern": self.pattern})
        return value

"""Check tool arguments against the tool's published input schema, before the SDK sees them.

Why by hand: the SDK's pydantic validation answers a person's typo with a multi-line dump
and a URL, and its lax mode turns `"yes"` into `True` for a destructive `confirm`. Checking
the raw JSON against the very schema the tools publish keeps this correct when tools change,
and lets us be forgiving only where it is safe:

- a string of ASCII digits for an integer argument (`"3001"`) becomes the integer, because
  some hosts send every number as a string; anything else (signs, spaces, "٣", 1.5, true)
  is refused, since guessing would change which Katana record a call touches;
- booleans are JSON `true`/`false` only: a deletion must never follow from `"1"` or `"on"`;
- free-text strings with invisible characters are refused, because Katana would store a
  serial nobody can see, type or find again; where the schema's pattern forbids surrounding
  whitespace (serial strings), the refusal says that this is what the pattern caught.

Each problem becomes one plain sentence: the argument, the value given, what is allowed.
jsonschema is a test-only dependency, so this covers the keywords our tools use: type, enum,
anyOf, $ref, properties, required, additionalProperties, minimum/maximum, min/maxItems,
min/maxLength, pattern. What it misses, the SDK still refuses (strict_args rewrites that).
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

MAX_PROBLEMS = 10  # a call with 10,000 bad serials should not answer with 10,000 sentences
_DIGITS = re.compile(r"[0-9]{1,30}")  # ASCII only: str.isdigit() would accept "٣" and "²"
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}  # controls, bidi/zero-width, surrogates
# Letters and marks that render as nothing: fillers and variation selectors (Unicode's
# default-ignorable code points outside the categories above).
_INVISIBLE_EXTRA = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0"
                             + "".join(map(chr, [*range(0x180B, 0x1810), *range(0xFE00, 0xFE10),
                                                  *range(0xE0100, 0xE01F0)])))
_CONTROL_NAMES = {"\x00": "NULL", "\t": "CHARACTER TABULATION", "\n": "LINE FEED",
                  "\r": "CARRIAGE RETURN", "\x1b": "ESCAPE", "\x7f": "DELETE"}


def check_arguments(tool: str, schema: dict[str, Any],
                    arguments: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Return (arguments with the safe coercions applied, one sentence per problem).

    The caller forwards the coerced arguments only when the problem list is empty."""
    problems: list[str] = []
    coerced = _Checker(schema, problems).check_object(arguments, schema, "", tool)
    return coerced, problems


def refusal_text(tool: str, problems: list[str]) -> str:
    """The one text a refused call answers with: every problem, then the reassurance."""
    shown = problems[:MAX_PROBLEMS]
    if len(problems) > MAX_PROBLEMS:
        shown.append(f"…and {len(problems) - MAX_PROBLEMS} more problems like these.")
    return (f"Error executing tool {tool}: the arguments were not accepted.\n"
            + "\n".join(shown) + "\nNothing was sent to Katana.")


def show(value: Any, limit: int = 40) -> str:
    """A value as the caller sent it (JSON), shortened, with invisible characters escaped."""
    if isinstance(value, str):
        shown = "".join(_escape(ch) for ch in value[:limit])
        return f'"{shown}"' if len(value) <= limit else f'"{shown}…" ({len(value)} characters)'
    text = json.dumps(value, default=str)  # ASCII escapes: nothing invisible inside a list
    return text if len(text) <= limit else text[: limit - 1] + "…"


def char_name(ch: str) -> str:
    """`U+200B ZERO WIDTH SPACE`: the code point and its Unicode name, for a person to read."""
    name = _CONTROL_NAMES.get(ch) or unicodedata.name(ch, "")
    if not name:
        name = "a control character" if unicodedata.category(ch) == "Cc" else "an unnamed character"
    return f"U+{ord(ch):04X} {name}"


def _escape(ch: str) -> str:
    if _hidden(ch) or (ch.isspace() and ch != " "):
        return f"\\u{ord(ch):04x}"
    return {"\\": "\\\\", '"': '\\"'}.get(ch, ch)


def _unknown(label: str, name: str, properties: dict[str, Any], tool: str | None) -> str:
    import difflib  # only for a refused argument: not worth every start's import

    guess = difflib.get_close_matches(name, list(properties), n=1)
    hint = f" (did you mean {guess[0]}?)" if guess else ""
    if tool is None:
        return f"{label}: unknown field{hint}; allowed: {', '.join(properties) or 'none'}."
    return f"{label}: unknown argument{hint}; {tool} accepts {', '.join(properties) or 'no arguments'}."


def _types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type")
    return [kind] if isinstance(kind, str) else list(kind or [])


class _Checker:
    """One pass over one argument: coerce where safe, record a sentence per problem."""

    def __init__(self, root: dict[str, Any], problems: list[str]) -> None:
        self._root = root
        self.problems = problems

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target: Any = self._root
            for part in ref[2:].split("/"):
                target = target.get(part, {}) if isinstance(target, dict) else {}
            return {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        return schema

    def _fail(self, path: str, value: Any, reason: str) -> None:
        self.problems.append(f"{path}: got {show(value)}; {reason}.")

    def check(self, value: Any, schema: dict[str, Any], path: str) -> Any:
        """Return `value`, coerced if that is safe; append problems for what is not allowed."""
        schema = self._resolve(schema)
        if "anyOf" in schema or len(_types(schema)) > 1:
            return self._check_any(value, schema, path)
        if "enum" in schema:
            if value not in schema["enum"]:
                self._fail(path, value, f"expected {self.expected(schema)}{_case_hint(value, schema)}")
            return value
        kind = next(iter(_types(schema)), None)
        if kind == "integer":
            return self._check_integer(value, schema, path)
        if kind == "boolean" and not isinstance(value, bool):
            self._fail(path, value, "expected true or false (a JSON boolean; strings and numbers "
                       "are not accepted for a yes/no answer)")
        elif kind == "string":
            self._check_string(value, schema, path)
        elif kind == "array":
            return self._check_array(value, schema, path)
        elif kind == "object":
            return self.check_object(value, schema, path)
        elif kind == "null" and value is not None:
            self._fail(path, value, "expected null")
        elif kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
            self._fail(path, value, f"expected {self.expected(schema)}")
        return value

    def _check_any(self, value: Any, schema: dict[str, Any], path: str) -> Any:
        branches = [self._resolve(b) for b in schema.get("anyOf", [])]
        branches += [{**schema, "type": t} for t in _types(schema) if "anyOf" not in schema]
        for branch in branches:  # first branch that takes the value without a problem wins
            trial = _Checker(self._root, [])
            result = trial.check(value, branch, path)
            if not trial.problems:
                return result
        real = [b for b in branches if _types(b) != ["null"]]
        if len(real) == 1:  # `X | None`: explain against X, the interesting half
            self.check(value, real[0], path)
        else:
            self._fail(path, value, "expected " + " or ".join(self.expected(b) for b in branches))
        return value

    def check_object(self, value: Any, schema: dict[str, Any], path: str,
                     tool: str | None = None) -> Any:
        """Fields one by one; unknown ones are refused at the top (`tool` given: a misspelt
        argument must not be dropped silently) and where the schema closes the object."""
        properties: dict[str, Any] = schema.get("properties", {})
        if not isinstance(value, dict):
            self._fail(path, value, f"expected {self.expected(schema)}")
            return value
        prefix = f"{path}." if path else ""
        if tool is not None or schema.get("additionalProperties") is False:
            for name in sorted(set(value) - set(properties)):
                self.problems.append(_unknown(prefix + name, name, properties, tool))
        checked = {name: self.check(item, properties[name], prefix + name) if name in properties
                   else item for name, item in value.items()}
        for name in schema.get("required", []):
            if name not in value:
                self.problems.append(f"{prefix}{name}: missing; "
                                     f"expected {self.expected(properties.get(name, {}))}.")
        return checked

    def _check_integer(self, value: Any, schema: dict[str, Any], path: str) -> Any:
        number: Any = value
        if isinstance(value, str) and _DIGITS.fullmatch(value):
            number = int(value)  # "3001" from a host that sends every number as a string
        elif isinstance(value, float) and value.is_integer():
            number = int(value)  # 3001.0 is the same JSON number as 3001
        if isinstance(number, bool) or not isinstance(number, int) or not _in_range(number, schema):
            hint = " (a JSON number, or a string of the digits 0-9)" if isinstance(value, str) and \
                not isinstance(number, int) else ""
            self._fail(path, value, f"expected {self.expected(schema)}{hint}")
            return value
        return number

    def _check_string(self, value: Any, schema: dict[str, Any], path: str) -> None:
        if not isinstance(value, str):
            self._fail(path, value, f"expected {self.expected(schema)}")
            return
        reason = _invisible(value) or _length(value, schema)
        if reason is None and "pattern" in schema and not _matches(schema["pattern"], value):
            reason = _padding(value) or f"expected text matching the pattern {schema['pattern']}"
        if reason:
            self._fail(path, value, reason)

    def _check_array(self, value: Any, schema: dict[str, Any], path: str) -> Any:
        if not isinstance(value, list):
            self._fail(path, value, f"expected {self.expected(schema)}")
            return value
        low, high = schema.get("minItems", 0), schema.get("maxItems")
        if len(value) < low or (high is not None and len(value) > high):
            self.problems.append(f"{path}: got {len(value)} items; expected {_span(low, high, 'item')}.")
            return value
        items = schema.get("items", {})
        return [self.check(item, items, f"{path}[{i}]") for i, item in enumerate(value)]

    def expected(self, schema: dict[str, Any]) -> str:
        """What a schema allows, in words: `a whole number from 1 to 2147483647`."""
        schema = self._resolve(schema)
        if "anyOf" in schema:
            return " or ".join(self.expected(b) for b in schema["anyOf"])
        if "enum" in schema:
            return "one of " + ", ".join(json.dumps(v) if not isinstance(v, str) else v
                                         for v in schema["enum"])
        kinds = _types(schema) or ["any value"]
        words = {"integer": _number_words("a whole number", schema),
                 "number": _number_words("a number", schema), "boolean": "true or false",
                 "string": _string_words(schema), "null": "null", "object": _object_words(schema),
                 "array": f"a list of {_span(schema.get('minItems', 0), schema.get('maxItems'), 'item')}"}
        return " or ".join(words.get(k, k) for k in kinds)


def _in_range(number: int, schema: dict[str, Any]) -> bool:
    return schema.get("minimum", number) <= number <= schema.get("maximum", number)


def _number_words(noun: str, schema: dict[str, Any]) -> str:
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        return f"{noun} from {low} to {high}"
    if low is not None:
        return f"{noun} of at least {low}"
    return f"{noun} of at most {high}" if high is not None else noun


def _object_words(schema: dict[str, Any]) -> str:
    fields = list(schema.get("properties", {}))
    required = [f for f in fields if f in schema.get("required", [])]
    optional = [f for f in fields if f not in required]
    if not fields:
        return "an object"
    if not required:
        return f"an object with the fields {', '.join(optional)} (all optional)"
    tail = f", optionally {', '.join(optional)}" if optional else ""
    return f"an object with {', '.join(required)}{tail}"


def _span(low: int, high: int | None, unit: str) -> str:
    if high is None:
        return f"at least {low} {unit}{'s' if low != 1 else ''}"
    return f"{low} to {high} {unit}s" if low else f"at most {high} {unit}s"


def _string_words(schema: dict[str, Any]) -> str:
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    return "text" if not low and high is None else f"text of {_span(low, high, 'character')}"


def _case_hint(value: Any, schema: dict[str, Any]) -> str:
    if isinstance(value, str):
        for option in schema["enum"]:
            if isinstance(option, str) and option.casefold() == value.strip().casefold():
                return f" (did you mean {option}?)"
    return ""


def _hidden(ch: str) -> bool:
    return ch in _INVISIBLE_EXTRA or unicodedata.category(ch) in _INVISIBLE_CATEGORIES


def _invisible(text: str) -> str | None:
    """Name the first character a person could not see or type back (controls, NUL,
    bidirectional overrides and isolates, zero-width characters, lone surrogates)."""
    hidden = [i for i, ch in enumerate(text) if _hidden(ch)]
    if not hidden:
        return None
    more = f" (and {len(hidden) - 1} more like it)" if len(hidden) > 1 else ""
    return (f"character {hidden[0] + 1} is {char_name(text[hidden[0]])}{more}, which nobody "
            "could see or type back, so it is not allowed; send the text without it")


def _padding(text: str) -> str | None:
    """Leading or trailing whitespace would be stored as a different serial in Katana."""
    if text and not text.strip():
        return "it is only whitespace; expected visible text"
    for where, ch in (("starts", text[:1]), ("ends", text[-1:])):
        if ch.isspace():
            return (f"it {where} with {char_name(ch)}, which would make a different serial "
                    "in Katana; send it without leading or trailing whitespace")
    return None


def _length(text: str, schema: dict[str, Any]) -> str | None:
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    if len(text) < low or (high is not None and len(text) > high):
        return f"expected {_string_words(schema)}"
    return None


def _matches(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:  # an ECMA-only construct: leave the decision to the SDK's validation
        return True

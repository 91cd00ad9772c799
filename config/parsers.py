"""The API's one JSON parser: bodies nested deeper than any request needs are refused (400)
before anything walks them recursively (Python's json raises RecursionError near 1,000 levels,
and code after it would too, far earlier than that on a small stack); an object that names a key
twice is refused (400 `duplicate_key`), at any depth, rather than keeping the last value."""

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json  # refuses NaN and Infinity, as DRF's parser does

# No request body of this API is deeper than 3 (an object of lists of objects); 32 leaves room.
MAX_JSON_DEPTH = 32


class JSONTooDeep(ParseError):
    default_code = "json_too_deep"
    default_detail = f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep."


class DuplicateKey(ParseError):
    default_code = "duplicate_key"
    default_detail = "The JSON body names a key twice in one object."


def _refuse_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    """json's object hook: every object of the body, innermost first, as its (key, value) pairs."""
    found: dict = {}
    for key, value in pairs:
        if key in found:
            raise DuplicateKey(f"The JSON body names the key {key[:60]!r} twice in one object.")
        found[key] = value
    return found


def json_depth_exceeds(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the brackets of a JSON text (outside strings) nest deeper than `limit`: a linear
    scan, so even a body of a million brackets costs no recursion."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        if json_depth_exceeds(text):
            raise JSONTooDeep()
        try:
            return json.loads(text, object_pairs_hook=_refuse_duplicate_keys)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        except RecursionError:  # cannot happen below the limit; kept as a backstop
            raise JSONTooDeep() from None

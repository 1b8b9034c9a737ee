"""Which line of a JSON text each value starts on, by path (``sites[3].zones[1].number``).

The standard ``json`` module forgets positions; an administrator fixing a file wants
the line. This scanner runs on text that ``json.loads`` has already accepted, so it only
tracks structure: strings, brackets, colons and commas.
"""

from __future__ import annotations

__all__ = ["json_line_map", "line_of"]


def json_line_map(text: str) -> dict[str, int]:
    """Path of every value (``""`` for the root) -> its 1-based line."""
    lines: dict[str, int] = {}
    # Each frame: [path of the container, is_object, current key or index]
    stack: list[list[object]] = []
    line, i, n = 1, 0, len(text)
    expecting_key = False

    def here() -> str:
        if not stack:
            return ""
        base, is_object, key = stack[-1]
        assert isinstance(base, str)
        if is_object:
            return f"{base}.{key}" if base else str(key)
        return f"{base}[{key}]"

    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
        elif c == '"':
            end = _string_end(text, i)
            if expecting_key:
                stack[-1][2] = text[i + 1 : end]  # keys with escapes are rare: kept raw
                expecting_key = False
            else:
                lines.setdefault(here(), line)
            i = end
        elif c in "{[":
            path = here()
            lines.setdefault(path, line)
            stack.append([path, c == "{", 0])
            expecting_key = c == "{"
        elif c in "}]":
            stack.pop()
            expecting_key = False
        elif c == ",":
            if stack and stack[-1][1]:
                expecting_key = True
            elif stack:
                index = stack[-1][2]
                assert isinstance(index, int)
                stack[-1][2] = index + 1
        elif not c.isspace() and c != ":":
            lines.setdefault(here(), line)  # number, true, false, null
            while i + 1 < n and text[i + 1] not in ",]}\n \t\r":
                i += 1
        i += 1
    return lines


def _string_end(text: str, start: int) -> int:
    i = start + 1
    while text[i] != '"':
        i += 2 if text[i] == "\\" else 1
    return i


def line_of(lines: dict[str, int], path: str) -> int | None:
    """The line of ``path``, or of its nearest enclosing value (a missing field's object)."""
    while True:
        if path in lines:
            return lines[path]
        if not path:
            return None
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""

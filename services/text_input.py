"""Checks on texts typed by people, before they reach a record, a PDF, an e-mail header or the journal."""

import re

# C0 and C1 control characters, DEL included; tab, line feed and carriage return are allowed where a
# text may span several lines.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile(r"[\r\n\u2028\u2029\x85]")


def control_problem(text, multiline=False):
    """``"control"`` when ``text`` holds a control character, ``"line_break"`` when a single-line
    text holds a line break, else None. Non-text values are not checked here."""
    if not isinstance(text, str):
        return None
    if _CONTROL.search(text):
        return "control"
    if not multiline and _LINE_BREAK.search(text.replace("\t", " ")):
        return "line_break"
    return None

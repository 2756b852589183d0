"""Checks on texts typed by people, before they reach a record, a PDF, an e-mail header or the journal.

Each check returns a code naming what is wrong, or None; the model that calls it says it in words.
"""

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


def reason_problem(text, max_length=None):
    """``"empty"``, ``"long"`` (over ``max_length`` characters once stripped) or ``"control"`` when
    ``text`` cannot be kept as the reason someone gives, else None."""
    if not isinstance(text, str) or not text.strip():
        return "empty"
    if max_length is not None and len(text.strip()) > max_length:
        return "long"
    return control_problem(text, multiline=True)

"""What blocks an action, as the addon reports it: a translated message, or False when nothing does.

Models expose ``_<action>_error_message()``; their callers raise ``UserError(message)`` or hand the
message to the signing page. Where several problems block one action, the message holds one per line.
"""


def join_errors(*messages):
    """The messages that are set, one per line, or False when none is."""
    return "\n".join(message for message in messages if message) or False


def error_lines(message):
    """The problems of a message made by ``join_errors``, one per item ([] for False)."""
    return message.splitlines() if message else []

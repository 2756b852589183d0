"""The signers' e-mails show dates the firm's way (no seconds, no offset) and greet once.

The templates sit in a noupdate block, which an update of the module does not reload, and a firm may
have edited them: only the expressions that changed are replaced, in every language, and the
invitation's greeting moves after the firm's own message (shown only when there is none)."""

import re

from psycopg2.extras import Json

TEMPLATES = (
    "mail_template_esign_request",
    "mail_template_esign_reminder",
    "mail_template_esign_your_turn",
    "mail_template_esign_completed",
)
EXPRESSIONS = {
    "format_datetime(object.collection_id.deadline, tz=object.collection_id.user_id.tz, dt_format='long') or ''": (
        "object.collection_id.company_id._esign_format_datetime(object.collection_id.deadline)"
    ),
    "format_date(object.purge_date) or ''": (
        "object.company_id._esign_format_datetime(object.purge_date, date_only=True)"
    ),
}
# The greeting paragraph followed by the firm's message: the message first, the greeting only without it.
GREETING = re.compile(
    r'<p( style="[^"]*")>([^<]*<t t-out="object\.name or \'\'">[^<]*</t>,)</p>(\s*)'
    r'(<div t-if="not is_html_empty\(object\.collection_id\.email_body\)"[^>]*/>)'
)


def upgrade_body(body):
    for old, new in EXPRESSIONS.items():
        body = body.replace(old, new)
    return GREETING.sub(r'\4\3<p t-else=""\1>\2</p>', body)


def migrate(cr, version):
    cr.execute(
        """
        SELECT t.id, t.body_html
          FROM mail_template t
          JOIN ir_model_data d ON d.model = 'mail.template' AND d.res_id = t.id
         WHERE d.module = 'engagement_letter_esign' AND d.name IN %s
        """,
        [TEMPLATES],
    )
    for template_id, bodies in cr.fetchall():
        if not bodies:
            continue
        upgraded = {lang: upgrade_body(body) if body else body for lang, body in bodies.items()}
        if upgraded != bodies:
            cr.execute("UPDATE mail_template SET body_html = %s WHERE id = %s", [Json(upgraded), template_id])

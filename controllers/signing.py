from urllib.parse import quote

from odoo import http
from odoo.http import request

from ..models.esign_signer import REFUSAL_REASON_MAX_LENGTH
from ..services.text_input import reason_problem

# Other sites may not frame the signing page (clickjacking): same origin only.
SAFE_HEADERS = [
    ("X-Frame-Options", "SAMEORIGIN"),
    ("Content-Security-Policy", "frame-ancestors 'self'"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
]


class EsignSigningController(http.Controller):
    """The client's signing page; every rule lives on ``esign.signer``."""

    def _signer_sudo(self, signer_id, token):
        """The signer the link is for, sudoed, or None: only a valid token opens it."""
        signer_sudo = request.env["esign.signer"].sudo().browse(signer_id).exists()
        if not signer_sudo or not signer_sudo._check_access_token(token):
            return None
        lang = signer_sudo.lang or signer_sudo.collection_id.company_id.partner_id.lang or "en_US"
        request.update_context(lang=lang)
        return signer_sudo.with_context(lang=lang)

    def _html_lang(self):
        """The language the page is rendered in (set by ``_signer_sudo``), as an HTML lang tag."""
        return (request.env.lang or "en_US").replace("_", "-")

    def _csrf_ok(self, csrf_token):
        return isinstance(csrf_token, str) and request.validate_csrf(csrf_token)

    def _evidence(self):
        return request.env["esign.event"]._request_context()

    def _render(self, template, values, status=200):
        response = request.render(template, values, headers=SAFE_HEADERS, status=status)
        return response

    def _render_status(self, status, signer_sudo=None, token=None):
        values = {"status": status, "signer": signer_sudo, "html_lang": self._html_lang()}
        if signer_sudo:
            values.update(signer_sudo._portal_page_values(token))
        return self._render(
            "engagement_letter_esign.esign_page_status", values, status=404 if status == "invalid" else 200
        )

    def _labels(self, company):
        """Every text of the signing form, in the signer's language (the form is rendered in the browser)."""
        env = request.env
        terms, privacy = company._esign_terms_texts()
        return {
            "terms": terms,
            "privacy": privacy,
            "read": env._("I have read the documents and want to sign"),
            "codeSent": env._("A code was sent by SMS to %s. Enter it below."),
            "draw": env._("Draw your signature"),
            "drawHint": env._("With your finger or the mouse, in the box below."),
            "clear": env._("Clear the signature"),
            "readMore": env._("Read"),
            "code": env._("Code received by SMS"),
            "codeHint": env._("The code is sent by SMS as soon as you tick the first box."),
            "sending": env._("Sending the code by SMS…"),
            "resend": env._("Send the code again"),
            "resendIn": env._("Send the code again in %s s"),
            "remaining": env._("Before you can sign:"),
            "ready": env._("Everything is ready: you can sign."),
            "done": env._("done"),
            "toDo": env._("to do"),
            "stepRead": env._("Read the documents"),
            "stepDraw": env._("Draw the signature"),
            "stepTerms": env._("Accept the terms"),
            "stepRequest": env._("Ask for the code"),
            "stepCode": env._("Type the 6-digit code"),
            "sign": env._("Sign"),
            "signing": env._("Signing…"),
        }

    @http.route("/esign/sign/<int:signer_id>/<string:token>", type="http", auth="public", methods=["GET"])
    def esign_page(self, signer_id, token, **kwargs):
        signer_sudo = self._signer_sudo(signer_id, token)
        if not signer_sudo:
            return self._render_status("invalid")
        status = signer_sudo._signing_status()
        if status != "to_sign":
            return self._render_status(status, signer_sudo, token)
        signer_sudo._portal_log_view(**self._evidence())
        collection = signer_sudo.collection_id
        base = f"/esign/sign/{signer_sudo.id}/{token}"
        return self._render(
            "engagement_letter_esign.esign_page_sign",
            {
                **signer_sudo._portal_page_values(token),
                "signer": signer_sudo,
                "collection": collection,
                "base_url": base,
                "html_lang": self._html_lang(),
                "refusal_max_length": REFUSAL_REASON_MAX_LENGTH,
                "refuse_error": signer_sudo._refusal_reason_message(kwargs.get("refuse_error")),
                "viewer_urls": {
                    document.id: "/web/static/lib/pdfjs/web/viewer.html?file="
                    + quote(f"{base}/document/{document.id}", safe="")
                    for document in collection.document_ids
                },
                "labels": self._labels(collection.company_id),
            },
        )

    @http.route(
        "/esign/sign/<int:signer_id>/<string:token>/document/<int:document_id>",
        type="http",
        auth="public",
        methods=["GET"],
    )
    def esign_document(self, signer_id, token, document_id, **kwargs):
        """The PDF as it stands now, for the viewer of the signing page."""
        signer_sudo = self._signer_sudo(signer_id, token)
        if not signer_sudo or signer_sudo._signing_status() != "to_sign":
            return request.not_found()
        document_sudo = signer_sudo.collection_id.document_ids.filtered(lambda d: d.id == document_id)
        if not document_sudo:
            return request.not_found()
        return self._pdf_response(document_sudo, download=False)

    def _pdf_response(self, document_sudo, download):
        data = document_sudo._current_pdf()
        disposition = http.content_disposition(document_sudo.name)
        if not download:
            disposition = disposition.replace("attachment", "inline", 1)
        headers = [
            ("Content-Type", "application/pdf"),
            ("Content-Length", str(len(data))),
            ("Content-Disposition", disposition),
            *SAFE_HEADERS,
        ]
        return request.make_response(data, headers=headers)

    @http.route("/esign/sign/<int:signer_id>/<string:token>/code", type="json", auth="public", methods=["POST"])
    def esign_request_code(self, signer_id, token, csrf_token=None, **kwargs):
        signer_sudo = self._signer_sudo(signer_id, token)
        if not signer_sudo or not self._csrf_ok(csrf_token):
            return {"error": request.env._("This link is not valid: please reload the page.")}
        return signer_sudo._request_signing_code(**self._evidence())

    @http.route("/esign/sign/<int:signer_id>/<string:token>/sign", type="json", auth="public", methods=["POST"])
    def esign_sign(self, signer_id, token, code=None, signature=None, accepted=False, csrf_token=None, **kwargs):
        signer_sudo = self._signer_sudo(signer_id, token)
        if not signer_sudo or not self._csrf_ok(csrf_token):
            return {"error": request.env._("This link is not valid: please reload the page.")}
        result = signer_sudo._sign_with_code(code, signature, accepted, **self._evidence())
        if result.get("signed"):
            result["redirect_url"] = f"/esign/sign/{signer_sudo.id}/{token}"
        return result

    @http.route("/esign/sign/<int:signer_id>/<string:token>/refuse", type="http", auth="public", methods=["POST"])
    def esign_refuse(self, signer_id, token, reason=None, **kwargs):
        signer_sudo = self._signer_sudo(signer_id, token)
        if not signer_sudo:
            return self._render_status("invalid")
        status = signer_sudo._signing_status()
        if status != "to_sign":
            return self._render_status(status, signer_sudo, token)
        # The page shown again names the problem by its code; its words come from the signer's model.
        problem = reason_problem(reason, REFUSAL_REASON_MAX_LENGTH)
        if problem:
            return request.redirect(f"/esign/sign/{signer_sudo.id}/{token}?refuse_error={problem}#refuse")
        signer_sudo._action_refuse(reason, **self._evidence())
        return self._render_status("refused", signer_sudo, token)

    @http.route(
        "/esign/download/<int:signer_id>/<string:token>/<int:document_id>",
        type="http",
        auth="public",
        methods=["GET"],
    )
    def esign_download(self, signer_id, token, document_id, **kwargs):
        """The signed PDF of a completed collection, until its purge; each download is logged."""
        signer_sudo = self._signer_sudo(signer_id, token)
        if not signer_sudo:
            return self._render_status("invalid")
        collection = signer_sudo.collection_id
        if collection.state == "purged":
            return self._render_status("purged", signer_sudo, token)
        document_sudo = collection.document_ids.filtered(lambda d: d.id == document_id)
        if collection.state != "done" or not document_sudo:
            return request.not_found()
        signer_sudo._log_download(document_sudo, **self._evidence())
        return self._pdf_response(document_sudo, download=True)

    @http.route("/esign/copy/<string:payload>", type="http", auth="public", methods=["GET"])
    def esign_copy_download(self, payload, **kwargs):
        """A copy recipient's download of a completed collection's signed PDF; logged."""
        found = request.env["esign.collection"]._check_copy_download(payload)
        if not found:
            return self._render_status("invalid")
        collection_sudo, partner, document_sudo = found
        if collection_sudo.state != "done":
            return self._render_status("purged" if collection_sudo.state == "purged" else "unavailable")
        collection_sudo._log_copy_download(partner, document_sudo, **self._evidence())
        return self._pdf_response(document_sudo, download=True)

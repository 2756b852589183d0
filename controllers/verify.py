from odoo import http
from odoo.exceptions import UserError
from odoo.http import request


class EsignVerifyController(http.Controller):
    """Public page where anyone checks the signatures of a PDF the firm sent them."""

    def _render(self, values=None, status=200):
        response = request.render("engagement_letter_esign.esign_verify_page", values or {}, status=status)
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
        return response

    @http.route("/esign/verify", type="http", auth="public", methods=["GET"], website=True, sitemap=False)
    def verify_form(self, **kwargs):
        return self._render()

    @http.route("/esign/verify", type="http", auth="public", methods=["POST"], website=True, sitemap=False)
    def verify_upload(self, pdf_file=None, **kwargs):
        verification = request.env["esign.verification"].sudo()
        if not hasattr(pdf_file, "read"):
            return self._render({"error": request.env._("Choose a PDF file to verify.")})
        attempts = request.env["esign.verify.attempt"].sudo()
        if not attempts._count_upload(request.httprequest.remote_addr):
            _limit, window = attempts._rate_settings()
            response = self._render(
                {
                    "error": request.env._(
                        "Too many verifications from your connection: please try again in %s minutes.", window
                    )
                },
                status=429,
            )
            response.headers["Retry-After"] = str(window * 60)
            return response
        data = pdf_file.read(verification._max_upload_size() + 1)
        try:
            result = verification._check_public_upload(data, pdf_file.filename)
        except UserError as exc:
            return self._render({"error": exc.args[0], "filename": pdf_file.filename})
        return self._render({"result": result, "filename": pdf_file.filename})

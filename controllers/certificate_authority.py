from odoo import http
from odoo.http import request


class EsignCertificateAuthorityController(http.Controller):
    """Public files of a company's signature authority: its certificate and its revocation list."""

    def _company_sudo(self, company_id):
        company_sudo = request.env["res.company"].sudo().browse(company_id).exists()
        if not company_sudo or not company_sudo._esign_certificates("authority"):
            raise request.not_found()
        return company_sudo

    @http.route("/esign/ca/<int:company_id>.crl", type="http", auth="public", methods=["GET"], sitemap=False)
    def ca_crl(self, company_id):
        """A fresh revocation list, generated on request (it is valid a week)."""
        crl = self._company_sudo(company_id)._esign_crl()
        return request.make_response(
            crl,
            headers=[("Content-Type", "application/pkix-crl"), ("Cache-Control", "public, max-age=3600")],
        )

    @http.route("/esign/ca/<int:company_id>.pem", type="http", auth="public", methods=["GET"], sitemap=False)
    def ca_certificate_pem(self, company_id):
        pem = self._company_sudo(company_id)._esign_ca_certificate_pem()
        return request.make_response(
            pem,
            headers=[
                ("Content-Type", "application/x-pem-file"),
                ("Content-Disposition", f'attachment; filename="esign-ca-{company_id}.pem"'),
            ],
        )

    @http.route("/esign/ca/<int:company_id>.cer", type="http", auth="public", methods=["GET"], sitemap=False)
    def ca_certificate_der(self, company_id):
        der = self._company_sudo(company_id)._esign_ca_certificate_der()
        return request.make_response(
            der,
            headers=[
                ("Content-Type", "application/pkix-cert"),
                ("Content-Disposition", f'attachment; filename="esign-ca-{company_id}.cer"'),
            ],
        )

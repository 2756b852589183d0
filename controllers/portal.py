from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager
from odoo.http import request, route


class EsignCustomerPortal(CustomerPortal):
    """/my/esign: the signatures of a logged-in portal user."""

    def _esign_signer_domain(self):
        return request.env["esign.signer"]._portal_domain(request.env.user.partner_id)

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        signers_sudo = request.env["esign.signer"].sudo()
        if "esign_count" in counters:
            values["esign_count"] = signers_sudo.search_count(self._esign_signer_domain())
        if "esign_to_sign_count" in counters:
            values["esign_to_sign_count"] = signers_sudo.search_count(
                [*self._esign_signer_domain(), ("state", "=", "to_sign"), ("collection_id.state", "=", "in_progress")]
            )
        return values

    @route(["/my/esign", "/my/esign/page/<int:page>"], type="http", auth="user", website=True)
    def portal_my_esign(self, page=1, **kwargs):
        # Signers are internal records: the user's own lines only, found by their partner.
        signers_sudo = request.env["esign.signer"].sudo()
        domain = self._esign_signer_domain()
        pager = portal_pager(
            url="/my/esign", total=signers_sudo.search_count(domain), page=page, step=self._items_per_page
        )
        signers = signers_sudo.search(domain, limit=self._items_per_page, offset=pager["offset"], order="id desc")
        values = self._prepare_portal_layout_values()
        labels, colors = signers_sudo._portal_status_labels()
        values.update(
            {
                "signers": signers,
                "portal_statuses": {signer.id: signer._portal_list_status() for signer in signers},
                "status_labels": labels,
                "status_colors": colors,
                "pager": pager,
                "page_name": "esign",
                "default_url": "/my/esign",
            }
        )
        return request.render("engagement_letter_esign.portal_my_esign", values)

    @route("/my/esign/<int:signer_id>/open", type="http", auth="user", website=True)
    def portal_my_esign_open(self, signer_id, **kwargs):
        """A logged-in signer opens their own request: a fresh link token, then the signing page."""
        signers_sudo = request.env["esign.signer"].sudo()
        signer_sudo = signers_sudo.search([("id", "=", signer_id), *self._esign_signer_domain()])
        if not signer_sudo:
            return request.redirect("/my/esign")
        return request.redirect(signer_sudo._get_signing_url(signer_sudo._issue_access_token()), local=False)

from odoo import fields, models


class EsignCollectionCancel(models.TransientModel):
    """Ask for the reason before cancelling a collection."""

    _name = "esign.collection.cancel"
    _description = "Cancel a signature collection"

    collection_id = fields.Many2one("esign.collection", required=True, ondelete="cascade")
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        self.collection_id._action_cancel(self.reason)
        return {"type": "ir.actions.act_window_close"}

import contextvars

from odoo import api, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

# Set only for the duration of one ORM call made by a workflow method (`_esign_write`, `_esign_create`,
# `_esign_unlink`): neither a context key nor sudo() reaches it, so an RPC caller cannot lift the guard.
_WORKFLOW_CALL = contextvars.ContextVar("esign_workflow_call", default=None)


def in_workflow_call():
    """Whether a workflow method's ORM call is running (any model)."""
    return _WORKFLOW_CALL.get() is not None


def workflow_call(model_name, method, *args):
    """Run ``method`` as the workflow's own call on ``model_name``."""
    token = _WORKFLOW_CALL.set(model_name)
    try:
        return method(*args)
    finally:
        _WORKFLOW_CALL.reset(token)


class EsignWorkflowGuard(models.AbstractModel):
    """Fields that only the signature workflow writes: states, revisions and hashes, dates, tokens.

    A model lists them in ``_esign_workflow_fields``; ``write`` and ``create`` refuse them to every
    caller, administrators and ``sudo()`` included, unless the call comes from the workflow's own
    private methods through ``_esign_write``/``_esign_create``. ``_esign_frozen_fields`` lists the
    fields that can be set when a record is created but never changed afterwards.
    """

    _name = "esign.workflow.guard"
    _description = "Fields written by the signature workflow only"

    _esign_workflow_fields = ()
    _esign_frozen_fields = ()

    def _esign_in_workflow(self):
        return _WORKFLOW_CALL.get() == self._name

    def _esign_refuse_fields(self, names):
        """Raise when ``names`` holds a field only the workflow may write."""
        if self._esign_in_workflow():
            return
        forbidden = sorted(set(names) & set(self._esign_workflow_fields))
        if forbidden:
            raise AccessError(
                self.env._(
                    "%(fields)s of %(model)s can only be changed by the signature workflow itself.",
                    fields=", ".join(self._fields[name].get_description(self.env)["string"] for name in forbidden),
                    model=self._description,
                )
            )

    def _esign_lock(self, reread=True):
        """Hold these rows until the transaction ends: a concurrent step of the workflow on them (a
        second submission, another worker) waits, then, with ``reread``, reads what this one wrote."""
        if not self:
            return
        self.env.cr.execute(
            SQL(
                "SELECT id FROM %s WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE",
                SQL.identifier(self._table),
                list(self.ids),
            )
        )
        if reread:
            self.invalidate_recordset()

    def _esign_call(self, method, *args):
        return workflow_call(self._name, method, *args)

    # The workflow's methods check who may act before they write: these writes bypass the record rules.
    def _esign_write(self, vals):
        return self._esign_call(self.sudo().write, vals)

    def _esign_create(self, vals_list):
        return self._esign_call(self.sudo().create, vals_list).with_env(self.env)

    def _esign_unlink(self):
        return self._esign_call(self.sudo().unlink)

    @api.model_create_multi
    def create(self, vals_list):
        if self._esign_in_workflow():
            return super().create(vals_list)
        for vals in vals_list:
            self._esign_refuse_fields(vals)
        # A default_<field> context key would write a workflow field too: such keys are dropped.
        guarded = {f"default_{name}" for name in self._esign_workflow_fields}
        records = self
        if guarded & set(self.env.context):
            # The whole context is replaced on purpose: dropping keys is what this does.
            context = {key: value for key, value in self.env.context.items() if key not in guarded}
            records = self.with_context(context)  # pylint: disable=context-overridden
        return super(EsignWorkflowGuard, records).create(vals_list)

    def write(self, vals):
        self._esign_refuse_fields(vals)
        frozen = set(vals) & set(self._esign_frozen_fields)
        if frozen and not self._esign_in_workflow():
            for name in frozen:
                field = self._fields[name]
                new_value = field.convert_to_record(field.convert_to_cache(vals[name], self), self)
                if any(record[name] != new_value for record in self):
                    raise AccessError(
                        self.env._(
                            "%(field)s of %(model)s is set when it is created and cannot change.",
                            field=field.get_description(self.env)["string"],
                            model=self._description,
                        )
                    )
        return super().write(vals)

import base64
import io

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from odoo import Command
from odoo.service import server as odoo_server
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged

from .pki import ThrowawayAuthority

# cryptography's Rust core remembers the datetime class it first meets when it signs a certificate:
# let it meet the real one before a test freezes time, or freezegun's class would stick.
ThrowawayAuthority()


def make_png(width=240, height=80):
    """A drawn-signature-like PNG, made with Pillow."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(10, height - 20), (width // 2, 15), (width - 10, height - 25)], fill="black", width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def make_pdf(pages=1, text="Lettre de mission"):
    """A real PDF of ``pages`` pages, made with reportlab."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for number in range(1, pages + 1):
        pdf.drawString(72, 770, f"{text} - page {number}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def load_french(env):
    """French active, with the addon's French terms loaded (the test database has none by default)."""
    env["res.lang"]._activate_lang("fr_FR")
    env["ir.module.module"]._load_module_terms(["engagement_letter_esign"], ["fr_FR"], overwrite=True)


def as_signer(signer):
    """The signer as the person who signs: a firm signer signs as their own user, never for someone."""
    if len(signer) == 1 and signer.role == "firm" and signer.user_id:
        return signer.with_user(signer.user_id)
    return signer


def sign(signer, signature_image=None):
    """``signer`` signs for real (PAdES signatures of every document; who signs is the test's own
    check), then what the signature tells others is sent, as the scheduled action does after it."""
    signer._sign_checked(signature_image)
    send_notifications(signer.env)


def send_notifications(env):
    """What signatures left to tell (messages, the next signers' e-mails), sent now, as the scheduled
    action does (as the superuser: it sends what every signature left, whoever signed)."""
    return env["esign.signer"].sudo()._cron_send_notifications()


@tagged("post_install", "-at_install")
class EsignCase(TransactionCase):
    """Users, contacts and a way to build collections, shared by the addon's tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not issubclass(cls, HttpCase) and odoo_server.server:
            # The PDFs of these tests are real (wkhtmltopdf): the report's stylesheet is served by the
            # test server through this test's cursor, as for HttpCase. Without it, under Odoo's own
            # runner (which holds the registry lock while tests run), wkhtmltopdf would wait forever.
            cls.registry.enter_test_mode(cls.cr)
            cls.addClassCleanup(cls.registry.leave_test_mode)
            cls.env["ir.config_parameter"].set_param("web.base.url", HttpCase.base_url())
        cls.company = cls.env.company
        cls.company.write({"country_id": cls.env.ref("base.fr").id, "esign_enabled": True})
        cls.preparer = new_test_user(
            cls.env,
            login="esign_preparer",
            name="Paul Préparateur",
            email="paul@cabinet.example",
            groups="base.group_user,engagement_letter_esign.group_esign_user",
        )
        cls.signatory = new_test_user(
            cls.env,
            login="esign_signatory",
            name="Sylvie Signataire",
            email="sylvie@cabinet.example",
            groups="base.group_user,engagement_letter_esign.group_esign_signatory",
        )
        cls.signatory.partner_id.mobile = "+33 6 98 76 54 32"
        cls.manager = new_test_user(
            cls.env,
            login="esign_manager",
            name="Marc Manager",
            email="marc@cabinet.example",
            groups="base.group_user,engagement_letter_esign.group_esign_manager",
        )
        cls.client_fr = cls.env["res.partner"].create(
            {
                "name": "Sophie Martin",
                "email": "sophie@boulangerie.example",
                "mobile": "06 12 34 56 78",
                "country_id": cls.env.ref("base.fr").id,
            }
        )
        cls.client_be = cls.env["res.partner"].create(
            {
                "name": "Luc Dupuis",
                "email": "luc@brasserie.example",
                "mobile": "0470 12 34 56",
                "country_id": cls.env.ref("base.be").id,
            }
        )
        cls.client_ch = cls.env["res.partner"].create(
            {
                "name": "Anna Keller",
                "email": "anna@horlogerie.example",
                "mobile": "079 123 45 67",
                "country_id": cls.env.ref("base.ch").id,
            }
        )
        cls.pdf = make_pdf(2)

    def record_cron_progress(self):
        """The (done, remaining) pairs scheduled actions report from now on, in a list."""
        progress = []
        original = type(self.env["ir.cron"])._notify_progress

        def record(cron_self, *, done, remaining, deactivate=False):
            progress.append((done, remaining))
            return original(cron_self, done=done, remaining=remaining, deactivate=deactivate)

        self.patch(type(self.env["ir.cron"]), "_notify_progress", record)
        return progress

    @classmethod
    def make_waiting_for_firm(cls, count, documents=2):
        """``count`` launched collections the client has signed: the firm's signatory's turn."""
        collections = cls.env["esign.collection"]
        for index in range(count):
            collection = cls.make_collection(subject=f"Lettre de mission {index}", documents=documents)
            collection.action_launch()
            sign(collection.signer_ids.filtered(lambda s: s.role == "client"))
            collections |= collection
        return collections

    @classmethod
    def make_collection_of(cls, data, name="contrat.pdf", **document):
        """A draft collection of one document, the PDF ``data`` (with ``document``'s placement values),
        prepared by the preparer: the client signs first, then the firm's signatory."""
        return (
            cls.env["esign.collection"]
            .with_user(cls.preparer)
            .create(
                {
                    "subject": "Contrat 2026",
                    "document_ids": [
                        Command.create({"name": name, "original_pdf": base64.b64encode(data), **document})
                    ],
                    "signer_ids": [
                        Command.create({"partner_id": cls.client_fr.id, "signing_order": 1, "role": "client"}),
                        Command.create({"partner_id": cls.signatory.partner_id.id, "signing_order": 2, "role": "firm"}),
                    ],
                }
            )
        )

    @classmethod
    def make_collection(cls, signers=None, documents=1, user=None, **values):
        """A draft collection; ``signers`` is a list of (partner, order) pairs."""
        signers = signers if signers is not None else [(cls.client_fr, 1), (cls.signatory.partner_id, 2)]
        env = cls.env(user=user or cls.preparer)
        return env["esign.collection"].create(
            {
                "subject": values.pop("subject", "Lettre de mission 2026"),
                "document_ids": [
                    Command.create(
                        {
                            "name": f"lettre_{index}.pdf",
                            "original_pdf": base64.b64encode(cls.pdf),
                        }
                    )
                    for index in range(documents)
                ],
                "signer_ids": [
                    Command.create(
                        {
                            "partner_id": partner.id,
                            "signing_order": order,
                            "role": "firm" if partner == cls.signatory.partner_id else "client",
                        }
                    )
                    for partner, order in signers
                ],
                **values,
            }
        )

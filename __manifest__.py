{
    "name": "Engagement letters: electronic signature",
    "summary": "Have engagement letters and any PDF signed by clients and the firm: "
    "ordered collection, SMS codes, PAdES, seal, proof",
    "version": "18.0.1.0.0",
    "category": "Productivity/Documents",
    "author": "engagement_letter_esign developers",
    "website": "https://github.com/engagement-letter-esign/engagement_letter_esign",
    "license": "LGPL-3",
    "depends": ["mail", "portal", "sms", "phone_validation", "contacts"],
    "external_dependencies": {"python": ["pyhanko", "phonenumbers"]},
    "data": [
        "security/esign_security.xml",
        "security/ir.model.access.csv",
        "data/ir_sequence_data.xml",
        "data/mail_message_subtype_data.xml",
        "data/mail_activity_type_data.xml",
        "data/mail_template_data.xml",
        "data/mail_template_notification_data.xml",
        "data/sms_template_data.xml",
        "data/ir_cron_data.xml",
        "wizards/esign_collection_cancel_views.xml",
        "wizards/esign_sign_wizard_views.xml",
        "views/esign_collection_views.xml",
        "views/esign_signer_views.xml",
        "views/esign_event_views.xml",
        "views/res_config_settings_views.xml",
        "views/esign_portal_templates.xml",
        "views/esign_menus.xml",
    ],
    "demo": [
        "demo/esign_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "engagement_letter_esign/static/src/dashboard/**/*",
        ],
        "web.assets_frontend": [
            "engagement_letter_esign/static/src/signing/**/*",
        ],
        "web.assets_tests": [
            "engagement_letter_esign/static/tests/tours/**/*",
        ],
    },
    "application": True,
}

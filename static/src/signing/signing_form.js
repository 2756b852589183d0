/** @odoo-module **/

import { Component, useState } from "@odoo/owl";
import { rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import { redirect } from "@web/core/utils/urls";
import { NameAndSignature } from "@web/core/signature/name_and_signature";

/**
 * The interactive part of the signing page: accept, receive the code, draw, tick, sign.
 * Every text comes translated from the server (the signer's language); the server decides.
 */
export class EsignSigningForm extends Component {
    static template = "engagement_letter_esign.SigningForm";
    static components = { NameAndSignature };
    static props = ["*"];

    setup() {
        this.state = useState({
            read: false,
            masked: false,
            sending: false,
            signing: false,
            error: false,
            info: false,
            code: "",
            terms: false,
            privacy: false,
        });
        this.signature = useState({ name: this.props.signerName });
    }

    get canSign() {
        return (
            this.state.masked &&
            this.state.terms &&
            this.state.privacy &&
            /^\d{6}$/.test(this.state.code.trim()) &&
            !this.signature.isSignatureEmpty &&
            !this.state.signing
        );
    }

    async onToggleRead(ev) {
        this.state.read = ev.target.checked;
        if (this.state.read && !this.state.masked) {
            await this.requestCode();
        }
    }

    async requestCode() {
        this.state.sending = true;
        this.state.error = false;
        try {
            const result = await rpc(this.props.codeUrl, { csrf_token: odoo.csrf_token });
            if (result.error) {
                this.state.error = result.error;
            } else {
                this.state.masked = result.masked;
                this.state.info = this.props.labels.codeSent.replace("%s", result.masked);
            }
        } finally {
            this.state.sending = false;
        }
    }

    async onSign() {
        if (!this.canSign) {
            return;
        }
        this.state.signing = true;
        this.state.error = false;
        try {
            const result = await rpc(this.props.signUrl, {
                csrf_token: odoo.csrf_token,
                code: this.state.code.trim(),
                signature: this.signature.getSignatureImage().split(",")[1],
                accepted: this.state.terms && this.state.privacy,
            });
            if (result.signed) {
                redirect(result.redirect_url);
                return;
            }
            this.state.error = result.error;
        } finally {
            this.state.signing = false;
        }
    }
}

registry.category("public_components").add("engagement_letter_esign.signing_form", EsignSigningForm);

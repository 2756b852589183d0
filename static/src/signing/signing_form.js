/** @odoo-module **/

import { Component, onMounted, onWillUnmount, useEffect, useRef, useState } from "@odoo/owl";
import { rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import { redirect } from "@web/core/utils/urls";
import { NameAndSignature } from "@web/core/signature/name_and_signature";

/**
 * The interactive part of the signing page: read, draw, accept, receive the code, type it, sign.
 * Every text comes translated from the server (the signer's language); the server decides.
 * A checklist says what is still missing before "Sign"; each message shows next to its control.
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
            // The message of a failed code request, shown in the code step with a retry button.
            sendError: false,
            // Messages about one control, shown under it: {code, signature, terms}.
            fieldErrors: {},
            // A message about no control in particular, shown above the Sign button.
            error: false,
            info: false,
            code: "",
            terms: false,
            privacy: false,
            resendIn: 0,
            // What to bring on screen once the page shows a message: {field} ("send", "code", a step or none).
            reveal: null,
        });
        this.signature = useState({ name: this.props.signerName });
        this.root = useRef("root");
        this.codeStep = useRef("codeStep");
        this.codeInput = useRef("codeInput");
        this.errorBox = useRef("errorBox");
        onMounted(() => this.labelSignaturePad());
        // Right after Owl has patched the page, so the message is on screen as soon as it exists.
        useEffect(
            (reveal) => {
                if (reveal) {
                    this.reveal(reveal.field);
                }
            },
            () => [this.state.reveal]
        );
        onWillUnmount(() => clearInterval(this.countdown));
    }

    /** The drawing area and its buttons come from Odoo's widget: name them for screen readers. */
    labelSignaturePad() {
        const el = this.root.el;
        const canvas = el.querySelector("canvas.o_web_sign_signature");
        if (canvas) {
            canvas.setAttribute("role", "img");
            canvas.setAttribute("aria-label", this.props.labels.draw);
            canvas.setAttribute("aria-describedby", "o_esign_draw_hint");
        }
        const clear = el.querySelector(".o_web_sign_draw_clear a");
        if (clear) {
            clear.setAttribute("aria-label", this.props.labels.clear);
            clear.setAttribute("title", this.props.labels.clear);
        }
    }

    get signatureDrawn() {
        return this.signature.isSignatureEmpty === false;
    }

    /** Six digits, and not the ones the server just refused (typing again clears the message). */
    get codeTyped() {
        return /^\d{6}$/.test(this.state.code.trim()) && !this.state.fieldErrors.code;
    }

    get steps() {
        const labels = this.props.labels;
        return [
            { key: "read", label: labels.stepRead, done: this.state.read },
            { key: "draw", label: labels.stepDraw, done: this.signatureDrawn },
            { key: "terms", label: labels.stepTerms, done: this.state.terms && this.state.privacy },
            { key: "request", label: labels.stepRequest, done: Boolean(this.state.masked) },
            { key: "code", label: labels.stepCode, done: this.codeTyped },
        ];
    }

    get canSign() {
        return this.steps.every((step) => step.done) && !this.state.signing;
    }

    get resendLabel() {
        const labels = this.props.labels;
        return this.state.resendIn > 0 ? labels.resendIn.replace("%s", this.state.resendIn) : labels.resend;
    }

    /** Show the message in the middle of the screen: on a phone it may be far above or below. */
    reveal(field) {
        let el;
        if (field === "send" || field === "code") {
            el = this.codeStep.el;
        } else if (field) {
            el = this.root.el.querySelector(`[data-step='${field}']`);
        } else {
            el = this.errorBox.el;
        }
        el?.scrollIntoView({ block: "center" });
        if (field === "code") {
            this.codeInput.el?.focus({ preventScroll: true });
        }
    }

    async onToggleRead(ev) {
        this.state.read = ev.target.checked;
        if (this.state.read && !this.state.masked && !this.state.sending) {
            await this.requestCode();
        }
    }

    startCountdown(seconds) {
        clearInterval(this.countdown);
        this.state.resendIn = seconds || 0;
        if (!this.state.resendIn) {
            return;
        }
        this.countdown = setInterval(() => {
            this.state.resendIn = Math.max(this.state.resendIn - 1, 0);
            if (!this.state.resendIn) {
                clearInterval(this.countdown);
            }
        }, 1000);
    }

    async requestCode() {
        this.state.sending = true;
        this.state.sendError = false;
        this.state.fieldErrors = {};
        try {
            const result = await rpc(this.props.codeUrl, { csrf_token: odoo.csrf_token });
            if (result.error) {
                this.state.sendError = result.error;
            } else {
                this.state.masked = result.masked;
                // The masked number never breaks across lines.
                this.state.info = this.props.labels.codeSent.replace("%s", result.masked.replace(/ /g, "\u00a0"));
                this.startCountdown(this.props.resendSeconds);
            }
        } finally {
            this.state.sending = false;
        }
        if (this.state.sendError) {
            this.state.reveal = { field: "send" };
        }
    }

    onCodeInput() {
        if (this.state.fieldErrors.code) {
            this.state.fieldErrors = { ...this.state.fieldErrors, code: false };
        }
    }

    async onSign() {
        if (!this.canSign) {
            return;
        }
        this.state.signing = true;
        this.state.error = false;
        this.state.fieldErrors = {};
        let result;
        try {
            result = await rpc(this.props.signUrl, {
                csrf_token: odoo.csrf_token,
                code: this.state.code.trim(),
                signature: this.signature.getSignatureImage().split(",")[1],
                accepted: this.state.terms && this.state.privacy,
            });
        } finally {
            this.state.signing = false;
        }
        if (result.signed) {
            redirect(result.redirect_url);
            return;
        }
        if (result.reload) {
            window.location.reload();
            return;
        }
        if (result.field) {
            this.state.fieldErrors = { [result.field]: result.error };
        } else {
            this.state.error = result.error;
        }
        this.state.reveal = { field: result.field };
    }
}

registry.category("public_components").add("engagement_letter_esign.signing_form", EsignSigningForm);

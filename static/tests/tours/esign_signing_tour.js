/** @odoo-module **/

import { registry } from "@web/core/registry";

/** Draw a stroke on the signature canvas with pointer events, as a finger or a mouse would. */
function drawSignature(canvas) {
    const rect = canvas.getBoundingClientRect();
    const point = (x, y, type, buttons) =>
        new PointerEvent(type, {
            bubbles: true,
            cancelable: true,
            pointerId: 1,
            isPrimary: true,
            pointerType: "mouse",
            buttons,
            clientX: rect.left + x * rect.width,
            clientY: rect.top + y * rect.height,
        });
    canvas.dispatchEvent(point(0.1, 0.5, "pointerdown", 1));
    for (let i = 1; i <= 10; i++) {
        canvas.dispatchEvent(point(0.1 + i * 0.07, 0.5 + (i % 2 ? 0.2 : -0.2), "pointermove", 1));
    }
    canvas.ownerDocument.dispatchEvent(point(0.8, 0.5, "pointerup", 0));
}

/** The test's SMS server (its address is in the page URL) tells which code was sent. */
async function typeCode() {
    const smsServer = new URLSearchParams(window.location.search).get("sms_server");
    const response = await fetch(`${smsServer}/last`);
    const { message } = await response.json();
    const input = document.querySelector("#o_esign_code");
    input.value = message.match(/\b(\d{6})\b/)[1];
    input.dispatchEvent(new Event("input", { bubbles: true }));
}

registry.category("web_tour.tours").add("esign_signing_tour", {
    steps: () => [
        {
            content: "The documents are shown in the PDF viewer",
            trigger: ":iframe #viewer .page[data-page-number='2']",
        },
        {
            content: "I have read the documents and want to sign",
            trigger: "#o_esign_read",
            run: "click",
        },
        {
            content: "The code was sent to the masked mobile",
            trigger: ".o_esign_code_sent:contains('•• •• 78')",
        },
        {
            content: "Draw the signature",
            trigger: "canvas.o_web_sign_signature",
            run: ({ anchor }) => drawSignature(anchor),
        },
        {
            content: "Accept the terms of use",
            trigger: "#o_esign_terms",
            run: "click",
        },
        {
            content: "Accept the personal data policy",
            trigger: "#o_esign_privacy",
            run: "click",
        },
        {
            content: "Type the code received by SMS",
            trigger: "#o_esign_code",
            run: typeCode,
        },
        {
            content: "Sign",
            trigger: ".o_esign_sign:enabled",
            run: "click",
        },
        {
            content: "The page confirms the signature",
            trigger: ".o_esign_status[data-status='signed']",
        },
    ],
});

registry.category("web_tour.tours").add("esign_refusal_tour", {
    steps: () => [
        {
            content: "Open the refusal form",
            trigger: ".o_esign_refuse_toggle",
            run: "click",
        },
        {
            content: "Give the reason",
            trigger: "#o_esign_reason",
            run: "edit Les honoraires ne correspondent pas au devis",
        },
        {
            content: "Refuse",
            trigger: ".o_esign_refuse",
            run: "click",
        },
        {
            content: "The page confirms the refusal",
            trigger: ".o_esign_status[data-status='refused']",
        },
    ],
});

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

function smsServer() {
    return new URLSearchParams(window.location.search).get("sms_server");
}

/** The test's SMS server (its address is in the page URL) tells which code was sent. */
async function lastCode() {
    const response = await fetch(`${smsServer()}/last`);
    const { message } = await response.json();
    return message.match(/\b(\d{6})\b/)[1];
}

function typeInCode(value) {
    const input = document.querySelector("#o_esign_code");
    input.value = value;
    input.dispatchEvent(new Event("input", { bubbles: true }));
}

function fail(message) {
    throw new Error(message);
}

/** What a user sees: the element is on screen, not above or below it. */
function assertInViewport(element, what) {
    const rect = element.getBoundingClientRect();
    if (rect.height === 0 || rect.top < 0 || rect.bottom > window.innerHeight) {
        fail(`${what} is not on screen: top ${rect.top}, bottom ${rect.bottom}, screen ${window.innerHeight}`);
    }
}

/** Every visible control a finger taps is at least 44 px high. */
function assertTapTargets() {
    const selector = [
        "button",
        "a.btn",
        "summary",
        "label.o_esign_check",
        ".o_esign_contact a",
        ".o_web_sign_draw_clear a",
        "input.form-control",
    ].join(",");
    const small = [...document.querySelectorAll(selector)]
        .filter((element) => !element.matches(".visually-hidden-focusable"))
        .filter((element) => element.offsetParent && element.getBoundingClientRect().height > 0)
        .filter((element) => element.getBoundingClientRect().height < 44)
        .map((element) => `${element.className || element.tagName} (${element.getBoundingClientRect().height}px)`);
    if (small.length) {
        fail(`Tap targets under 44 px: ${small.join(", ")}`);
    }
}

function assertChecklist(expectedTodo) {
    const todo = [...document.querySelectorAll(".o_esign_checklist .o_esign_step_todo")].map((li) => li.dataset.step);
    if (todo.join(",") !== expectedTodo.join(",")) {
        fail(`Checklist still to do: ${todo.join(",")}, expected ${expectedTodo.join(",")}`);
    }
}

function assertSignDisabled(disabled) {
    const button = document.querySelector(".o_esign_sign");
    if (button.disabled !== disabled) {
        fail(`"Sign" should be ${disabled ? "disabled" : "enabled"}`);
    }
}

function assertText(selector, text) {
    const element = document.querySelector(selector);
    if (!element || !element.innerText.includes(text)) {
        fail(`${selector} should say "${text}", it says "${element && element.innerText}"`);
    }
    return element;
}

/** The firm's name, phone and e-mail, visible with a tap to call or write. */
function assertFirmContact() {
    const contact = document.querySelector(".o_esign_contact");
    if (!contact) {
        fail("The firm's contact is missing");
    }
    assertText(".o_esign_contact_name", "Cabinet Durand");
    const phone = contact.querySelector("a.o_esign_contact_phone");
    if (!phone || !phone.href.startsWith("tel:+33142685300")) {
        fail("The firm's phone is missing or cannot be tapped");
    }
    if (!contact.querySelector("a.o_esign_contact_email[href='mailto:contact@cabinet.example']")) {
        fail("The firm's e-mail is missing");
    }
}

const openThePage = [
    {
        content: "The documents are shown in the PDF viewer",
        trigger: ":iframe #viewer .page[data-page-number='2']",
    },
    {
        content: "A real button opens the document full screen; the checklist lists every step",
        trigger: ".o_esign_checklist .o_esign_step_todo",
        run() {
            const open = document.querySelector("a.o_esign_open");
            if (!open.href.includes("/web/static/lib/pdfjs/web/viewer.html")) {
                fail("Open the document: not the viewer");
            }
            const viewer = document.querySelector("iframe.o_esign_pdf");
            if (viewer.getBoundingClientRect().height < window.innerHeight * 0.6) {
                fail(`The viewer is ${viewer.getBoundingClientRect().height}px high on a ${window.innerHeight}px screen`);
            }
            assertChecklist(["read", "draw", "terms", "request", "code"]);
            assertSignDisabled(true);
            assertTapTargets();
            assertFirmContact();
            const canvas = document.querySelector("canvas.o_web_sign_signature");
            if (!canvas.getAttribute("aria-label")) {
                fail("The signature canvas has no label");
            }
            const deadline = document.querySelector(".o_esign_deadline").innerText;
            if (/\d\d:\d\d:\d\d|[+-]\d{4}/.test(deadline)) {
                fail(`The deadline shows seconds or an offset: ${deadline}`);
            }
        },
    },
    {
        content: "I have read the documents and want to sign",
        trigger: "#o_esign_read",
        run: "click",
    },
];

const drawAndAccept = [
    {
        content: "Draw the signature",
        trigger: "canvas.o_web_sign_signature",
        run: ({ anchor }) => drawSignature(anchor),
    },
    {
        content: "Drawing ticks its line of the checklist",
        trigger: ".o_esign_checklist .o_esign_step_done[data-step='draw']",
        run: () => assertChecklist(["terms", "code"]),
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
        content: "Only the code is left; Sign stays disabled",
        trigger: ".o_esign_checklist .o_esign_step_done[data-step='terms']",
        run() {
            assertChecklist(["code"]);
            assertSignDisabled(true);
        },
    },
];

registry.category("web_tour.tours").add("esign_signing_tour", {
    steps: () => [
        ...openThePage,
        {
            content: "The code was sent to the masked mobile",
            trigger: ".o_esign_code_sent:contains('•• •• 78')",
            run() {
                assertChecklist(["draw", "terms", "code"]);
                assertText(".o_esign_resend", "Send the code again in");
                if (!document.querySelector(".o_esign_resend").disabled) {
                    fail("Resending is possible only after the wait");
                }
            },
        },
        ...drawAndAccept,
        {
            content: "Type a wrong code",
            trigger: "#o_esign_code",
            async run() {
                const code = await lastCode();
                typeInCode(`${(Number(code[0]) + 1) % 10}${code.slice(1)}`);
            },
        },
        {
            content: "Everything is ticked: Sign",
            trigger: ".o_esign_sign:enabled",
            run() {
                assertText(".o_esign_ready", "Everything is ready");
                window.scrollTo(0, 0);
                document.querySelector(".o_esign_sign").click();
            },
        },
        {
            content: "The error shows under the code field, which is marked, on screen",
            trigger: "#o_esign_code.is-invalid",
            run() {
                const error = assertText("#o_esign_code + .o_esign_code_error", "This code is not right");
                assertInViewport(error, "The wrong-code message");
                assertInViewport(document.querySelector("#o_esign_code"), "The code field");
                if (document.activeElement.id !== "o_esign_code") {
                    fail("The code field should have the focus");
                }
                assertChecklist(["code"]);
                assertSignDisabled(true);
                if (document.querySelector(".o_esign_error")) {
                    fail("The code error must not also show far from the field");
                }
            },
        },
        {
            content: "Type the code received by SMS",
            trigger: "#o_esign_code",
            async run() {
                typeInCode(await lastCode());
            },
        },
        {
            content: "Typing again clears the error",
            trigger: "#o_esign_code:not(.is-invalid)",
        },
        {
            content: "Sign",
            trigger: ".o_esign_sign:enabled",
            run: "click",
        },
        {
            content: "The page confirms the signature, names the documents and the firm",
            trigger: ".o_esign_status[data-status='signed']",
            run() {
                assertText(".o_esign_status h1", "You have signed");
                assertText(".o_esign_status_documents", "lettre_0.pdf");
                assertText(".o_esign_status_documents", "Lettre de mission 2026");
                assertFirmContact();
                assertTapTargets();
            },
        },
    ],
});

registry.category("web_tour.tours").add("esign_sms_failure_tour", {
    steps: () => [
        ...openThePage,
        {
            content: "The SMS could not be sent: the message and a retry button show in the code step",
            trigger: ".o_esign_send_error",
            run() {
                const error = assertText(".o_esign_send_error", "could not be sent by SMS");
                assertInViewport(error, "The sending error");
                const resend = assertText(".o_esign_resend", "Send the code again");
                if (resend.disabled) {
                    fail("Send the code again must be possible after a failure");
                }
                assertInViewport(resend, "Send the code again");
                assertChecklist(["draw", "terms", "request", "code"]);
                assertTapTargets();
                assertFirmContact();
            },
        },
        {
            content: "Retry while the gateway still fails",
            trigger: ".o_esign_resend:enabled",
            run: "click",
        },
        {
            content: "It failed again; the gateway comes back",
            trigger: ".o_esign_send_error",
            async run() {
                await fetch(`${smsServer()}/status/200`);
            },
        },
        {
            content: "Send the code again",
            trigger: ".o_esign_resend:enabled",
            run: "click",
        },
        {
            content: "This time the code is sent",
            trigger: ".o_esign_code_sent:contains('•• •• 78')",
            run() {
                if (document.querySelector(".o_esign_send_error")) {
                    fail("The old error is still shown");
                }
                assertChecklist(["draw", "terms", "code"]);
            },
        },
        ...drawAndAccept,
        {
            content: "Type the code received by SMS",
            trigger: "#o_esign_code",
            async run() {
                typeInCode(await lastCode());
            },
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
            run({ anchor }) {
                if (anchor.getBoundingClientRect().height < 44) {
                    fail(`"I do not want to sign" is ${anchor.getBoundingClientRect().height}px high`);
                }
                anchor.click();
            },
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
            content: "The page confirms the refusal, names the documents and the firm",
            trigger: ".o_esign_status[data-status='refused']",
            run() {
                assertText(".o_esign_status h1", "The signature was refused");
                assertText(".o_esign_status_documents", "lettre_0.pdf");
                assertFirmContact();
                assertTapTargets();
            },
        },
    ],
});

registry.category("web_tour.tours").add("esign_my_list_tour", {
    steps: () => [
        {
            content: "On a phone the status of each signature is on screen, beside its title",
            trigger: ".o_esign_my_row[data-status='to_sign'] .o_esign_my_status .badge",
            run({ anchor }) {
                const rect = anchor.getBoundingClientRect();
                if (rect.right > window.innerWidth || rect.left < 0 || rect.width === 0) {
                    fail(`The status is off screen: ${rect.left}-${rect.right} on ${window.innerWidth}px`);
                }
                assertText(".o_esign_my_row[data-status='to_sign']", "To sign");
                const open = document.querySelector(".o_esign_my_open");
                if (open.getBoundingClientRect().height < 44) {
                    fail("The link to sign is too small to tap");
                }
            },
        },
    ],
});

registry.category("web_tour.tours").add("esign_verify_phone_tour", {
    steps: () => [
        {
            content: "Choose the signed PDF (its address is in the page URL) and verify it",
            trigger: "input[name='pdf_file']",
            async run({ anchor }) {
                const pdfUrl = new URLSearchParams(window.location.search).get("pdf");
                const blob = await (await fetch(pdfUrl)).blob();
                const files = new DataTransfer();
                files.items.add(new File([blob], "lettre_signee.pdf", { type: "application/pdf" }));
                anchor.files = files.files;
                anchor.closest("form").querySelector("button[type='submit']").click();
            },
        },
        {
            content: "On a phone each signature's result is on screen, first in its card, with labelled values",
            trigger: ".o_esign_verify_row .o_esign_verify_signature_verdict",
            run() {
                const rows = [...document.querySelectorAll(".o_esign_verify_row")];
                if (rows.length < 2) {
                    fail(`Expected every signature, found ${rows.length}`);
                }
                for (const row of rows) {
                    const verdict = row.querySelector(".o_esign_verify_signature_verdict");
                    const rect = verdict.getBoundingClientRect();
                    if (rect.width === 0 || rect.left < 0 || rect.right > window.innerWidth) {
                        fail(`A result is off screen: ${rect.left}-${rect.right} on ${window.innerWidth}px`);
                    }
                    if (rect.top > row.querySelector(".o_esign_verify_col_revision").getBoundingClientRect().top) {
                        fail("The result should come first in its card");
                    }
                    if (!verdict.innerText.trim()) {
                        fail("A result has no text");
                    }
                }
                if (document.documentElement.scrollWidth > window.innerWidth) {
                    fail("The page scrolls sideways on a phone");
                }
                const label = document.querySelector(".o_esign_verify_row .o_esign_verify_label");
                if (!label.offsetParent || !label.innerText.includes("#")) {
                    fail("The values are not labelled on a phone");
                }
            },
        },
    ],
});

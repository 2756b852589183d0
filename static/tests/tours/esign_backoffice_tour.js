import { registry } from "@web/core/registry";
import { rpc } from "@web/core/network/rpc";

/** Throws when a cell or header hides part of its text (ellipsis, clipped badge). */
function assertNotTruncated(selector) {
    const elements = [...document.querySelectorAll(selector)];
    if (!elements.length) {
        throw new Error(`Nothing matches ${selector}`);
    }
    for (const element of elements) {
        for (const node of [element, ...element.querySelectorAll("span, div")]) {
            if (node.scrollWidth > node.clientWidth + 1 && getComputedStyle(node).overflow !== "visible") {
                throw new Error(
                    `Truncated: “${element.innerText.trim()}” (${node.scrollWidth}px in ${node.clientWidth}px)`
                );
            }
        }
    }
}

registry.category("web_tour.tours").add("esign_collection_list_tour", {
    url: "/odoo/action-engagement_letter_esign.esign_collection_action",
    steps: () => [
        {
            content: "The list shows the collections",
            trigger: ".o_list_view .o_data_row:contains('Lettre scellée')",
        },
        {
            content: "Reference, status, signatures and deadline are shown in full, headers too",
            trigger: ".o_list_view .o_data_row .o_data_cell[name=state]:contains('Waiting for launch')",
            run() {
                for (const name of ["name", "state", "progress", "deadline", "subject", "signer_names"]) {
                    assertNotTruncated(`.o_list_view .o_data_row .o_data_cell[name=${name}]`);
                }
                assertNotTruncated(".o_list_view thead th .o_column_title, .o_list_view thead th span");
            },
        },
        {
            content: "Open the sealed collection",
            trigger: ".o_data_row:contains('Lettre scellée') .o_data_cell[name=subject]",
            run: "click",
        },
        {
            content: "It says it is sealed, with its date",
            trigger: ".o_form_view .ribbon:contains('Sealed collection')",
        },
        {
            content: "The seal date is shown",
            trigger: ".o_form_view .o_esign_sealed .o_field_widget[name=sealed_date]:not(:empty)",
        },
        {
            content: "Open the documents",
            trigger: ".o_notebook a[name=documents]",
            run: "click",
        },
        {
            content: "The documents tab names the files, not their sizes",
            trigger: ".o_field_widget[name=document_ids] .o_data_cell[name=signed_pdf]:contains('lettre_0.pdf')",
            run() {
                const cells = document.querySelectorAll(".o_field_widget[name=document_ids] .o_data_cell");
                for (const cell of cells) {
                    if (/\d+(\.\d+)? ?(Kb|Mb|bytes)/i.test(cell.innerText)) {
                        throw new Error(`A size instead of a file name: ${cell.innerText}`);
                    }
                }
            },
        },
        {
            content: "Back to the collections, as a kanban",
            trigger: ".o_breadcrumb .o_back_button, .o_breadcrumb a:contains('Signature collections')",
            run: "click",
        },
        {
            content: "Switch to kanban",
            trigger: ".o_switch_view.o_kanban",
            run: "click",
        },
        {
            content: "The columns follow the workflow: draft, waiting for launch, in progress, done",
            trigger: ".o_kanban_group:nth-child(1) .o_column_title:contains('Draft')",
            run() {
                const titles = [...document.querySelectorAll(".o_kanban_group .o_column_title")].map((el) =>
                    el.innerText.replace(/\(\d+\)/, "").trim()
                );
                const expected = ["Draft", "Waiting for launch", "In progress", "Done"];
                if (JSON.stringify(titles.slice(0, 4)) !== JSON.stringify(expected)) {
                    throw new Error(`Columns in the wrong order: ${titles.join(", ")}`);
                }
            },
        },
        {
            content: "The sealed collection's card says so",
            trigger: ".o_kanban_record:contains('Lettre scellée') .badge:contains('Sealed collection')",
        },
    ],
});

registry.category("web_tour.tours").add("esign_send_wizard_tour", {
    steps: () => [
        {
            content: "Send the letter",
            trigger: ".o_form_view button[name=action_send]",
            run: "click",
        },
        {
            content: "The wizard opens with the firm signatory of the settings",
            trigger: ".modal .o_field_widget[name=signatory_id] input",
            run() {
                const value = document.querySelector(".modal .o_field_widget[name=signatory_id] input").value;
                if (value !== "Sylvie Signataire") {
                    throw new Error(`Firm signatory: “${value}”`);
                }
            },
        },
        {
            content: "What prevents the collection is listed at once",
            trigger: ".modal .o_esign_send_problems:contains('Sophie Martin has no mobile number')",
        },
        {
            content: "The button is disabled while a problem is left",
            trigger: ".modal footer button[name=action_prepare][disabled]:contains('Prepare the collection')",
        },
        {
            content: "Choose a signer contact who has a mobile number",
            trigger: ".modal .o_field_widget[name=signer_contact_id] input",
            run: "edit Luc Durand",
        },
        {
            content: "Pick it",
            trigger: ".o-autocomplete--dropdown-menu a:contains('Luc Durand')",
            run: "click",
        },
        {
            content: "No problem is left: the alert is gone, the button is enabled",
            trigger: ".modal:not(:has(.o_esign_send_problems:visible)) footer button[name=action_prepare]:enabled:contains('Prepare the collection')",
            run: "click",
        },
        {
            content: "The collection is prepared, waiting for launch",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('Waiting for launch')",
        },
    ],
});

registry.category("web_tour.tours").add("esign_parapheur_live_tour", {
    steps: () => [
        {
            content: "The batch waits in the queue",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('Queued')",
        },
        {
            content: "Nothing is signed yet",
            trigger: ".o_form_view .o_field_widget[name=progress] .o_progressbar_value:contains('0')",
        },
        {
            content: "The scheduled action signs the batch in the background",
            trigger: ".o_form_view",
            async run() {
                const [cron] = await rpc("/web/dataset/call_kw/ir.model.data/search_read", {
                    model: "ir.model.data",
                    method: "search_read",
                    args: [
                        [
                            ["module", "=", "engagement_letter_esign"],
                            ["name", "=", "ir_cron_esign_parapheur"],
                        ],
                        ["res_id"],
                    ],
                    kwargs: {},
                });
                await rpc("/web/dataset/call_kw/ir.cron/method_direct_trigger", {
                    model: "ir.cron",
                    method: "method_direct_trigger",
                    args: [[cron.res_id]],
                    kwargs: {},
                });
            },
        },
        {
            content: "Without a reload, the form says the batch is done",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('Done')",
            timeout: 20000,
        },
        {
            content: "The progress reached 100 %",
            trigger: ".o_form_view .o_field_widget[name=progress] .o_progressbar_value:contains('100')",
        },
        {
            content: "Each line is signed",
            trigger: ".o_form_view .o_field_widget[name=line_ids] .o_data_row:not(:has(.o_data_cell[name=state]:not(:contains('Signed'))))",
        },
    ],
});

registry.category("web_tour.tours").add("esign_contact_import_preview_tour", {
    steps: () => [
        {
            content: "The preview lists the row in error",
            trigger: ".o_field_widget[name=line_ids] .o_esign_import_reason:contains('no valid domain name')",
        },
        {
            content: "The whole reason is visible: wrapped, not cut",
            trigger: ".o_field_widget[name=line_ids] .o_esign_import_reason:contains('e.g. name@company.fr')",
            run() {
                const reasons = [...document.querySelectorAll(".o_field_widget[name=line_ids] .o_esign_import_reason")]
                    .filter((el) => el.innerText.trim());
                for (const reason of reasons) {
                    const box = reason.getBoundingClientRect();
                    if (box.width <= 0 || box.right > window.innerWidth + 1 || box.left < 0) {
                        throw new Error(`The reason is off screen: ${reason.innerText}`);
                    }
                }
                assertNotTruncated(".o_field_widget[name=line_ids] .o_esign_import_reason");
            },
        },
    ],
});

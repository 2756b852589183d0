import { registry } from "@web/core/registry";

// Where the tour points on page 2, as fractions of the page shown (from its top-left corner).
const SPOT = { x: 0.3, y: 0.75 };
const A4_WIDTH = 595.28;
const STAMP_WIDTH = 170;

function sheet() {
    return document.querySelector(".o_esign_stamp_dialog .o_esign_stamp_sheet");
}

function pointerAt(type, fraction) {
    const target = sheet();
    const rect = target.getBoundingClientRect();
    const init = {
        bubbles: true,
        cancelable: true,
        clientX: rect.left + rect.width * fraction.x,
        clientY: rect.top + rect.height * fraction.y,
    };
    const EventClass = type === "click" ? MouseEvent : PointerEvent;
    target.dispatchEvent(new EventClass(type, init));
}

function assertDrawn() {
    const canvas = sheet().querySelector("canvas");
    const rect = canvas.getBoundingClientRect();
    if (rect.width < 200 || rect.height < 280) {
        throw new Error(`The page is too small to be seen: ${rect.width}×${rect.height}`);
    }
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let ink = 0;
    for (let index = 0; index < pixels.length; index += 4) {
        if (pixels[index + 3] > 0 && pixels[index] < 128) {
            ink++;
        }
    }
    if (ink < 50) {
        throw new Error("The page's text is not drawn on the canvas");
    }
}

registry.category("web_tour.tours").add("esign_stamp_picker_tour", {
    steps: () => [
        {
            content: "Open the documents of the collection",
            trigger: ".o_notebook a.nav-link[name=documents]",
            run: "click",
        },
        {
            content: "Edit the document's line",
            trigger: ".o_field_widget[name=document_ids] .o_data_row td[name=stamp_placement]",
            run: "click",
        },
        {
            content: "The stamps go at a place on a page",
            trigger: ".o_field_widget[name=document_ids] .o_selected_row td[name=stamp_placement] select",
            run: 'select "page"',
        },
        {
            content: "Open the picker",
            trigger: ".o_field_widget[name=document_ids] .o_selected_row .o_esign_stamp_picker_open",
            run: "click",
        },
        {
            content: "The first page is drawn",
            trigger: ".o_esign_stamp_dialog .o_esign_stamp_sheet[data-rendered='1'] canvas",
            run: assertDrawn,
        },
        {
            content: "The viewer tells the page and the page count",
            trigger: ".o_esign_stamp_page_number:contains('1 / 2')",
        },
        {
            content: "Go to page 2",
            trigger: ".o_esign_stamp_dialog .o_esign_stamp_next:enabled",
            run: "click",
        },
        {
            content: "Page 2 is drawn",
            trigger: ".o_esign_stamp_dialog .o_esign_stamp_sheet[data-rendered='2'] canvas",
            run: assertDrawn,
        },
        {
            content: "The viewer tells page 2 of 2, the next page button is off",
            trigger: ".o_esign_stamp_page_number:contains('2 / 2'), .o_esign_stamp_next:disabled",
        },
        {
            content: "Move the pointer over the page",
            trigger: ".o_esign_stamp_dialog .o_esign_stamp_sheet.o_esign_stamp_pickable",
            run: () => pointerAt("pointermove", SPOT),
        },
        {
            content: "Three stamps (two signers and the seal) follow the pointer at their real size",
            trigger: ".o_esign_stamp_ghost .o_esign_stamp_box:nth-child(3):not(.o_esign_stamp_outside)",
            run() {
                const boxes = document.querySelectorAll(".o_esign_stamp_ghost .o_esign_stamp_box");
                if (boxes.length !== 3) {
                    throw new Error(`${boxes.length} stamps shown instead of 3`);
                }
                const page = sheet().getBoundingClientRect();
                const first = boxes[0].getBoundingClientRect();
                const expected = (page.width * STAMP_WIDTH) / A4_WIDTH;
                if (Math.abs(first.width - expected) > 2) {
                    throw new Error(`A stamp is ${first.width}px wide, not ${expected}px`);
                }
                const middle = first.left + first.width / 2 - page.left;
                if (Math.abs(middle - page.width * SPOT.x) > 2) {
                    throw new Error("The first stamp is not held by its middle");
                }
                if (!boxes[0].textContent.includes("Sophie Martin")) {
                    throw new Error("The first stamp is not the first signer's");
                }
            },
        },
        {
            content: "Click there",
            trigger: ".o_esign_stamp_dialog .o_esign_stamp_sheet",
            run: () => pointerAt("click", SPOT),
        },
        {
            content: "The stamps stay where they were put",
            trigger: ".o_esign_stamp_picked .o_esign_stamp_box:nth-child(3)",
        },
        {
            content: "The place is written out",
            trigger: ".o_esign_stamp_position:contains('Page 2')",
        },
        {
            content: "Use this place",
            trigger: ".o_esign_stamp_confirm:enabled",
            run: "click",
        },
        {
            content: "The line shows the page chosen",
            trigger:
                "body:not(:has(.o_esign_stamp_dialog)) .o_field_widget[name=document_ids] .o_esign_stamp_picker_page:contains('Page 2')",
        },
        {
            content: "Save the collection",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_saved",
        },
    ],
});

registry.category("web_tour.tours").add("esign_stamp_picker_readonly_tour", {
    steps: () => [
        {
            content: "Open the documents of the launched collection",
            trigger: ".o_notebook a.nav-link[name=documents]",
            run: "click",
        },
        {
            content: "See the place of the stamps",
            trigger: ".o_field_widget[name=document_ids] .o_esign_stamp_picker_open",
            run: "click",
        },
        {
            content: "The viewer opens on the stamps' page, the stamps drawn where they go",
            trigger:
                ".o_esign_stamp_sheet[data-rendered='2']:not(.o_esign_stamp_pickable) .o_esign_stamp_picked .o_esign_stamp_box:nth-child(3)",
            run: assertDrawn,
        },
        {
            content: "Nothing can be changed: no button to use another place",
            trigger: ".o_esign_stamp_dialog:not(:has(.o_esign_stamp_confirm)) .o_esign_stamp_discard",
            run: "click",
        },
        {
            content: "The viewer is closed",
            trigger: "body:not(:has(.o_esign_stamp_dialog)) .o_field_widget[name=document_ids]",
        },
    ],
});

registry.category("web_tour.tours").add("esign_stamp_picker_appended_tour", {
    steps: () => [
        {
            content: "Open the documents of the launched collection",
            trigger: ".o_notebook a.nav-link[name=documents]",
            run: "click",
        },
        {
            content: "See the place of the stamps",
            trigger: ".o_field_widget[name=document_ids] .o_esign_stamp_picker_open",
            run: "click",
        },
        {
            content: "The chosen page shows no stamp: they would have covered its text",
            trigger: ".o_esign_stamp_sheet[data-rendered='2']:not(:has(.o_esign_stamp_box))",
            run: assertDrawn,
        },
        {
            content: "The viewer tells where they went",
            trigger: ".o_esign_stamp_appended",
        },
        {
            content: "Close",
            trigger: ".o_esign_stamp_discard",
            run: "click",
        },
        {
            content: "The viewer is closed",
            trigger: "body:not(:has(.o_esign_stamp_dialog)) .o_field_widget[name=document_ids]",
        },
    ],
});

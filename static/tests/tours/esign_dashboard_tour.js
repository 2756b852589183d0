import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("esign_dashboard_tour", {
    url: "/odoo/action-engagement_letter_esign.esign_dashboard_action",
    steps: () => [
        {
            content: "The dashboard shows its six counters",
            trigger: ".o_esign_dashboard:has(.o_esign_tile:nth-child(1)) .o_esign_tile_ready",
        },
        {
            content: "Open the collections waiting for launch",
            trigger: ".o_esign_tile_ready",
            run: "click",
        },
        {
            content: "The filtered list of collections opens",
            trigger: ".o_last_breadcrumb_item:contains('Waiting for launch')",
        },
        {
            content: "Only the collection waiting for launch is listed",
            trigger: ".o_list_view .o_data_row:contains('Lettre prête') .o_field_cell[name=state]",
        },
        {
            content: "Create a collection from the list",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "Write its subject",
            trigger: ".o_field_widget[name=subject] input",
            run: "edit Lettre de mission tour",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "The collection got its reference",
            trigger: ".o_field_widget[name=name]:contains('COL/')",
        },
    ],
});

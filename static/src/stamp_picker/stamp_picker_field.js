import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { isBinarySize } from "@web/core/utils/binary";
import { useService } from "@web/core/utils/hooks";
import { standardFieldProps } from "@web/views/fields/standard_field_props";
import { StampPickerDialog } from "./stamp_picker_dialog";

/**
 * On a document's stamps page: the page, and a button that opens the document in a viewer where the
 * place of the stamps is picked (stamp_page, stamp_x and stamp_y are set together). The server's
 * checks stay the authority: a place it refuses is reported when the collection is saved.
 */
export class StampPickerField extends Component {
    static template = "engagement_letter_esign.StampPickerField";
    static props = { ...standardFieldProps };

    setup() {
        this.dialog = useService("dialog");
    }

    get record() {
        return this.props.record;
    }

    /** Frozen once the collection is launched; a line not in edition in a draft list stays pickable. */
    get readonly() {
        const state = this.record.model.root.data.state;
        return state ? !["draft", "ready"].includes(state) : this.props.readonly;
    }

    get buttonTitle() {
        return this.readonly ? _t("See the place") : _t("Choose the place");
    }

    get hasPdf() {
        return Boolean(this.record.data.original_pdf);
    }

    /** pdf.js's source: the bytes just uploaded, else the stored file. */
    get source() {
        const value = this.record.data.original_pdf;
        if (!isBinarySize(value) || !this.record.resId) {
            return { data: Uint8Array.from(atob(value), (char) => char.charCodeAt(0)) };
        }
        const query = new URLSearchParams({
            model: this.record.resModel,
            id: this.record.resId,
            field: "original_pdf",
        });
        return { url: `/web/content?${query}` };
    }

    /** One label per stamp, in the server's order: signers by signing order, then the seal. */
    get labels() {
        const signers = this.record.model.root.data.signer_ids?.records || [];
        const names = [...signers]
            .sort((a, b) => (a.data.signing_order || 0) - (b.data.signing_order || 0))
            .map((signer) => signer.data.name || signer.data.partner_id?.display_name || _t("Signer"));
        return [...names, _t("Firm's seal")];
    }

    /** Where the launch put the stamps (placements, signature page), or null before the launch. */
    get layout() {
        const stored = this.record.data.stamp_layout;
        if (!stored) {
            return null;
        }
        try {
            return JSON.parse(stored);
        } catch {
            return null;
        }
    }

    open() {
        const data = this.record.data;
        this.dialog.add(StampPickerDialog, {
            source: this.source,
            labels: this.labels,
            place: { page: data.stamp_page, x: data.stamp_x, y: data.stamp_y },
            readonly: this.readonly,
            layout: this.layout,
            onPick: (place) =>
                this.record.update({ stamp_page: place.page, stamp_x: place.x, stamp_y: place.y }),
        });
    }
}

registry.category("fields").add("esign_stamp_picker", {
    component: StampPickerField,
    displayName: _t("Stamps place picker"),
    supportedTypes: ["integer"],
    fieldDependencies: [
        { name: "original_pdf", type: "binary" },
        { name: "stamp_x", type: "float" },
        { name: "stamp_y", type: "float" },
        { name: "stamp_layout", type: "text" },
    ],
});

import { Component, onMounted, onWillStart, onWillUnmount, useRef, useState } from "@odoo/owl";
import { Dialog } from "@web/core/dialog/dialog";
import { _t } from "@web/core/l10n/translation";
import { formatFloat } from "@web/core/utils/numbers";
import { loadPDFJSAssets } from "@web/libs/pdfjs";
import { cornerAt, layStamps } from "./stamp_geometry";

/**
 * The document's pages drawn with pdf.js; the collection's stamps, at their real size, follow the
 * pointer and a click lays them there. The page, and the first stamp's lower-left corner in PDF
 * points, go back to the record through ``onPick`` when the preparer confirms.
 */
export class StampPickerDialog extends Component {
    static template = "engagement_letter_esign.StampPickerDialog";
    static components = { Dialog };
    static props = {
        close: Function,
        source: Object,
        labels: { type: Array, element: String },
        place: Object,
        readonly: Boolean,
        layout: { optional: true },
        onPick: { type: Function, optional: true },
    };

    setup() {
        this.canvasRef = useRef("canvas");
        this.sheetRef = useRef("sheet");
        this.state = useState({
            pageCount: 0,
            page: 0,
            rendered: 0,
            error: "",
            media: null,
            rotated: false,
            scale: 1,
            width: 0,
            height: 0,
            hover: null,
            picked: this.props.place.x || this.props.place.y ? { ...this.props.place } : null,
        });
        this.renderTask = null;
        onWillStart(async () => {
            await loadPDFJSAssets();
            const pdfjs = window.pdfjsLib;
            if (!pdfjs.GlobalWorkerOptions.workerSrc) {
                pdfjs.GlobalWorkerOptions.workerSrc = "/web/static/lib/pdfjs/build/pdf.worker.js";
            }
            try {
                this.pdf = await pdfjs.getDocument(this.props.source).promise;
            } catch {
                this.state.error = _t("The PDF cannot be shown.");
                return;
            }
            this.state.pageCount = this.pdf.numPages;
        });
        onMounted(() => {
            if (this.pdf) {
                const first = this.props.place.page || 1;
                this.showPage(Math.min(Math.max(first, 1), this.state.pageCount));
            }
        });
        onWillUnmount(() => {
            this.renderTask?.cancel();
            this.pdf?.destroy();
        });
    }

    get title() {
        return this.props.readonly ? _t("Place of the stamps") : _t("Choose the place of the stamps");
    }

    /** Room for the page in the dialog: the whole page in view, up to the dialog's width. */
    get room() {
        const width = Math.min(window.innerWidth - 64, 720);
        const height = Math.max(window.innerHeight - 270, 320);
        return { width, height };
    }

    async showPage(number) {
        this.state.page = number;
        this.state.hover = null;
        this.renderTask?.cancel();
        const page = await this.pdf.getPage(number);
        if (this.state.page !== number) {
            return;
        }
        const [x0, y0, x1, y1] = page.view;
        const room = this.room;
        const scale = Math.min(room.width / (x1 - x0), room.height / (y1 - y0));
        const viewport = page.getViewport({ scale });
        const ratio = window.devicePixelRatio || 1;
        const canvas = this.canvasRef.el;
        canvas.width = Math.floor(viewport.width * ratio);
        canvas.height = Math.floor(viewport.height * ratio);
        Object.assign(this.state, {
            media: { x0, y0, x1, y1 },
            rotated: Boolean(page.rotate % 360),
            scale,
            width: viewport.width,
            height: viewport.height,
        });
        this.viewport = viewport;
        this.renderTask = page.render({
            canvasContext: canvas.getContext("2d"),
            viewport,
            transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : null,
        });
        try {
            await this.renderTask.promise;
        } catch (error) {
            if (error?.name === "RenderingCancelledException") {
                return;
            }
            this.state.error = _t("The PDF cannot be shown.");
            return;
        }
        this.state.rendered = number;
    }

    previous() {
        if (this.state.page > 1) {
            this.showPage(this.state.page - 1);
        }
    }

    next() {
        if (this.state.page < this.state.pageCount) {
            this.showPage(this.state.page + 1);
        }
    }

    get canPick() {
        return !this.props.readonly && !this.state.rotated && this.state.rendered === this.state.page;
    }

    /** The first stamp's corner for a pointer event on the page, in PDF points. */
    cornerOf(ev) {
        const rect = this.sheetRef.el.getBoundingClientRect();
        const [px, py] = this.viewport.convertToPdfPoint(ev.clientX - rect.left, ev.clientY - rect.top);
        return cornerAt(px, py, this.state.media);
    }

    onPointerMove(ev) {
        if (this.canPick) {
            this.state.hover = this.cornerOf(ev);
        }
    }

    onPointerLeave() {
        this.state.hover = null;
    }

    onClick(ev) {
        if (this.canPick) {
            this.state.picked = { page: this.state.page, ...this.cornerOf(ev) };
        }
    }

    /** A box in PDF points as a CSS style on the page shown. */
    styleOf(box) {
        const { media, scale } = this.state;
        return [
            `left: ${(box.x0 - media.x0) * scale}px`,
            `top: ${(media.y1 - box.y1) * scale}px`,
            `width: ${(box.x1 - box.x0) * scale}px`,
            `height: ${(box.y1 - box.y0) * scale}px`,
        ].join("; ");
    }

    /** The stamps laid out from ``corner`` (the first stamp's lower-left corner). */
    boxes(corner) {
        const boxes = layStamps(this.props.labels.length, corner.x, corner.y, this.state.media);
        return boxes.map((box, index) => ({
            label: this.props.labels[index],
            outside: box.outside,
            style: this.styleOf(box),
        }));
    }

    get pickedHere() {
        const picked = this.state.picked;
        return picked && picked.page === this.state.page && this.state.media ? picked : null;
    }

    /**
     * The stamps shown fixed on the page: once launched, where the launch put them (the stored
     * layout); before, where the preparer clicked.
     */
    get fixedBoxes() {
        if (!this.state.media) {
            return [];
        }
        if (this.props.layout) {
            return this.props.layout.placements
                .map(([, page, [x0, y0, x1, y1]], index) => ({ page, box: { x0, y0, x1, y1 }, index }))
                .filter(({ page }) => page === this.state.page - 1)
                .map(({ box, index }) => ({
                    label: this.props.labels[index] || "",
                    outside: false,
                    style: this.styleOf(box),
                }));
        }
        return this.pickedHere ? this.boxes(this.pickedHere) : [];
    }

    /** Launched with their stamps on an appended signature page (they would have covered text). */
    get onSignaturePage() {
        return Boolean(this.props.layout?.signature_page);
    }

    get someOutside() {
        const shown = this.state.hover || (!this.props.layout && this.pickedHere);
        return Boolean(shown && this.boxes(shown).some((box) => box.outside));
    }

    get pickedText() {
        const picked = this.state.picked;
        if (!picked) {
            return "";
        }
        return _t("Page %(page)s, %(x)s pt from the left edge, %(y)s pt from the bottom edge", {
            page: picked.page,
            x: formatFloat(picked.x, { digits: [16, 1] }),
            y: formatFloat(picked.y, { digits: [16, 1] }),
        });
    }

    confirm() {
        this.props.onPick(this.state.picked);
        this.props.close();
    }
}

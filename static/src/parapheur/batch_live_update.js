import { Component, onMounted, onWillUnmount } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";

const POLL_DELAY = 5000;
const RUNNING_STATES = ["queued", "running"];

/**
 * Keeps a parapheur batch form up to date while the scheduled action signs it: the server sends
 * "esign_parapheur_batch_progress" on the signatory's bus channel after each chunk and at the end,
 * and the record is read again (state, progress, lines) without a manual reload. While the batch
 * is queued or running, it is also read again every few seconds, should a notification be missed
 * (bus disconnected, server without a websocket worker).
 */
export class EsignBatchLiveUpdate extends Component {
    static template = "engagement_letter_esign.EsignBatchLiveUpdate";
    static props = { ...standardWidgetProps };

    setup() {
        this.busService = useService("bus_service");
        this.onProgress = this.onProgress.bind(this);
        onMounted(() => {
            this.busService.subscribe("esign_parapheur_batch_progress", this.onProgress);
            this.busService.start();
            this.interval = setInterval(() => this.poll(), POLL_DELAY);
        });
        onWillUnmount(() => {
            clearInterval(this.interval);
            this.busService.unsubscribe("esign_parapheur_batch_progress", this.onProgress);
        });
    }

    get isRunning() {
        return RUNNING_STATES.includes(this.props.record.data.state);
    }

    async reload() {
        const record = this.props.record;
        if (!record.resId || record.dirty || this.loading) {
            return;
        }
        this.loading = true;
        try {
            await record.load();
        } finally {
            this.loading = false;
        }
    }

    async onProgress({ batch_ids }) {
        if ((batch_ids || []).includes(this.props.record.resId)) {
            await this.reload();
        }
    }

    async poll() {
        if (this.isRunning && document.visibilityState !== "hidden") {
            await this.reload();
        }
    }
}

registry.category("view_widgets").add("esign_batch_live_update", {
    component: EsignBatchLiveUpdate,
});

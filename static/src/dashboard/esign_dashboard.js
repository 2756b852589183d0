import { Component, onWillStart, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { Layout } from "@web/search/layout";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";

/** The six counters of the signature dashboard; each opens its filtered list. */
export class EsignDashboard extends Component {
    static template = "engagement_letter_esign.EsignDashboard";
    static components = { Layout };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.state = useState({ tiles: [] });
        onWillStart(() => this.load());
    }

    async load() {
        this.state.tiles = await this.orm.call("esign.collection", "get_dashboard_tiles", []);
    }

    async openTile(tile) {
        const action = await this.orm.call("esign.collection", "action_open_dashboard_tile", [tile.key]);
        await this.actionService.doAction(action);
    }

    async newCollection() {
        await this.actionService.doAction({
            type: "ir.actions.act_window",
            res_model: "esign.collection",
            views: [[false, "form"]],
            target: "current",
        });
    }
}

registry.category("actions").add("esign_dashboard", EsignDashboard);

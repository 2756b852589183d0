/**
 * The stamps' geometry of services/stamp_layout.py, in PDF points (origin bottom left): the size of
 * a stamp, the gap between two, and how page_layout() lines them up from the place chosen.
 * tests/test_stamp_picker.py checks that these numbers stay those of the server.
 */
export const STAMP_WIDTH = 170;
export const STAMP_HEIGHT = 84;
export const STAMP_GAP = 8;

function inside(box, media) {
    return box.x0 >= media.x0 && box.y0 >= media.y0 && box.x1 <= media.x1 && box.y1 <= media.y1;
}

/**
 * The box of each of ``count`` stamps whose first has its lower-left corner at (x, y) on a page of
 * media box ``media``: the next ones to its right, then in rows below, as the server lays them out.
 * ``outside`` marks a stamp that would not fit on the page.
 */
export function layStamps(count, x, y, media) {
    const boxes = [];
    let left = x;
    let bottom = y;
    for (let index = 0; index < count; index++) {
        let box = { x0: left, y0: bottom, x1: left + STAMP_WIDTH, y1: bottom + STAMP_HEIGHT };
        if (!inside(box, media)) {
            left = x;
            bottom -= STAMP_HEIGHT + STAMP_GAP;
            box = { x0: left, y0: bottom, x1: left + STAMP_WIDTH, y1: bottom + STAMP_HEIGHT };
        }
        boxes.push({ ...box, outside: !inside(box, media) });
        left += STAMP_WIDTH + STAMP_GAP;
    }
    return boxes;
}

/**
 * The lower-left corner of the first stamp held by its middle at the PDF point (px, py), kept inside
 * the page, rounded to a tenth of a point.
 */
export function cornerAt(px, py, media) {
    const low = (value) => Math.ceil(value * 10) / 10;
    const high = (value) => Math.floor(value * 10) / 10;
    const place = (value, min, max) => Math.min(Math.max(Math.round(value * 10) / 10, low(min)), high(max));
    return {
        x: place(px - STAMP_WIDTH / 2, media.x0, media.x1 - STAMP_WIDTH),
        y: place(py - STAMP_HEIGHT / 2, media.y0, media.y1 - STAMP_HEIGHT),
    };
}

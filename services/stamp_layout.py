"""Where the stamps of a document go: next to an anchor text, at a place chosen on a page, or on a
signature page appended to the document; never over the page's text. No ORM here.

The page's text is read with pdfminer.six, in PDF user space (points, origin bottom left), the
coordinates pyHanko's signature fields use.
"""

import io
import re
from dataclasses import dataclass

from pdfminer.converter import PDFPageAggregator
from pdfminer.layout import LAParams, LTAnno, LTChar, LTFigure, LTImage, LTTextLine
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdftypes import PDFException
from pdfminer.psparser import PSException
from pyhanko.pdf_utils import generic
from reportlab.pdfbase.pdfmetrics import stringWidth

STAMP_WIDTH = 170
STAMP_HEIGHT = 84
STAMP_GAP = 8
# Stamps keep this far from the page's edges, and this far from any text.
EDGE_MARGIN = 14
TEXT_CLEARANCE = 2
# How far from its anchor a stamp may land: rows below it, columns beside it.
SEARCH_ROWS = 3
SEARCH_COLUMNS = 4
TAG = re.compile(r"\{\{\s*signature\s*:\s*([\w.-]+)\s*\}\}", re.IGNORECASE)

MODES = ("anchor", "page", "appended")


class LayoutError(ValueError):
    """The stamps of a document cannot be placed; ``reason`` is one of REASONS."""

    REASONS = ("unreadable", "no_page", "outside", "too_many")

    def __init__(self, reason, detail=""):
        assert reason in self.REASONS
        super().__init__(reason, detail)
        self.reason = reason


@dataclass(frozen=True)
class Box:
    """A rectangle in PDF user space: lower-left (x0, y0), upper-right (x1, y1)."""

    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other, clearance=0.0):
        return (
            self.x0 < other.x1 + clearance
            and other.x0 < self.x1 + clearance
            and self.y0 < other.y1 + clearance
            and other.y0 < self.y1 + clearance
        )

    def inside(self, page, margin=0.0):
        return (
            self.x0 >= page.x0 + margin
            and self.y0 >= page.y0 + margin
            and self.x1 <= page.x1 - margin
            and self.y1 <= page.y1 - margin
        )

    def union(self, other):
        return Box(min(self.x0, other.x0), min(self.y0, other.y0), max(self.x1, other.x1), max(self.y1, other.y1))

    def rounded(self):
        return tuple(round(value, 2) for value in (self.x0, self.y0, self.x1, self.y1))


@dataclass(frozen=True)
class PageText:
    """One page: its media box, what must stay uncovered (text, images) and its lines of text.

    Each line is its text and one box per character (None for a space pdfminer inferred);
    ``{{signature:...}}`` tags are no obstacle: they mark where a stamp goes.
    """

    index: int
    media: Box
    rotated: bool
    obstacles: tuple
    lines: tuple


@dataclass(frozen=True)
class Slot:
    """A field to place: its name, and where to look for it (tag names first, then anchor texts)."""

    name: str
    tags: tuple = ()
    anchors: tuple = ()


@dataclass(frozen=True)
class Placement:
    name: str
    page: int
    box: Box


@dataclass(frozen=True)
class Layout:
    """Where every field goes; ``appended`` when they go on an appended signature page, ``free`` in
    free space of the pages; then ``fallback`` says why the mode asked failed ("no_anchor", "overlap")."""

    placements: tuple
    appended: bool = False
    fallback: str = ""
    free: bool = False


@dataclass(frozen=True)
class SignatureBlock:
    label: str
    frame: Box


@dataclass(frozen=True)
class SignaturePage:
    """The appended page: its index (the page count of the original), size and texts."""

    index: int
    media: Box
    title: str
    intro: tuple
    signers: tuple
    blocks: tuple


def _char_entries(line):
    entries = []
    for item in line:
        if isinstance(item, LTChar):
            box = Box(item.x0, item.y0, item.x1, item.y1)
            entries.extend((char, box) for char in item.get_text())
        elif isinstance(item, LTAnno):
            entries.extend((char, None) for char in item.get_text())
    return entries


def _line_obstacles(entries, text):
    """The boxes of a line's printed characters, tags left out, one box per run."""
    hidden = set()
    for match in TAG.finditer(text):
        hidden.update(range(match.start(), match.end()))
    boxes, current = [], None
    for position, (char, box) in enumerate(entries):
        if position in hidden or box is None or not char.strip():
            if position in hidden and current is not None:
                boxes.append(current)
                current = None
            continue
        current = box if current is None else current.union(box)
    if current is not None:
        boxes.append(current)
    return boxes


def _walk(container):
    """The lines of text and the images of a pdfminer layout, however deep."""
    for item in container:
        if isinstance(item, LTTextLine | LTImage):
            yield item
        elif isinstance(item, LTFigure) or hasattr(item, "__iter__"):
            yield from _walk(item)


def _layouts(data):
    """(media box, rotation, pdfminer page layout) of every page."""
    manager = PDFResourceManager(caching=True)
    device = PDFPageAggregator(manager, laparams=LAParams(all_texts=True))
    interpreter = PDFPageInterpreter(manager, device)
    for page in PDFPage.get_pages(io.BytesIO(data)):
        interpreter.process_page(page)
        yield page.mediabox, page.rotate, device.get_result()


def read_pages(data):
    """The text and images of every page of ``data``; raises LayoutError("unreadable")."""
    pages = []
    try:
        for index, (mediabox, rotate, page_layout) in enumerate(_layouts(data)):
            pages.append(_page_text(index, mediabox, rotate, page_layout))
    except (PDFException, PSException, ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
        raise LayoutError("unreadable", str(exc)) from exc
    if not pages:
        raise LayoutError("no_page")
    return tuple(pages)


def _page_text(index, mediabox, rotate, page_layout):
    # pdfminer moves the media box's origin to (0, 0): back to the page's own coordinates.
    x0, y0, x1, y1 = (float(value) for value in mediabox)
    shift_x, shift_y = min(x0, x1), min(y0, y1)

    def shifted(box):
        return Box(box.x0 + shift_x, box.y0 + shift_y, box.x1 + shift_x, box.y1 + shift_y)

    obstacles, lines = [], []
    for item in _walk(page_layout):
        if isinstance(item, LTImage):
            obstacles.append(shifted(Box(item.x0, item.y0, item.x1, item.y1)))
            continue
        entries = [(char, shifted(box) if box else None) for char, box in _char_entries(item)]
        text = "".join(char for char, _box in entries)
        if not text.strip():
            continue
        lines.append((text, tuple(box for _char, box in entries)))
        obstacles.extend(_line_obstacles(entries, text))
    return PageText(
        index=index,
        media=Box(shift_x, shift_y, max(x0, x1), max(y0, y1)),
        rotated=bool((rotate or 0) % 360),
        obstacles=tuple(obstacles),
        lines=tuple(lines),
    )


def page_media(data, page_number):
    """The media box of page ``page_number`` (from 1) of ``data``, or None when there is no such page
    or the file cannot be read (the launch checks tell)."""
    try:
        for number, page in enumerate(PDFPage.get_pages(io.BytesIO(data)), start=1):
            if number == page_number:
                x0, y0, x1, y1 = (float(value) for value in page.mediabox)
                return Box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
    except (PDFException, PSException, ValueError, TypeError, KeyError, AttributeError, IndexError):
        return None
    return None


def _pattern(words):
    return re.compile(r"\s+".join(re.escape(word) for word in words.split()), re.IGNORECASE)


def _span_box(boxes, start, end):
    found = [box for box in boxes[start:end] if box is not None]
    if not found:
        return None
    result = found[0]
    for box in found[1:]:
        result = result.union(box)
    return result


def _find(pages, pattern):
    """The last occurrence of ``pattern`` in the document (signature blocks close documents)."""
    for page in reversed(pages):
        if page.rotated:
            continue
        for text, boxes in reversed(page.lines):
            matches = list(pattern.finditer(text))
            if matches:
                box = _span_box(boxes, matches[-1].start(), matches[-1].end())
                if box is not None:
                    return page, box
    return None


def find_anchor(pages, slot):
    """(page, box, is_tag) of where ``slot`` should go, or None."""
    for tag in slot.tags:
        pattern = r"\{\{\s*signature\s*:\s*" + re.escape(tag) + r"\s*\}\}"
        found = _find(pages, re.compile(pattern, re.IGNORECASE))
        if found:
            return (*found, True)
    for anchor in slot.anchors:
        if anchor and anchor.strip():
            found = _find(pages, _pattern(anchor))
            if found:
                return (*found, False)
    return None


def _fits(box, page, taken):
    return (
        box.inside(page.media, EDGE_MARGIN)
        and not any(box.overlaps(obstacle, TEXT_CLEARANCE) for obstacle in page.obstacles)
        and not any(box.overlaps(other, STAMP_GAP / 2) for other in taken)
    )


def _stamp_at(left, top):
    return Box(left, top - STAMP_HEIGHT, left + STAMP_WIDTH, top)


def free_box_near(page, anchor, is_tag, taken=()):
    """The first free stamp-sized box just below ``anchor`` (at a tag: on it), then further down or
    to the right, then beside it; None when the neighbourhood is full."""
    top = min(anchor.y1 if is_tag else anchor.y0 - STAMP_GAP / 2, page.media.y1 - EDGE_MARGIN)
    left_edge = page.media.x0 + EDGE_MARGIN
    right_edge = page.media.x1 - EDGE_MARGIN - STAMP_WIDTH

    def left(x):
        return max(left_edge, min(x, right_edge))

    # At a tag, the stamp hangs from it, a little lower when the line above comes too close.
    candidates = [_stamp_at(left(anchor.x0), top - step * TEXT_CLEARANCE) for step in range(6)] if is_tag else []
    for row in range(SEARCH_ROWS):
        row_top = top - row * (STAMP_HEIGHT + STAMP_GAP)
        for column in range(SEARCH_COLUMNS):
            candidates.append(_stamp_at(left(anchor.x0 + column * (STAMP_WIDTH + STAMP_GAP)), row_top))
    candidates.append(_stamp_at(left(anchor.x1 + STAMP_GAP), anchor.y1))
    for box in candidates:
        if _fits(box, page, taken):
            return box
    return None


def anchor_layout(pages, slots):
    """Each slot next to its anchor; None and "no_anchor" or "overlap" when one cannot be placed."""
    placements = []
    for slot in slots:
        found = find_anchor(pages, slot)
        if found is None:
            return None, "no_anchor"
        page, anchor, is_tag = found
        taken = [p.box for p in placements if p.page == page.index]
        box = free_box_near(page, anchor, is_tag, taken)
        if box is None:
            return None, "overlap"
        placements.append(Placement(slot.name, page.index, box))
    return tuple(placements), ""


def free_layout(pages, slots):
    """Each slot in the first free stamp-sized place, from the last page backwards, from the bottom
    of a page upwards: for a document signed elsewhere, which can take no new page. None when full."""
    placements = []
    pending = list(slots)
    for page in reversed(pages):
        if page.rotated:
            continue
        media = page.media
        bottom = media.y0 + EDGE_MARGIN
        while pending and bottom + STAMP_HEIGHT <= media.y1 - EDGE_MARGIN:
            left = media.x0 + EDGE_MARGIN
            while pending and left + STAMP_WIDTH <= media.x1 - EDGE_MARGIN:
                box = Box(left, bottom, left + STAMP_WIDTH, bottom + STAMP_HEIGHT)
                if _fits(box, page, [p.box for p in placements if p.page == page.index]):
                    placements.append(Placement(pending.pop(0).name, page.index, box))
                    left += STAMP_WIDTH + STAMP_GAP
                else:
                    left += STAMP_GAP
            bottom += STAMP_GAP
        if not pending:
            order = {slot.name: number for number, slot in enumerate(slots)}
            return tuple(sorted(placements, key=lambda p: order[p.name]))
    return None


def check_position(pages, page_number, x, y):
    """Raise LayoutError when the stamp's lower-left corner (``x``, ``y``) on page ``page_number``
    (from 1) is not on the page or the stamp would not fit inside it."""
    if not 1 <= page_number <= len(pages):
        raise LayoutError("no_page", str(page_number))
    page = pages[page_number - 1]
    if page.rotated or not Box(x, y, x + STAMP_WIDTH, y + STAMP_HEIGHT).inside(page.media):
        raise LayoutError("outside", f"{x} {y}")
    return page


def page_layout(pages, slots, page_number, x, y):
    """The first stamp with its lower-left corner at (``x``, ``y``), the next ones to its right, then
    in rows below; None and "overlap" when one would cover the page's text."""
    page = check_position(pages, page_number, x, y)
    placements, left, bottom = [], x, y
    for slot in slots:
        box = Box(left, bottom, left + STAMP_WIDTH, bottom + STAMP_HEIGHT)
        if not box.inside(page.media, 0):
            left, bottom = x, bottom - STAMP_HEIGHT - STAMP_GAP
            box = Box(left, bottom, left + STAMP_WIDTH, bottom + STAMP_HEIGHT)
        taken = [p.box for p in placements]
        if (
            not box.inside(page.media)
            or any(box.overlaps(obstacle, TEXT_CLEARANCE) for obstacle in page.obstacles)
            or any(box.overlaps(other, STAMP_GAP / 2) for other in taken)
        ):
            return None, "overlap"
        placements.append(Placement(slot.name, page.index, box))
        left += STAMP_WIDTH + STAMP_GAP
    return tuple(placements), ""


# ----------------------------------------------------------------------
# The appended signature page
# ----------------------------------------------------------------------

PAGE_MARGIN = 50
TITLE_SIZE = 16
TEXT_SIZE = 10
LABEL_SIZE = 9
LINE = 14
FRAME_PADDING = 4


def wrap(text, width, size, font="Helvetica"):
    """``text`` cut into lines of at most ``width`` points in ``font`` (words longer than a line are cut)."""
    lines = []
    for paragraph in (text or "").split("\n"):
        current = ""
        for word in paragraph.split():
            while stringWidth(word, font, size) > width:
                cut = len(word)
                while cut > 1 and stringWidth(word[:cut], font, size) > width:
                    cut -= 1
                if current:
                    lines.append(current)
                    current = ""
                lines.append(word[:cut])
                word = word[cut:]
            candidate = f"{current} {word}".strip()
            if stringWidth(candidate, font, size) <= width:
                current = candidate
            else:
                lines.append(current)
                current = word
        lines.append(current)
    return lines


def signature_page(index, media, title, intro, signers, labels):
    """Lay the appended page out: title, intro, the list of signers, one framed block per label.

    Returns (SignaturePage, boxes) with one stamp box per label; raises LayoutError("too_many")
    when the blocks do not fit on one page.
    """
    width = media.x1 - media.x0
    text_width = width - 2 * PAGE_MARGIN
    intro_lines = tuple(line for paragraph in intro for line in wrap(paragraph, text_width, TEXT_SIZE))
    signer_lines = tuple(line for signer in signers for line in wrap(signer, text_width - 12, TEXT_SIZE))
    top = media.y1 - PAGE_MARGIN - TITLE_SIZE - 2 * LINE - LINE * (len(intro_lines) + len(signer_lines) + 1)
    columns = max(1, int((text_width + 2 * STAMP_GAP) // (STAMP_WIDTH + 2 * FRAME_PADDING + 3 * STAMP_GAP)))
    column_width = text_width / columns
    block_height = LINE + STAMP_HEIGHT + 2 * FRAME_PADDING + 2 * STAMP_GAP
    blocks, boxes = [], []
    for number, label in enumerate(labels):
        row, column = divmod(number, columns)
        block_top = top - row * block_height
        left = media.x0 + PAGE_MARGIN + column * column_width
        frame = Box(
            left,
            block_top - LINE - STAMP_HEIGHT - 2 * FRAME_PADDING,
            left + STAMP_WIDTH + 2 * FRAME_PADDING,
            block_top - LINE,
        )
        if frame.y0 < media.y0 + PAGE_MARGIN:
            raise LayoutError("too_many", str(len(labels)))
        label_line = wrap(label, column_width - STAMP_GAP, LABEL_SIZE, "Helvetica-Bold")[0]
        blocks.append(SignatureBlock(label_line, frame))
        boxes.append(
            Box(frame.x0 + FRAME_PADDING, frame.y0 + FRAME_PADDING, frame.x1 - FRAME_PADDING, frame.y1 - FRAME_PADDING)
        )
    page = SignaturePage(index, media, title, intro_lines, signer_lines, tuple(blocks))
    return page, boxes


def _pdf_string(text):
    raw = text.encode("latin-1", "replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _text(font, size, x, y, text):
    return b"BT /%s %g Tf %.2f %.2f Td %s Tj ET\n" % (font.encode(), size, x, y, _pdf_string(text))


def page_content(spec):
    """The content stream of the appended page (Helvetica, Latin-1 text)."""
    media = spec.media
    left = media.x0 + PAGE_MARGIN
    y = media.y1 - PAGE_MARGIN - TITLE_SIZE
    ops = [b"0 g\n", _text("F2", TITLE_SIZE, left, y, spec.title)]
    y -= 4
    ops.append(b"0.6 G 0.8 w %.2f %.2f m %.2f %.2f l S\n" % (left, y, media.x1 - PAGE_MARGIN, y))
    y -= 2 * LINE
    for line in spec.intro:
        ops.append(_text("F1", TEXT_SIZE, left, y, line))
        y -= LINE
    for line in spec.signers:
        ops.append(_text("F1", TEXT_SIZE, left + 12, y, line))
        y -= LINE
    for block in spec.blocks:
        frame = block.frame
        ops.append(_text("F2", LABEL_SIZE, frame.x0, frame.y1 + 4, block.label))
        ops.append(
            b"0.6 G 0.5 w [3 2] 0 d %.2f %.2f %.2f %.2f re S [] 0 d\n"
            % (frame.x0, frame.y0, frame.x1 - frame.x0, frame.y1 - frame.y0)
        )
    return b"".join(ops)


def append_signature_page(writer, spec):
    """Add the signature page ``spec`` at the end of the document open in pyHanko's ``writer``."""

    def font(name):
        return writer.add_object(
            generic.DictionaryObject(
                {
                    generic.pdf_name("/Type"): generic.pdf_name("/Font"),
                    generic.pdf_name("/Subtype"): generic.pdf_name("/Type1"),
                    generic.pdf_name("/BaseFont"): generic.pdf_name(name),
                    generic.pdf_name("/Encoding"): generic.pdf_name("/WinAnsiEncoding"),
                }
            )
        )

    media = spec.media
    content = writer.add_object(generic.StreamObject(stream_data=page_content(spec)))
    page = generic.DictionaryObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/Page"),
            generic.pdf_name("/MediaBox"): generic.ArrayObject(
                [generic.FloatObject(value) for value in (media.x0, media.y0, media.x1, media.y1)]
            ),
            generic.pdf_name("/Resources"): generic.DictionaryObject(
                {
                    generic.pdf_name("/Font"): generic.DictionaryObject(
                        {
                            generic.pdf_name("/F1"): font("/Helvetica"),
                            generic.pdf_name("/F2"): font("/Helvetica-Bold"),
                        }
                    )
                }
            ),
            generic.pdf_name("/Contents"): content,
        }
    )
    return writer.insert_page(page)

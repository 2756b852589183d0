"""What a visible signature shows: its words in the standard PDF fonts, the drawn signature above
them on an opaque white background, in a box of the stamp's size. No ORM here.
"""

import io
import unicodedata
from dataclasses import dataclass

from PIL import Image
from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.font.basic import SimpleFontEngineFactory
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.stamp import TextStampStyle

from . import stamp_layout

STAMP_WIDTH = stamp_layout.STAMP_WIDTH
STAMP_HEIGHT = stamp_layout.STAMP_HEIGHT
STAMP_FONT_SIZE = 7.5
STAMP_LEADING = 9
STAMP_PADDING = 4
STAMP_TEXT_LINES = 4
# The stamp's white background is drawn this many pixels per point: the drawn signature stays sharp.
STAMP_RESOLUTION = 3

# Common characters outside Latin-1 that have a plain look-alike (typographic quotes, dashes...).
LATIN_LOOKALIKES = str.maketrans(
    {
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u2013": "-",
        "\u2014": "-",
        "\u2011": "-",
        "\u2026": "...",
        "\u202f": " ",
        "€": "EUR",
        "Œ": "OE",
        "œ": "oe",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "\u0131": "i",
    }
)


def latin_text(text):
    """What the standard PDF fonts can show: Latin-1 kept, look-alikes for quotes and dashes, other
    letters without accents, the rest '?'."""
    result = []
    for char in (text or "").translate(LATIN_LOOKALIKES):
        try:
            char.encode("latin-1")
            result.append(char)
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            result.append(plain or "?")
    return "".join(result)


def stamp_lines(text):
    """The stamp text cut to the stamp's width, at most STAMP_TEXT_LINES lines (Latin-1): a long
    name is shortened, the first line (who) and the last (when) always stay."""
    width = STAMP_WIDTH - 2 * STAMP_PADDING
    lines = stamp_layout.wrap(latin_text(text), width, STAMP_FONT_SIZE)
    if len(lines) > STAMP_TEXT_LINES:
        middle = lines[1 : STAMP_TEXT_LINES - 1]
        middle[-1] = stamp_layout.wrap(middle[-1] + "...", width, STAMP_FONT_SIZE)[0]
        if not middle[-1].endswith("..."):
            middle[-1] = middle[-1][:-3] + "..."
        lines = [lines[0], *middle, lines[-1]]
    return "\n".join(lines)


def _text_area_height(lines):
    return max(3, lines.count("\n") + 1) * STAMP_LEADING + 2 * STAMP_PADDING


def _background(image_png, text_height):
    """The stamp's opaque white background, with the drawn signature above the text area: the page
    never shows through, and the drawing never runs into the words."""
    scale = STAMP_RESOLUTION
    canvas = Image.new("RGB", (STAMP_WIDTH * scale, STAMP_HEIGHT * scale), "white")
    if image_png:
        picture = Image.open(io.BytesIO(image_png)).convert("RGBA")
        room = ((STAMP_WIDTH - 2 * STAMP_PADDING) * scale, (STAMP_HEIGHT - text_height - 3) * scale)
        picture.thumbnail(room)
        left = (canvas.width - picture.width) // 2
        top = 3 * scale + (room[1] - picture.height) // 2
        canvas.paste(picture, (left, top), picture)
    return PdfImage(canvas)


@dataclass(frozen=True)
class Stamp:
    """The visible part of one signature: its words (who, when) and the signature drawn by the
    signer (image bytes), if any."""

    text: str
    image_png: bytes | None = None

    def __post_init__(self):
        if not isinstance(self.text, str) or not self.text.strip():
            raise ValueError("A stamp needs its text: who signs, and when.")
        if self.image_png is not None and not isinstance(self.image_png, bytes):
            raise TypeError("The drawn signature of a stamp is image bytes.")

    @property
    def lines(self):
        """The text as the stamp shows it (see stamp_lines)."""
        return stamp_lines(self.text)

    def style(self):
        """pyHanko's TextStampStyle of this stamp; its text goes in the ``text`` parameter."""
        return TextStampStyle(
            stamp_text="%(text)s",
            border_width=1,
            text_box_style=TextBoxStyle(
                font=SimpleFontEngineFactory("Helvetica", 0.5), font_size=STAMP_FONT_SIZE, leading=STAMP_LEADING
            ),
            inner_content_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MIN,
                y_align=layout.AxisAlignment.ALIGN_MIN,
                margins=layout.Margins.uniform(STAMP_PADDING),
            ),
            background=_background(self.image_png, _text_area_height(self.lines)),
            background_opacity=1.0,
            background_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MID,
                y_align=layout.AxisAlignment.ALIGN_MID,
                margins=layout.Margins.uniform(0),
                inner_content_scaling=layout.InnerScaling.STRETCH_FILL,
            ),
        )

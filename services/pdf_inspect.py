"""Decide from its bytes whether a file is a PDF the addon can sign."""

import hashlib
import io
from dataclasses import dataclass

from pyhanko.pdf_utils.reader import PdfFileReader

PDF_MAGIC = b"%PDF-"
# The PDF header may follow a little garbage (ISO 32000-1, 7.5.2 tolerates it in practice).
MAGIC_WINDOW = 1024


class PdfRejected(ValueError):
    """The file cannot be accepted; ``reason`` is one of REASONS."""

    REASONS = ("empty", "too_large", "not_pdf", "encrypted", "unreadable", "no_page")

    def __init__(self, reason, detail=""):
        assert reason in self.REASONS
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class PdfInfo:
    sha256: str
    size: int
    page_count: int


def sha256_hex(data):
    return hashlib.sha256(data or b"").hexdigest()


def inspect_pdf(data, max_size):
    """Return the facts the addon keeps about a PDF, or raise PdfRejected."""
    if not data:
        raise PdfRejected("empty")
    if len(data) > max_size:
        raise PdfRejected("too_large")
    if PDF_MAGIC not in data[:MAGIC_WINDOW]:
        raise PdfRejected("not_pdf")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        if reader.encrypted:
            raise PdfRejected("encrypted")
        page_count = int(reader.root["/Pages"]["/Count"])
        if page_count < 1:
            raise PdfRejected("no_page")
        # Reaching the last page proves the page tree is sound, not only the trailer.
        reader.find_page_for_modification(page_count - 1)
    except PdfRejected:
        raise
    except Exception as exc:
        raise PdfRejected("unreadable", str(exc)) from exc
    return PdfInfo(sha256=sha256_hex(data), size=len(data), page_count=page_count)

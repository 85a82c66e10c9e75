"""What kind of file an upload is, told by its first bytes and never by its name: the documents a
matter carries (the drafts of the rules, quotes, budgets) and the street office's decisions are
PDFs or images. Pure Python, no Django.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DocumentKind:
    key: str  # "pdf", "jpeg", "png", "webp"
    content_type: str
    extension: str
    label: str


PDF = DocumentKind("pdf", "application/pdf", ".pdf", "PDF")
JPEG = DocumentKind("jpeg", "image/jpeg", ".jpg", "JPG")
PNG = DocumentKind("png", "image/png", ".png", "PNG")
WEBP = DocumentKind("webp", "image/webp", ".webp", "WebP")

KINDS = {k.key: k for k in (PDF, JPEG, PNG, WEBP)}

#: How many leading bytes :func:`sniff` reads.
HEAD_BYTES = 16


def sniff(head: bytes) -> DocumentKind | None:
    """The kind of document whose file starts with ``head`` (at least 12 bytes), or None.

    A PDF starts with ``%PDF-`` (ISO 32000 §7.5.2), a PNG with its eight-byte signature, a JPEG
    with the SOI marker and a further marker (FF D8 FF), a WebP with ``RIFF····WEBP``.
    """
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None


def human_size(size: int) -> str:
    """A file size for people: "812 KB", "3.4 MB"."""
    if size < 1024 * 1024:
        return f"{max(1, -(-size // 1024))} KB"
    tenths = -(-size * 10 // (1024 * 1024))
    return f"{tenths // 10}.{tenths % 10} MB"

"""A small PDF writer of our own, for the one document the box prints: the sworn statement
of bike days. Text only (Helvetica, which every PDF reader has, in WinAnsi so French
accents come out right), A4, as many pages as the lines need.

Why not a library: the document is a title and some lines of text; a PDF of that is a few
hundred bytes of well-specified syntax (ISO 32000-1, 7.5 file structure, 9.6 simple fonts),
while a PDF library would be megabytes on a Pi Zero for features never used.
"""
from __future__ import annotations

A4 = (595, 842)           # points
MARGIN = 56
LINE = {"title": 20, "heading": 14, "text": 11, "small": 9}
LEADING = 1.45


def _escape(text: str) -> bytes:
    data = text.encode("cp1252", "replace")
    return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _wrap(text: str, size: int, width: float) -> list[str]:
    """Greedy wrap on an average Helvetica glyph width (half the size): good enough for
    plain sentences, never wider than the page."""
    per_line = max(10, int(width / (size * 0.5)))
    words, lines, current = text.split(), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > per_line:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return lines + ([current] if current else [""])


def document(blocks: list[tuple[str, str]]) -> bytes:
    """blocks: (style, text), style one of title, heading, text, small, or "space"."""
    pages, ops, y = [], [], A4[1] - MARGIN
    width = A4[0] - 2 * MARGIN
    for style, text in blocks:
        if style == "space":
            y -= 10
            continue
        size = LINE[style]
        font = "F2" if style in ("title", "heading") else "F1"
        for line in _wrap(text, size, width):
            if y - size < MARGIN:
                pages.append(ops)
                ops, y = [], A4[1] - MARGIN
            y -= size * LEADING
            ops.append(b"BT /%s %d Tf %d %d Td (%s) Tj ET" % (font.encode(), size, MARGIN,
                                                               int(y), _escape(line)))
    pages.append(ops)
    return _assemble(pages)


def _assemble(pages: list[list[bytes]]) -> bytes:
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")                     # filled once the pages object exists
    tree = add(b"")
    regular = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
                  b"/Encoding /WinAnsiEncoding >>")
    bold = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold "
               b"/Encoding /WinAnsiEncoding >>")
    kids = []
    for ops in pages:
        stream = b"\n".join(ops)
        content = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] /Contents %d 0 R "
                        b"/Resources << /Font << /F1 %d 0 R /F2 %d 0 R >> >> >>"
                        % (tree, A4[0], A4[1], content, regular, bold)))
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % tree
    objects[tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, catalog, xref)
    return bytes(out)

#!/usr/bin/python3
"""Writes the small sample documents of examples/documents/ (committed, so nothing needs to run
this unless they change): a real PDF, PNG and TIFF that a portal accepts by their content, and a
text file named .pdf that it must refuse. Standard library only.

Usage: /usr/bin/python3 scripts/make_documents.py [DIR]   (default: examples/documents)
"""

from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path


def pdf(lines: list[str]) -> bytes:
    """A one-page PDF 1.4 with `lines` of Helvetica text and a correct cross-reference table."""
    text = "BT /F1 11 Tf 72 740 Td 14 TL\n"
    for line in lines:
        text += "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") Tj T*\n"
    text += "ET\n"
    stream = text.encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream",
        b"<< /Title (Sample clinical notes) /Producer (provportal make_documents.py) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def png(width: int, height: int) -> bytes:
    """An 8-bit greyscale PNG with a diagonal gradient."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes((x + y) * 255 // (width + height) for x in range(width)) for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def tiff(width: int, height: int) -> bytes:
    """An uncompressed 8-bit greyscale little-endian TIFF."""
    pixels = bytes((x * 255 // width) for _ in range(height) for x in range(width))
    entries = [  # tag, type (3 SHORT, 4 LONG), count, value
        (256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
        (273, 4, 1, 0), (277, 3, 1, 1), (278, 4, 1, height), (279, 4, 1, len(pixels)),
    ]
    ifd_offset = 8
    ifd_size = 2 + 12 * len(entries) + 4
    data_offset = ifd_offset + ifd_size
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        if tag == 273:
            value = data_offset
        ifd += struct.pack("<HHI", tag, kind, count) + (struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value))
    ifd += struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", ifd_offset) + ifd + pixels


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "examples" / "documents"
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "clinical-notes.pdf": pdf([
            "Lakeshore Family Medicine - office visit notes (sample, synthetic)",
            "Low back pain radiating to the left leg for 8 weeks.",
            "Conservative treatment so far: NSAIDs; physical therapy not started.",
            "Plan: MRI lumbar spine without contrast to rule out disc herniation.",
        ]),
        "imaging-report.pdf": pdf([
            "Lakeshore Imaging - report of an earlier study (sample, synthetic)",
            "MRI brain without contrast: no acute intracranial abnormality.",
        ]),
        "medical-necessity-letter.pdf": pdf([
            "Letter of medical necessity (sample, synthetic)",
            "Genetic testing for hereditary breast and ovarian cancer is medically necessary:",
            "two first-degree relatives with breast cancer before age 50.",
        ]),
        "wound-photo.png": png(64, 48),
        "lab-result.tiff": tiff(32, 16),
        # Text with a .pdf name: the portal checks content, not names, so this must be refused.
        "not-really-a.pdf": b"This is a plain text file that only pretends to be a PDF by its name.\n",
    }
    for name, data in files.items():
        (out / name).write_bytes(data)
        print(f"{out / name} ({len(data)} bytes)")


if __name__ == "__main__":
    main()

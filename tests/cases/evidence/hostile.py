"""Hostile evidence files, made at test time (no binary blobs in the repository).

Each generator returns a small file that declares, or decodes to, far more than the portal is
willing to handle: pixel bombs, PDF filter chains and object-stream bombs, zip bombs in office
files, deeply nested XML and entity expansion, a PDF that is also a zip, and truncated files.
Used by tests/cases/evidence/test_hostile_files.py, the portal test and bench/hostile_files.py.
"""

import functools
import io
import os
import struct
import zipfile
import zlib

import pikepdf
from PIL import Image

MIB = 1024 * 1024


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _zeros_deflated(size: int, *, wbits: int = zlib.MAX_WBITS) -> bytes:
    """`size` zero bytes, deflated (zlib by default), without holding them."""
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(MIB)
    parts = []
    for _ in range(size // MIB):
        parts.append(packer.compress(block))
    parts.append(packer.compress(bytes(size % MIB)))
    parts.append(packer.flush())
    return b"".join(parts)


@functools.cache
def png_bomb(width: int = 12600, height: int = 12600) -> bytes:
    """A grey PNG declaring width x height pixels with a complete, tiny zlib stream of zeros
    (the issue's 12600x12600: 159 Mpx from a few hundred KB)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = _zeros_deflated(height * (width + 1))
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", raw) + _chunk(b"IEND", b"")


@functools.cache
def noise_png(width: int = 5000, height: int = 5000) -> bytes:
    """An honest RGB photo of random pixels, stored uncompressed: seconds of CPU to re-encode."""
    rows = b"".join(b"\x00" + os.urandom(width * 3) for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(rows, 0)) + _chunk(b"IEND", b"")


def _small(fmt: str, mode: str = "RGB", **options: object) -> bytes:
    out = io.BytesIO()
    Image.new(mode, (16, 16), "red").save(out, fmt, **options)
    return out.getvalue()


def jpeg_bomb(width: int = 65500, height: int = 65500) -> bytes:
    """A small JPEG whose start-of-frame header declares width x height."""
    data = bytearray(_small("JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def gif_bomb(width: int = 65535, height: int = 65535) -> bytes:
    """A small GIF whose logical screen is width x height."""
    data = bytearray(_small("GIF", "P"))
    data[6:10] = struct.pack("<HH", width, height)
    return bytes(data)


def webp_bomb(width: int = 16383, height: int = 16383) -> bytes:
    """A small WebP whose extended header (VP8X) declares a width x height canvas."""
    simple = _small("WEBP", lossless=True)
    assert simple[12:16] == b"VP8L"
    vp8x = b"VP8X" + struct.pack("<I", 10) + bytes(4) + (width - 1).to_bytes(3, "little")
    vp8x += (height - 1).to_bytes(3, "little")
    body = b"WEBP" + vp8x + simple[12:]
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _pdf_with_stream(data: bytes, filters: list[str]) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    stream = pikepdf.Stream(pdf, b"")
    stream.write(data, filter=[pikepdf.Name(name) for name in filters])
    pdf.pages[0].obj["/Contents"] = pdf.make_indirect(stream)
    pdf.docinfo["/Author"] = "KanariAuthor"
    out = io.BytesIO()
    pdf.save(out, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.none)
    return out.getvalue()


@functools.cache
def pdf_filter_chain(decoded: int = 256 * MIB, depth: int = 2) -> bytes:
    """A page whose content is `decoded` zero bytes deflated `depth` times ([/FlateDecode /FlateDecode])."""
    data = _zeros_deflated(decoded)
    for _ in range(depth - 1):
        data = zlib.compress(data, 9)
    return _pdf_with_stream(data, ["/FlateDecode"] * depth)


@functools.cache
def pdf_single_flate_bomb(decoded: int = 1024 * MIB) -> bytes:
    """One ordinary /FlateDecode stream of 1 MB that decodes to 1 GB: legal, and never decoded by us."""
    return _pdf_with_stream(_zeros_deflated(decoded), ["/FlateDecode"])


@functools.cache
def pdf_object_stream_bomb(decoded: int = 512 * MIB) -> bytes:
    """A PDF 1.5 whose catalog lives in an object stream that inflates to `decoded` bytes:
    a reader must decode the whole object stream to find the catalog."""
    objects = b"<</Type/Catalog/Pages 3 0 R>> <</Type/Pages/Kids[]/Count 0>> "
    index = b"2 0 3 29 "
    body = index + objects
    content = _zeros_deflated_after(body, decoded)
    first = len(index)
    out = bytearray(b"%PDF-1.5\n")
    offsets = {}
    offsets[1] = len(out)
    out += b"1 0 obj\n<</Type/ObjStm/N 2/First %d/Filter/FlateDecode/Length %d>>\nstream\n" % (first, len(content))
    out += content + b"\nendstream\nendobj\n"
    # The cross-reference stream: object 1 in the file, 2 and 3 inside object stream 1, 4 itself.
    offsets[4] = len(out)
    rows = [(0, 0, 65535), (1, offsets[1], 0), (2, 1, 0), (2, 1, 1), (1, offsets[4], 0)]
    table = b"".join(struct.pack(">BIH", *row) for row in rows)
    out += b"4 0 obj\n<</Type/XRef/Size 5/W[1 4 2]/Root 2 0 R/Length %d>>\nstream\n" % len(table)
    out += table + b"\nendstream\nendobj\n"
    out += b"startxref\n%d\n%%%%EOF\n" % offsets[4]
    return bytes(out)


def _zeros_deflated_after(prefix: bytes, size: int) -> bytes:
    packer = zlib.compressobj(9)
    parts = [packer.compress(prefix)]
    block = b" " * MIB
    for _ in range(size // MIB):
        parts.append(packer.compress(block))
    parts.append(packer.flush())
    return b"".join(parts)


_OOXML_MIMES = {
    "docx": ("word/document.xml", "<w:document/>"),
    "xlsx": ("xl/workbook.xml", "<workbook/>"),
    "pptx": ("ppt/presentation.xml", "<p:presentation/>"),
}
_ODF_MIMES = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
CORE_WITH_AUTHOR = (
    b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    b'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>KanariAuthor</dc:creator></cp:coreProperties>'
)


def office(extension: str, extra: list[tuple[str, bytes]] | None = None, *, stored: bool = False) -> bytes:
    """A minimal office file of the given kind (docx, xlsx, pptx, odt, ods, odp), with an author."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if extension in _ODF_MIMES:
            archive.writestr(zipfile.ZipInfo("mimetype"), _ODF_MIMES[extension])
            archive.writestr("content.xml", "<office:document-content/>")
            archive.writestr("meta.xml", "<meta><dc:creator>KanariAuthor</dc:creator></meta>")
        else:
            archive.writestr("[Content_Types].xml", "<Types/>")
            name, body = _OOXML_MIMES[extension]
            archive.writestr(name, body)
            archive.writestr("docProps/core.xml", CORE_WITH_AUTHOR)
        for name, content in extra or []:
            archive.writestr(name, content, zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    return out.getvalue()


@functools.cache
def zip_bomb(extension: str, member_size: int = 512 * MIB) -> bytes:
    """An office file with one member that inflates a thousandfold (zeros)."""
    folder = {"docx": "word/media", "xlsx": "xl/media", "pptx": "ppt/media"}.get(extension, "Pictures")
    member = f"{folder}/image1.bin"
    return office(extension, [(member, bytes(member_size))])


def lying_zip_bomb(extension: str = "docx") -> bytes:
    """An office file whose 64 MB member declares 1,000 bytes in both its headers."""
    member = "word/media/big.bin"
    data = bytearray(office(extension, [(member, bytes(64 * MIB))]))
    local = data.index(member.encode()) - 30
    central = data.index(member.encode(), local + 30 + len(member)) - 46
    assert data[local : local + 4] == b"PK\x03\x04" and data[central : central + 4] == b"PK\x01\x02"
    data[local + 22 : local + 26] = struct.pack("<I", 1000)
    data[central + 24 : central + 28] = struct.pack("<I", 1000)
    return bytes(data)


def nested_xml_office(extension: str = "docx", depth: int = 200_000) -> bytes:
    """An office file with an XML part nesting `depth` elements (stored, so no ratio check trips)."""
    xml = b"<a>" * depth + b"</a>" * depth
    name = "word/header1.xml" if extension not in _ODF_MIMES else "styles.xml"
    return office(extension, [(name, xml)], stored=True)


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (level, (b"&lol%d;" % (level - 1) if level > 1 else b"&lol;") * 10)
        for level in range(1, 10)
    )
    + b"]>\n<Properties>&lol9;</Properties>"
)


def billion_laughs_office(extension: str = "docx") -> bytes:
    """An office file whose custom properties and settings expand to 10^9 "lol" in an XML parser."""
    return office(extension, [("docProps/custom.xml", BILLION_LAUGHS), ("word/settings.xml", BILLION_LAUGHS)])


def pdf_zip_polyglot() -> bytes:
    """A PDF with an author, followed by a complete Word document with an author: both readers accept it."""
    out = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.docinfo["/Author"] = "KanariAuthor"
        pdf.save(out)
    return out.getvalue() + office("docx")


def ordinary(extension: str) -> bytes:
    """An ordinary file of each accepted cleanable type, to truncate."""
    images = {"jpg": ("JPEG", "RGB"), "png": ("PNG", "RGB"), "webp": ("WEBP", "RGB"), "gif": ("GIF", "P")}
    if extension in images:
        fmt, mode = images[extension]
        out = io.BytesIO()
        Image.frombytes(mode, (64, 64), bytes(range(256)) * 16 * (3 if mode == "RGB" else 1)).save(out, fmt)
        return out.getvalue()
    if extension == "pdf":
        out = io.BytesIO()
        with pikepdf.new() as pdf:
            pdf.add_blank_page()
            pdf.docinfo["/Author"] = "KanariAuthor"
            pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return out.getvalue()
    return office(extension)


CLEANABLE_EXTENSIONS = ("jpg", "png", "webp", "gif", "pdf", "docx", "xlsx", "pptx", "odt", "ods", "odp")

"""Remove identifying metadata from evidence before it is encrypted.

Photos carry GPS coordinates, the phone model and the time they were taken;
PDFs and office documents carry the author's name and organisation. Each
cleaner works in memory and returns the cleaned bytes, or says plainly that
the file could not be cleaned (the original is then kept as sent, and the
reporter is told). Nothing is ever reported clean that was not cleaned.
"""

import io
import zipfile
import zlib
from dataclasses import dataclass
from typing import Literal

import pikepdf
from PIL import Image, ImageOps, UnidentifiedImageError

from cases.evidence.sniff import FileKind

Outcome = Literal["cleaned", "not_cleaned", "no_metadata"]

# Pillow refuses images above this many pixels (decompression bombs).
Image.MAX_IMAGE_PIXELS = 80_000_000

_PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/gif": "GIF"}
_EMPTY_CORE = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    b'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>'
)
_EMPTY_APP = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"/>'
)
_EMPTY_CUSTOM = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"/>'
)
_EMPTY_ODF_META = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    b'office:version="1.2"><office:meta/></office:document-meta>'
)


@dataclass(frozen=True)
class Scrubbed:
    data: bytes
    outcome: Outcome
    # Message id of a caveat the reporter should read, e.g. what a cleaner cannot reach.
    caveat: str = ""


def _image(data: bytes, kind: FileKind) -> Scrubbed:
    with Image.open(io.BytesIO(data)) as image:
        # A multi-picture JPEG (MPO: phone photos with a depth or HDR gain map)
        # keeps only its primary picture; a real animation cannot be cleaned here.
        if getattr(image, "n_frames", 1) > 1 and kind.mime != "image/jpeg":
            return Scrubbed(data, "not_cleaned", "animated")
        image.seek(0)
        # Apply the EXIF orientation to the pixels, since the EXIF itself goes.
        upright = ImageOps.exif_transpose(image)
        # Copy pixels only: no EXIF, XMP, IPTC, ICC, comments or text chunks.
        clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())
        palette = upright.getpalette() if upright.mode == "P" else None
        if palette:
            clean.putpalette(palette)
        out = io.BytesIO()
        options: dict[str, object] = {"quality": 95} if kind.mime in ("image/jpeg", "image/webp") else {}
        clean.save(out, _PIL_FORMATS[kind.mime], **options)
    return Scrubbed(out.getvalue(), "cleaned")


def _pdf(data: bytes) -> Scrubbed:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if "/Info" in pdf.trailer:
            del pdf.trailer["/Info"]
        if "/Metadata" in pdf.Root:
            del pdf.Root["/Metadata"]
        if "/PieceInfo" in pdf.Root:
            del pdf.Root["/PieceInfo"]
        for page in pdf.pages:
            for key in ("/Metadata", "/PieceInfo"):
                if key in page.obj:
                    del page.obj[key]
        out = io.BytesIO()
        pdf.save(out, fix_metadata_version=False, deterministic_id=True)
    return Scrubbed(out.getvalue(), "cleaned", "pdf_content")


class _TooLarge(ValueError):
    """A zip that would expand beyond what we are willing to hold (a zip bomb)."""


MAX_UNZIPPED = 200 * 1024 * 1024
MAX_RATIO = 100


def _rewrite_zip(data: bytes, replacements: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        declared = sum(info.file_size for info in source.infolist())
        if declared > MAX_UNZIPPED or declared > MAX_RATIO * max(len(data), 1):
            raise _TooLarge()
        for info in source.infolist():
            content = replacements.get(info.filename)
            if content is None:
                content = source.read(info)
            # Fresh entries: no original timestamps, comments or extra fields.
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            target.writestr(entry, content)
    return out.getvalue()


def _ooxml(data: bytes) -> Scrubbed:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
    replacements = {
        name: content
        for name, content in (
            ("docProps/core.xml", _EMPTY_CORE),
            ("docProps/app.xml", _EMPTY_APP),
            ("docProps/custom.xml", _EMPTY_CUSTOM),
        )
        if name in names
    }
    return Scrubbed(_rewrite_zip(data, replacements), "cleaned", "office_content")


def _odf(data: bytes) -> Scrubbed:
    return Scrubbed(_rewrite_zip(data, {"meta.xml": _EMPTY_ODF_META}), "cleaned", "office_content")


def scrub(data: bytes, kind: FileKind) -> Scrubbed:
    """Cleaned bytes, or the original with `not_cleaned` when cleaning failed."""
    if kind.mime == "text/plain":
        return Scrubbed(data, "no_metadata")
    try:
        if kind.cleaner == "image":
            return _image(data, kind)
        if kind.cleaner == "pdf":
            return _pdf(data)
        if kind.cleaner == "ooxml":
            return _ooxml(data)
        if kind.cleaner == "odf":
            return _odf(data)
    except (
        OSError,
        ValueError,
        UnidentifiedImageError,
        Image.DecompressionBombError,
        pikepdf.PdfError,
        zipfile.BadZipFile,
        KeyError,
        EOFError,
        SyntaxError,
        RuntimeError,
        NotImplementedError,
        zlib.error,
    ):
        return Scrubbed(data, "not_cleaned", "damaged")
    return Scrubbed(data, "not_cleaned", "unsupported")

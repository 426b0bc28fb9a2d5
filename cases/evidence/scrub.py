"""Remove identifying metadata from evidence before it is encrypted.

Photos carry GPS coordinates, the phone model and the time they were taken;
PDFs and office documents carry the author's name and organisation. Each
cleaner works in memory and returns the cleaned bytes, or says plainly that
the file could not be cleaned (the original is then kept as sent, and the
reporter is told). Nothing is ever reported clean that was not cleaned.

Hostile files (decompression bombs) are refused by what they declare before
anything is decoded: an image's pixel count from its header, a PDF's chained
decode filters, an office zip's declared unpacked size. These checks run inside
the sandbox (cases/evidence/sandbox.py), whose memory, CPU and wall-time limits
are the hard stop for whatever they do not foresee.
"""

import io
import zipfile
import zlib
from dataclasses import dataclass
from typing import Literal

import pikepdf
from PIL import Image, ImageOps, UnidentifiedImageError

from cases.evidence.sandbox_limits import MAX_PIXELS
from cases.evidence.sniff import FileKind

Outcome = Literal["cleaned", "not_cleaned", "no_metadata"]

# Pillow's own check, at the same level (the sandbox's child makes its warning an error).
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

# Filters that expand their input; more than one in a chain is how a 2 KB PDF becomes 1 GB.
_EXPANDING_FILTERS = {"/FlateDecode", "/Fl", "/LZWDecode", "/LZW", "/RunLengthDecode", "/RL"}
MAX_FILTER_CHAIN = 2  # e.g. [/ASCII85Decode /FlateDecode], as some producers write

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
    # Why a hostile file was not cleaned (never shown, never stored): "pixels", "filter_chain",
    # "zip_size" (refused by what it declares), "memory", "cpu", "wall", "crashed" (stopped by
    # the sandbox), "unavailable" (no sandbox could be started).
    refusal: str = ""


class TooComplex(ValueError):
    """A file that declares more work than we are willing to do (a decompression bomb)."""

    def __init__(self, refusal: str) -> None:
        super().__init__(refusal)
        self.refusal = refusal


def _image(data: bytes, kind: FileKind, max_pixels: int) -> Scrubbed:
    with Image.open(io.BytesIO(data)) as image:
        # Image.open has read only the header: refuse a bomb before a single pixel is decoded.
        width, height = image.size
        if width * height > max_pixels:
            raise TooComplex("pixels")
        # A multi-picture JPEG (MPO: phone photos with a depth or HDR gain map)
        # keeps only its primary picture; a real animation cannot be cleaned here.
        if getattr(image, "n_frames", 1) > 1 and kind.mime != "image/jpeg":
            return Scrubbed(data, "not_cleaned", "animated")
        image.seek(0)
        # Apply the EXIF orientation to the pixels, since the EXIF itself goes (in place: one
        # decoded copy fewer to hold).
        image.load()
        ImageOps.exif_transpose(image, in_place=True)
        upright = image
        # Copy pixels only: no EXIF, XMP, IPTC, ICC, comments or text chunks.
        clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())
        palette = upright.getpalette() if upright.mode == "P" else None
        if palette:
            clean.putpalette(palette)
        out = io.BytesIO()
        options: dict[str, object] = {"quality": 95} if kind.mime in ("image/jpeg", "image/webp") else {}
        clean.save(out, _PIL_FORMATS[kind.mime], **options)
    return Scrubbed(out.getvalue(), "cleaned")


def _refuse_filter_chains(pdf: pikepdf.Pdf) -> None:
    """Refuse a stream whose filters expand more than once ([/FlateDecode /FlateDecode] ...)."""
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        filters = obj.get("/Filter")
        chain = list(filters) if isinstance(filters, pikepdf.Array) else [filters] if filters is not None else []
        names = [str(name) for name in chain]
        if len(names) > MAX_FILTER_CHAIN or sum(name in _EXPANDING_FILTERS for name in names) > 1:
            raise TooComplex("filter_chain")


def _pdf(data: bytes) -> Scrubbed:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        _refuse_filter_chains(pdf)
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
        # Streams are copied as they are, never decoded: removing metadata needs no content.
        pdf.save(
            out,
            fix_metadata_version=False,
            deterministic_id=True,
            stream_decode_level=pikepdf.StreamDecodeLevel.none,
        )
    return Scrubbed(out.getvalue(), "cleaned", "pdf_content")


MAX_UNZIPPED = 200 * 1024 * 1024
MAX_RATIO = 100
MAX_ZIP_ENTRIES = 20_000


def _rewrite_zip(data: bytes, replacements: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        declared = sum(info.file_size for info in source.infolist())
        if (
            declared > MAX_UNZIPPED
            or declared > MAX_RATIO * max(len(data), 1)
            or len(source.infolist()) > MAX_ZIP_ENTRIES
        ):
            raise TooComplex("zip_size")
        for info in source.infolist():
            content = replacements.get(info.filename)
            if content is None:
                # Never more than the entry declares: zipfile's read() would inflate the whole
                # stream of an entry that lies about its size before checking it.
                with source.open(info) as member:
                    content = member.read(info.file_size + 1)
                if len(content) != info.file_size:
                    raise zipfile.BadZipFile()
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


def scrub(data: bytes, kind: FileKind, *, max_pixels: int = MAX_PIXELS) -> Scrubbed:
    """Cleaned bytes, or the original with `not_cleaned` when cleaning failed.

    Runs the cleaner in this process: the portal calls it only through the sandbox
    (cases.evidence.sandbox.clean), which runs it in a confined child.
    """
    if kind.mime == "text/plain":
        return Scrubbed(data, "no_metadata")
    try:
        if kind.cleaner == "image":
            return _image(data, kind, max_pixels)
        if kind.cleaner == "pdf":
            return _pdf(data)
        if kind.cleaner == "ooxml":
            return _ooxml(data)
        if kind.cleaner == "odf":
            return _odf(data)
    except TooComplex as refused:
        return Scrubbed(data, "not_cleaned", "too_complex", refused.refusal)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return Scrubbed(data, "not_cleaned", "too_complex", "pixels")
    except MemoryError:
        return Scrubbed(data, "not_cleaned", "too_complex", "memory")
    except (
        OSError,
        ValueError,
        UnidentifiedImageError,
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

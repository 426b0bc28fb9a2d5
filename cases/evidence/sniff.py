"""Recognise an upload by its content against the allow-list.

The file name and the browser's Content-Type are never trusted: a file is
accepted only when its bytes are one of the formats below. The result names
the cleaner that can strip its metadata, if any.
"""

import io
import zipfile
import zlib
from dataclasses import dataclass

HEAD_BYTES = 4096


@dataclass(frozen=True)
class FileKind:
    mime: str
    extension: str
    cleaner: str | None  # "image", "pdf", "ooxml", "odf" or None (cannot be cleaned)
    label: str  # short English description, translated in templates


_OOXML = {
    "word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", "Word document"),
    "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "Excel spreadsheet"),
    "ppt/": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx", "PowerPoint file"),
}
_ODF = {
    b"application/vnd.oasis.opendocument.text": ("odt", "OpenDocument text"),
    b"application/vnd.oasis.opendocument.spreadsheet": ("ods", "OpenDocument spreadsheet"),
    b"application/vnd.oasis.opendocument.presentation": ("odp", "OpenDocument presentation"),
}
_ISO_BRANDS_HEIC = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_ISO_BRANDS_AUDIO = {b"M4A ", b"M4B ", b"3gp4", b"3gp5", b"3gp6", b"3ge6", b"isom", b"mp42"}


_ZIP_ERRORS = (
    zipfile.BadZipFile,
    ValueError,
    RuntimeError,
    NotImplementedError,
    zlib.error,
    OSError,
    KeyError,
    EOFError,
)


def _zip_kind(data: bytes) -> FileKind | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
        declared = b""
        if "mimetype" in names and archive.getinfo("mimetype").file_size <= 100:
            declared = archive.read("mimetype").strip()
    except _ZIP_ERRORS:  # damaged, encrypted or exotic: not something we accept
        return None
    if declared in _ODF:
        extension, label = _ODF[declared]
        return FileKind(declared.decode(), extension, "odf", label)
    if "[Content_Types].xml" in names:
        for prefix, (mime, extension, label) in _OOXML.items():
            if any(name.startswith(prefix) for name in names):
                return FileKind(mime, extension, "ooxml", label)
    return None


def _looks_like_text(data: bytes) -> bool:
    if not data or b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is fine.
        return error.start >= len(data) - 3 and error.reason == "unexpected end of data"
    return True


def sniff(head: bytes, whole: bytes | None = None) -> FileKind | None:
    """The kind of file whose first bytes are `head`, or None when not allowed.

    `whole` (the complete file) is needed only to tell zip-based office formats
    apart; without it a zip is refused.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return FileKind("image/jpeg", "jpg", "image", "JPEG image")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileKind("image/png", "png", "image", "PNG image")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return FileKind("image/webp", "webp", "image", "WebP image")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return FileKind("image/gif", "gif", "image", "GIF image")
    if head.startswith(b"%PDF-"):
        return FileKind("application/pdf", "pdf", "pdf", "PDF document")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _ISO_BRANDS_HEIC:
            return FileKind("image/heic", "heic", None, "HEIC photo")
        if brand in _ISO_BRANDS_AUDIO:
            return FileKind("audio/mp4", "m4a", None, "audio recording")
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(whole) if whole is not None else None
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return FileKind("application/x-ole-storage", "doc", None, "older Office document")
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return FileKind("audio/mpeg", "mp3", None, "audio recording")
    if head.startswith(b"OggS"):
        return FileKind("audio/ogg", "ogg", None, "audio recording")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return FileKind("audio/wav", "wav", None, "audio recording")
    if head.startswith(b"#!AMR"):
        return FileKind("audio/amr", "amr", None, "audio recording")
    if _looks_like_text(head):
        return FileKind("text/plain", "txt", None, "text file")
    return None

"""cases.evidence.sniff: files are recognised by their bytes against the allow-list, never by name."""

import io
import os
import zipfile

import pikepdf
import pytest
from PIL import Image

from cases.evidence.sniff import HEAD_BYTES, sniff

OOXML = {
    "docx": ("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": ("ppt/presentation.xml", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
}


def _image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (200, 30, 30)).save(out, fmt)
    return out.getvalue()


def _pdf() -> bytes:
    out = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(out)
    return out.getvalue()


def _zip(*entries: tuple[str, bytes], stored_first: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (name, content) in enumerate(entries):
            compression = zipfile.ZIP_STORED if stored_first and index == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(name, content, compress_type=compression)
    return out.getvalue()


def _ooxml(part: str) -> bytes:
    return _zip(("[Content_Types].xml", b"<Types/>"), ("_rels/.rels", b"<Relationships/>"), (part, b"<x/>"))


def _odf(mimetype: bytes) -> bytes:
    return _zip(
        ("mimetype", mimetype),
        ("content.xml", b"<office:document-content/>"),
        ("META-INF/manifest.xml", b"<manifest/>"),
        stored_first=True,
    )


@pytest.mark.parametrize(
    ("fmt", "mime", "extension"),
    [
        ("JPEG", "image/jpeg", "jpg"),
        ("PNG", "image/png", "png"),
        ("WEBP", "image/webp", "webp"),
        ("GIF", "image/gif", "gif"),
    ],
)
def test_images_are_recognised_and_cleanable(fmt: str, mime: str, extension: str) -> None:
    # given an image made by Pillow, when sniffed by its first bytes
    kind = sniff(_image(fmt)[:HEAD_BYTES])
    # then it is recognised, with the image cleaner
    assert kind is not None
    assert (kind.mime, kind.extension, kind.cleaner) == (mime, extension, "image")


def test_pdf_is_recognised_and_cleanable() -> None:
    kind = sniff(_pdf()[:HEAD_BYTES])
    assert kind is not None
    assert (kind.mime, kind.extension, kind.cleaner) == ("application/pdf", "pdf", "pdf")


@pytest.mark.parametrize("extension", sorted(OOXML))
def test_office_zip_is_recognised_only_with_the_whole_file(extension: str) -> None:
    # given a minimal Office zip
    part, mime = OOXML[extension]
    data = _ooxml(part)
    # when sniffed by its head alone, then it is refused: a zip could be anything
    assert sniff(data[:HEAD_BYTES]) is None
    # when sniffed with the whole file, then its content types and parts name it
    kind = sniff(data[:HEAD_BYTES], data)
    assert kind is not None
    assert (kind.mime, kind.extension, kind.cleaner) == (mime, extension, "ooxml")


@pytest.mark.parametrize(
    ("mimetype", "extension"),
    [
        (b"application/vnd.oasis.opendocument.text", "odt"),
        (b"application/vnd.oasis.opendocument.spreadsheet", "ods"),
        (b"application/vnd.oasis.opendocument.presentation", "odp"),
    ],
)
def test_opendocument_zip_is_recognised_by_its_mimetype_entry(mimetype: bytes, extension: str) -> None:
    data = _odf(mimetype)
    assert sniff(data[:HEAD_BYTES]) is None
    kind = sniff(data[:HEAD_BYTES], data)
    assert kind is not None
    assert (kind.mime, kind.extension, kind.cleaner) == (mimetype.decode(), extension, "odf")


@pytest.mark.parametrize(
    ("head", "mime", "extension"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "application/x-ole-storage", "doc"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x0a" + os.urandom(200), "audio/mpeg", "mp3"),
        (b"\xff\xfb\x90\x64" + bytes(200), "audio/mpeg", "mp3"),
        (b"OggS\x00\x02" + bytes(20) + b"\x01\x1evorbis", "audio/ogg", "ogg"),
        (b"RIFF\x24\x08\x00\x00WAVEfmt \x10\x00\x00\x00" + bytes(20), "audio/wav", "wav"),
        (b"#!AMR\n" + os.urandom(100), "audio/amr", "amr"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom" + bytes(8), "audio/mp4", "m4a"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(100), "image/heic", "heic"),
    ],
    ids=["ole", "mp3-id3", "mp3-frame", "ogg", "wav", "amr", "m4a", "heic"],
)
def test_formats_that_cannot_be_cleaned_are_recognised(head: bytes, mime: str, extension: str) -> None:
    # given the first bytes of an allowed format without a cleaner
    kind = sniff(head)
    # then it is recognised, and says it cannot be cleaned
    assert kind is not None
    assert (kind.mime, kind.extension, kind.cleaner) == (mime, extension, None)


def test_utf8_text_is_recognised() -> None:
    kind = sniff("Kepala dinas meminta uang pelicin Rp 5.000.000 — untuk izin usaha.\n".encode())
    assert kind is not None
    assert (kind.mime, kind.extension, kind.cleaner) == ("text/plain", "txt", None)


@pytest.mark.parametrize("keep", [1, 2], ids=["one-of-three-bytes", "two-of-three-bytes"])
def test_text_with_a_character_cut_at_the_end_of_the_sample_is_recognised(keep: int) -> None:
    # given Indonesian text whose sample ends inside a multi-byte character ("—", 3 bytes)
    text = ("Bendahara desa — Pak Sutrisno — memotong dana bantuan warga. " * 100).encode()
    dash = text.index("—".encode(), HEAD_BYTES - 80)
    head = text[: dash + keep]
    with pytest.raises(UnicodeDecodeError):
        head.decode("utf-8")
    # when sniffed, then it is still text
    kind = sniff(head)
    assert kind is not None
    assert kind.mime == "text/plain"


def test_text_with_an_emoji_cut_at_the_end_is_recognised() -> None:
    head = "Saksi melihat transfer 🙏".encode()[:-1]
    kind = sniff(head)
    assert kind is not None
    assert kind.mime == "text/plain"


def test_invalid_utf8_in_the_middle_is_refused() -> None:
    # given bytes that are not UTF-8 well before the end of the sample
    assert sniff(b"Laporan \xff\xfe dana desa yang dipotong setiap bulan oleh kepala desa") is None


def test_html_is_only_text() -> None:
    # given an HTML page (valid UTF-8 text)
    kind = sniff(b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>")
    # then it is accepted only as plain text (later served as a .txt download), never as HTML
    assert kind is not None
    assert (kind.mime, kind.extension) == ("text/plain", "txt")


def test_svg_is_only_text() -> None:
    kind = sniff(b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')
    assert kind is not None
    assert (kind.mime, kind.extension) == ("text/plain", "txt")


@pytest.mark.parametrize(
    "head",
    [
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(48),
        b"MZ" + bytes(62),
        b"\x7fELF\x02\x01\x01\x00" + bytes(56),
        b"",
        bytes(100),
        b"\x13\x37\x00\x42" + bytes(60),
    ],
    ids=["exe", "exe-zeros", "elf", "empty", "zeros", "binary-with-nul"],
)
def test_executables_and_binary_are_refused(head: bytes) -> None:
    assert sniff(head) is None


def test_random_binary_with_nul_bytes_is_refused() -> None:
    data = bytearray(os.urandom(HEAD_BYTES))
    data[0], data[1], data[100] = 0x13, 0x00, 0x00  # not an audio frame sync, and not text
    assert sniff(bytes(data)) is None


@pytest.mark.parametrize(
    "entries",
    [
        (("payload.exe", b"MZ" + bytes(60)),),
        (("readme.txt", b"hello"), ("word/document.xml", b"<x/>")),  # office folder, no content types
        (("[Content_Types].xml", b"<Types/>"), ("other/thing.xml", b"<x/>")),  # content types, no office part
        (("mimetype", b"application/x-msdownload"), ("content.xml", b"<x/>")),  # unknown ODF mimetype
    ],
    ids=["plain-zip", "no-content-types", "no-office-part", "unknown-mimetype"],
)
def test_zip_that_is_not_an_office_file_is_refused(entries: tuple[tuple[str, bytes], ...]) -> None:
    data = _zip(*entries)
    assert sniff(data[:HEAD_BYTES], data) is None


def test_broken_zip_is_refused() -> None:
    data = _ooxml("word/document.xml")
    assert sniff(data[:HEAD_BYTES], data[:40]) is None


def test_zip_with_a_corrupt_mimetype_entry_is_refused() -> None:
    # given an OpenDocument zip whose mimetype entry fails its CRC check
    data = bytearray(_odf(b"application/vnd.oasis.opendocument.text"))
    data[data.index(b"application/vnd")] ^= 1
    # when sniffed, then it is refused like any other file that is not allowed, without an exception
    assert sniff(bytes(data[:HEAD_BYTES]), bytes(data)) is None

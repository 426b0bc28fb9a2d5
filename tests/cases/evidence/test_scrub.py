"""cases.evidence.scrub: identifying metadata is removed, or the file is plainly reported as not cleaned."""

import io
import zipfile

import pikepdf
import pytest
from PIL import Image, PngImagePlugin

from cases.evidence.scrub import scrub
from cases.evidence.sniff import FileKind, sniff

CANARY = b"Kanari"
GPS = {1: "S", 2: (6.0, 58.0, 30.0), 3: "E", 4: (110.0, 24.0, 0.0)}  # Semarang
SIZE = (40, 20)


def _kind(data: bytes) -> FileKind:
    kind = sniff(data[:4096], data)
    assert kind is not None
    return kind


def _exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "KanariMaker"
    exif[0x8825] = GPS
    if orientation is not None:
        exif[0x0112] = orientation
    return exif


def _photo(fmt: str, orientation: int | None = None) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", SIZE, (180, 40, 40)).save(out, fmt, exif=_exif(orientation).tobytes())
    data = out.getvalue()
    assert CANARY in data  # the test input really carries the metadata
    return data


def _zip(entries: list[tuple[str, bytes]], *, stored_first: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for index, (name, content) in enumerate(entries):
            info = zipfile.ZipInfo(name, date_time=(2024, 3, 14, 9, 26, 53))
            info.compress_type = zipfile.ZIP_STORED if stored_first and index == 0 else zipfile.ZIP_DEFLATED
            info.comment = b"KanariComment"
            archive.writestr(info, content)
    return out.getvalue()


def _entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


# -- images --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_photo_loses_all_exif_including_gps(fmt: str) -> None:
    # given a photo with a camera maker and GPS coordinates in its EXIF
    data = _photo(fmt)
    # when scrubbed
    result = scrub(data, _kind(data))
    # then it is cleaned: no EXIF at all, the same pixel size, still the same format
    assert result.outcome == "cleaned"
    assert result.caveat == ""
    assert CANARY not in result.data
    with Image.open(io.BytesIO(result.data)) as image:
        assert image.format == fmt
        assert image.size == SIZE
        assert len(image.getexif()) == 0
        assert "exif" not in image.info


def test_photo_orientation_is_applied_to_the_pixels() -> None:
    # given a 40x20 JPEG whose EXIF says "rotate 90° clockwise to display"
    data = _photo("JPEG", orientation=6)
    # when scrubbed, then the pixels are rotated (the orientation tag itself is gone)
    result = scrub(data, _kind(data))
    assert result.outcome == "cleaned"
    with Image.open(io.BytesIO(result.data)) as image:
        assert image.size == (20, 40)
        assert len(image.getexif()) == 0


def test_png_text_chunks_are_removed() -> None:
    # given a PNG with tEXt and iTXt chunks naming its author
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "KanariAuthor")
    info.add_itxt("Comment", "KanariComment")
    out = io.BytesIO()
    Image.new("RGBA", SIZE, (0, 90, 0, 128)).save(out, "PNG", pnginfo=info)
    data = out.getvalue()
    assert CANARY in data
    # when scrubbed, then no text chunk survives and the pixels do
    result = scrub(data, _kind(data))
    assert result.outcome == "cleaned"
    assert CANARY not in result.data
    with Image.open(io.BytesIO(result.data)) as image:
        assert "Author" not in image.info
        assert image.mode == "RGBA"
        assert image.size == SIZE


def test_gif_comment_is_removed() -> None:
    out = io.BytesIO()
    Image.new("RGB", SIZE, "blue").convert("P").save(out, "GIF", comment=b"KanariComment")
    data = out.getvalue()
    assert CANARY in data
    result = scrub(data, _kind(data))
    assert result.outcome == "cleaned"
    assert CANARY not in result.data
    with Image.open(io.BytesIO(result.data)) as image:
        assert "comment" not in image.info
        assert image.size == SIZE


def test_animated_gif_is_not_cleaned_and_kept_as_sent() -> None:
    # given a two-frame GIF
    frames = [Image.new("RGB", SIZE, "red"), Image.new("RGB", SIZE, "blue")]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], comment=b"KanariComment")
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as image:
        assert image.n_frames == 2
    # when scrubbed, then it is honestly reported as not cleaned, and unchanged
    result = scrub(data, _kind(data))
    assert result.outcome == "not_cleaned"
    assert result.caveat == "animated"
    assert result.data == data


def test_multi_picture_jpeg_loses_its_gps() -> None:
    # given a JPEG with a second embedded picture (MPO), as many phone cameras write
    out = io.BytesIO()
    Image.new("RGB", SIZE, "red").save(
        out, "MPO", save_all=True, append_images=[Image.new("RGB", SIZE, "blue")], exif=_exif().tobytes()
    )
    data = out.getvalue()
    assert _kind(data).mime == "image/jpeg"
    # when scrubbed, then the photo itself is cleaned like any other JPEG
    result = scrub(data, _kind(data))
    assert result.outcome == "cleaned"
    assert CANARY not in result.data


def test_damaged_image_is_not_cleaned() -> None:
    data = _photo("PNG")[:60]
    result = scrub(data, _kind(data))
    assert result.outcome == "not_cleaned"
    assert result.caveat == "damaged"
    assert result.data == data


# -- PDF -----------------------------------------------------------------------


def _pdf_with_metadata() -> bytes:
    out = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.docinfo["/Author"] = "KanariAuthor"
        pdf.docinfo["/Producer"] = "KanariProducer"
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            meta["dc:creator"] = ["KanariCreator"]
        pdf.pages[0].obj["/PieceInfo"] = pikepdf.Dictionary(
            {"/Kanari": pikepdf.Dictionary({"/Private": pikepdf.String("KanariPiece")})}
        )
        pdf.save(out, compress_streams=False)
    data = out.getvalue()
    assert b"KanariAuthor" in data
    assert b"KanariCreator" in data
    return data


def test_pdf_loses_document_info_and_xmp() -> None:
    # given a PDF with an author in its document info and a creator in its XMP metadata
    data = _pdf_with_metadata()
    # when scrubbed
    result = scrub(data, _kind(data))
    # then it is cleaned (with the caveat about its content), and no trace of either is left
    assert result.outcome == "cleaned"
    assert result.caveat == "pdf_content"
    assert CANARY not in result.data
    with pikepdf.open(io.BytesIO(result.data)) as pdf:
        assert "/Info" not in pdf.trailer
        assert "/Metadata" not in pdf.Root
        assert "/PieceInfo" not in pdf.pages[0].obj
        assert len(pdf.pages) == 1


def test_damaged_pdf_is_not_cleaned_and_kept_as_sent() -> None:
    data = b"%PDF-1.4 garbage"
    result = scrub(data, _kind(data))
    assert result.outcome == "not_cleaned"
    assert result.caveat == "damaged"
    assert result.data == data


# -- office documents ----------------------------------------------------------

CORE = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    b'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>KanariAuthor</dc:creator>'
    b"<cp:lastModifiedBy>KanariAuthor</cp:lastModifiedBy></cp:coreProperties>"
)
APP = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    b"<Company>KanariCompany</Company></Properties>"
)
CUSTOM = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties">'
    b'<property name="Dept"><vt:lpwstr>KanariDept</vt:lpwstr></property></Properties>'
)
DOCX_BODY = [
    ("[Content_Types].xml", b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'),
    ("_rels/.rels", b"<Relationships/>"),
    ("word/document.xml", b"<w:document><w:body><w:p>Bukti setoran</w:p></w:body></w:document>"),
]


def test_docx_loses_core_app_and_custom_properties() -> None:
    # given a Word document whose properties name its author, company and department
    data = _zip([*DOCX_BODY, ("docProps/core.xml", CORE), ("docProps/app.xml", APP), ("docProps/custom.xml", CUSTOM)])
    # when scrubbed
    result = scrub(data, _kind(data))
    # then the properties are emptied, with the caveat that the content itself may still identify
    assert result.outcome == "cleaned"
    assert result.caveat == "office_content"
    assert CANARY not in result.data
    entries = _entries(result.data)
    for name in ("docProps/core.xml", "docProps/app.xml", "docProps/custom.xml"):
        assert CANARY not in entries[name]
    # and every other entry is unchanged, in the same order
    original = _entries(data)
    assert list(entries) == list(original)
    for name, content in DOCX_BODY:
        assert entries[name] == content
    # and the result is still recognised as a Word document
    assert _kind(result.data).extension == "docx"


def test_docx_entries_lose_timestamps_and_comments() -> None:
    data = _zip([*DOCX_BODY, ("docProps/core.xml", CORE)])
    result = scrub(data, _kind(data))
    with zipfile.ZipFile(io.BytesIO(result.data)) as archive:
        for info in archive.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.comment == b""


def test_docx_without_properties_gains_none() -> None:
    data = _zip(DOCX_BODY)
    result = scrub(data, _kind(data))
    assert result.outcome == "cleaned"
    assert list(_entries(result.data)) == [name for name, _ in DOCX_BODY]


def test_odt_loses_its_meta_and_keeps_mimetype_first_and_stored() -> None:
    # given an OpenDocument text whose meta.xml names its creator
    meta = (
        b'<?xml version="1.0" encoding="UTF-8"?><office:document-meta><office:meta>'
        b"<dc:creator>KanariAuthor</dc:creator><meta:initial-creator>KanariAuthor</meta:initial-creator>"
        b"</office:meta></office:document-meta>"
    )
    content = b"<office:document-content>Bukti</office:document-content>"
    data = _zip(
        [
            ("mimetype", b"application/vnd.oasis.opendocument.text"),
            ("content.xml", content),
            ("meta.xml", meta),
            ("META-INF/manifest.xml", b"<manifest/>"),
        ],
        stored_first=True,
    )
    # when scrubbed
    result = scrub(data, _kind(data))
    # then the creator is gone and the rest is kept
    assert result.outcome == "cleaned"
    assert result.caveat == "office_content"
    assert CANARY not in result.data
    entries = _entries(result.data)
    assert CANARY not in entries["meta.xml"]
    assert entries["content.xml"] == content
    # and "mimetype" is still the first entry, stored uncompressed, as ODF readers require
    with zipfile.ZipFile(io.BytesIO(result.data)) as archive:
        first = archive.infolist()[0]
        assert first.filename == "mimetype"
        assert first.compress_type == zipfile.ZIP_STORED
    assert result.data[30:38] == b"mimetype"
    assert _kind(result.data).extension == "odt"


def _damaged_docx(damage: str) -> bytes:
    data = _zip([*DOCX_BODY, ("word/styles.xml", b"<w:styles>" + b"gaya " * 400 + b"</w:styles>")])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        local = archive.getinfo("word/styles.xml").header_offset
    central = data.rindex(b"PK\x01\x02", 0, data.rindex(b"word/styles.xml"))
    damaged = bytearray(data)
    if damage == "encrypted":  # general purpose flag bit 0, in both headers
        damaged[local + 6] |= 1
        damaged[central + 8] |= 1
    elif damage == "unknown-method":  # compression method 99
        damaged[local + 8 : local + 10] = (99).to_bytes(2, "little")
        damaged[central + 10 : central + 12] = (99).to_bytes(2, "little")
    else:  # the first deflate block declares the reserved block type 3
        start = local + 30 + len("word/styles.xml")
        damaged[start] |= 0b110
    return bytes(damaged)


@pytest.mark.parametrize("damage", ["encrypted", "unknown-method", "corrupt-deflate"])
def test_damaged_docx_is_not_cleaned_and_kept_as_sent(damage: str) -> None:
    # given a Word document one of whose entries cannot be read
    data = _damaged_docx(damage)
    kind = _kind(data)
    assert kind.extension == "docx"
    # when scrubbed, then it is reported as damaged and kept as sent, without an exception
    result = scrub(data, kind)
    assert result.outcome == "not_cleaned"
    assert result.caveat == "damaged"
    assert result.data == data


# -- text ----------------------------------------------------------------------


def test_text_has_no_metadata_and_is_unchanged() -> None:
    data = "Kepala dinas meminta setoran — dicatat oleh Kanari.\n".encode()
    result = scrub(data, _kind(data))
    assert result.outcome == "no_metadata"
    assert result.data == data


def test_zip_bomb_is_not_expanded_and_kept_as_sent() -> None:
    # given a "document" whose one entry would expand a thousandfold
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (21 * 1024 * 1024))
    data = out.getvalue()
    kind = sniff(data[:4096], data)
    assert kind is not None and kind.cleaner == "ooxml"
    # when it is scrubbed, then it is refused by its declared size instead of being inflated
    result = scrub(data, kind)
    assert (result.outcome, result.caveat, result.refusal, result.data) == (
        "not_cleaned",
        "too_complex",
        "zip_size",
        data,
    )

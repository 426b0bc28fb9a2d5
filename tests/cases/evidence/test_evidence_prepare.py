"""cases.evidence.store.prepare_file and safe_name: what is accepted, cleaned, refused, and how it is named."""

import io
import os
import unicodedata
import zipfile

import pytest
from PIL import Image

from cases.evidence.errors import FileRefused
from cases.evidence.sniff import FileKind
from cases.evidence.store import MAX_NAME_CHARS, Limits, PreparedFile, Upload, prepare_file, safe_name

LIMITS = Limits()
JPEG = FileKind("image/jpeg", "jpg", "image", "JPEG image")
TEXT = FileKind("text/plain", "txt", None, "text file")
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x0a" + bytes(10)


class SizedStream(io.BytesIO):
    """An upload stream that reports its size, as the encrypted spool does."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.size = len(data)


def _upload(data: bytes, filename: str = "bukti.bin", *, too_large: bool = False) -> Upload:
    return Upload(filename=filename, stream=SizedStream(data), too_large=too_large)


def _read_all(prepared: PreparedFile, step: int = 1000) -> bytes:
    parts = []
    while part := prepared.reader.read(step):
        parts.append(part)
    return b"".join(parts)


def _refusal(upload: Upload, limits: Limits = LIMITS) -> str:
    with pytest.raises(FileRefused) as refused:
        prepare_file(upload, limits=limits)
    assert refused.value.filename == upload.filename
    return refused.value.reason


def _gps_jpeg(size: tuple[int, int] = (40, 20), *, noisy: bool = False) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "KanariMaker"
    exif[0x8825] = {1: "S", 2: (6.0, 58.0, 30.0), 3: "E", 4: (110.0, 24.0, 0.0)}
    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)) if noisy else Image.new("RGB", size, "red")
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


# -- refusals ------------------------------------------------------------------


def test_upload_flagged_too_large_is_refused() -> None:
    # given an upload the spool already found too large, then it is refused without being read
    upload = _upload(_gps_jpeg(), "foto.jpg", too_large=True)
    assert _refusal(upload) == "too_large"
    assert upload.stream.read() != b""  # untouched


def test_empty_upload_is_refused() -> None:
    assert _refusal(_upload(b"", "kosong.txt")) == "empty"


@pytest.mark.parametrize("data", [b"MZ" + bytes(500), b"\x7fELF\x02\x01\x01\x00" + bytes(500)], ids=["exe", "elf"])
def test_executable_is_refused_by_type(data: bytes) -> None:
    assert _refusal(_upload(data, "foto.jpg")) == "type"


def test_zip_that_is_not_an_office_file_is_refused_by_type() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("setup.exe", b"MZ" + bytes(100))
    assert _refusal(_upload(out.getvalue(), "laporan.docx")) == "type"


def test_cleanable_file_over_the_per_file_limit_is_refused() -> None:
    # given a JPEG larger than the per-file limit (cleanable files are read whole, so the limit is checked)
    data = _gps_jpeg((200, 200), noisy=True)
    assert _refusal(_upload(data, "foto.jpg"), Limits(file_bytes=len(data) - 1)) == "too_large"


def test_cleanable_file_exactly_at_the_limit_is_accepted() -> None:
    data = _gps_jpeg((200, 200), noisy=True)
    prepared = prepare_file(_upload(data, "foto.jpg"), limits=Limits(file_bytes=len(data)))
    assert prepared.outcome == "cleaned"


# -- accepted files --------------------------------------------------------------


def test_jpeg_with_gps_is_cleaned() -> None:
    # given a photo with GPS coordinates
    data = _gps_jpeg()
    # when prepared
    prepared = prepare_file(_upload(data, "IMG_20240314.jpg"), limits=LIMITS)
    # then it is recognised and cleaned, and its reader yields the GPS-free photo
    assert prepared.kind.mime == "image/jpeg"
    assert prepared.outcome == "cleaned"
    assert prepared.caveat == ""
    assert prepared.name == "IMG_20240314.jpg"
    cleaned = _read_all(prepared)
    assert len(cleaned) == prepared.size
    assert b"Kanari" not in cleaned
    with Image.open(io.BytesIO(cleaned)) as image:
        assert len(image.getexif()) == 0
        assert image.size == (40, 20)


def test_mp3_is_kept_as_sent_and_said_to_be_not_cleaned() -> None:
    # given an audio recording larger than the sniffed head
    data = MP3 + os.urandom(50_000)
    upload = _upload(data, "rekaman")
    # when prepared
    prepared = prepare_file(upload, limits=LIMITS)
    # then it is accepted as not cleaned, with the real extension and size
    assert prepared.kind.mime == "audio/mpeg"
    assert prepared.outcome == "not_cleaned"
    assert prepared.caveat == "unsupported"
    assert prepared.name == "rekaman.mp3"
    assert prepared.size == len(data)
    # and the reader yields exactly the original bytes: the sniffed head, then the rest
    assert _read_all(prepared, step=777) == data


def test_mp3_reader_supports_readinto() -> None:
    data = MP3 + os.urandom(10_000)
    prepared = prepare_file(_upload(data, "rekaman.mp3"), limits=LIMITS)
    buffer = bytearray(5)
    assert prepared.reader.readinto(buffer) == 5
    assert bytes(buffer) == data[:5]


def test_mp3_reader_reads_everything_at_once() -> None:
    # given a prepared file larger than the sniffed head
    data = MP3 + os.urandom(10_000)
    prepared = prepare_file(_upload(data, "rekaman.mp3"), limits=LIMITS)
    # when read with no size, then all of it comes back in one call
    assert prepared.reader.read() == data


def test_text_has_no_metadata_and_a_txt_name() -> None:
    data = b"<html><body>Bukti setoran</body></html>"
    prepared = prepare_file(_upload(data, "surat.html"), limits=LIMITS)
    assert prepared.kind.mime == "text/plain"
    assert prepared.outcome == "no_metadata"
    assert prepared.caveat == ""
    assert prepared.name == "surat.html.txt"
    assert _read_all(prepared) == data


def test_stream_without_a_size_is_a_programming_error() -> None:
    # given a non-cleanable upload whose stream cannot report its size
    upload = Upload(filename="rekaman.mp3", stream=io.BytesIO(MP3 + bytes(100)))
    with pytest.raises(ValueError, match="size"):
        prepare_file(upload, limits=LIMITS)


# -- safe_name -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("/home/budi/bukti.txt", "bukti.txt"),
        ("C:\\Users\\budi\\Desktop\\bukti.txt", "bukti.txt"),
        ("..\\..\\windows/system32\\catatan.txt", "catatan.txt"),
    ],
)
def test_safe_name_strips_directories(filename: str, expected: str) -> None:
    assert safe_name(filename, TEXT) == expected


def test_safe_name_strips_control_characters() -> None:
    assert safe_name("buk\x00ti\r\n\t\x1b[31m.txt", TEXT) == "bukti[31m.txt"


def test_safe_name_strips_the_right_to_left_override() -> None:
    # given a name that would display as "fotoexe.jpg" while ending in ".exe"
    name = safe_name("foto\u202egpj.exe", JPEG)
    # then the override is gone and the real extension is appended
    assert "\u202e" not in name
    assert name == "fotogpj.exe.jpg"


def test_safe_name_strips_invisible_format_characters() -> None:
    assert safe_name("bu\u200bkti\u2066.txt", TEXT) == "bukti.txt"


def test_safe_name_trims_long_names_then_adds_the_extension() -> None:
    # given a 300-character name, then the name is cut to 120 characters and the extension added back
    name = safe_name("a" * 300 + ".txt", TEXT)
    assert name == "a" * MAX_NAME_CHARS + ".txt"
    assert len(name) <= MAX_NAME_CHARS + len(".txt")


@pytest.mark.parametrize(
    ("filename", "kind", "expected"),
    [
        ("surat.html", TEXT, "surat.html.txt"),
        ("foto.JPG", JPEG, "foto.JPG"),
        ("foto.jpg", JPEG, "foto.jpg"),
        ("foto.png", JPEG, "foto.png.jpg"),
        ("foto", JPEG, "foto.jpg"),
        ("fotojpg", JPEG, "fotojpg.jpg"),
        ("catatan.txt.exe", TEXT, "catatan.txt.exe.txt"),
    ],
)
def test_safe_name_ends_with_the_real_extension(filename: str, kind: FileKind, expected: str) -> None:
    assert safe_name(filename, kind) == expected


@pytest.mark.parametrize("filename", ["", " ", "...", "/", "C:\\", "\u202e", "dir/ . "])
def test_safe_name_of_nothing_is_berkas(filename: str) -> None:
    assert safe_name(filename, JPEG) == "berkas.jpg"


def test_safe_name_keeps_unicode_letters_normalised() -> None:
    name = safe_name("Kwitansi Cafe\u0301 Señor.txt", TEXT)
    assert name == "Kwitansi Café Señor.txt"
    assert unicodedata.is_normalized("NFC", name)

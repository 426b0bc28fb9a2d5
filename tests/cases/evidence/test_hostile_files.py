"""The hostile-input corpus (tests/cases/evidence/hostile.py) through the sandbox and prepare_file.

Every file is answered with its report kept: the sandbox says why it was not cleaned
(refused by what it declares, or stopped by a limit), the file is kept exactly as sent
and marked not cleaned, as an uncleanable format is. Bounded time and memory are asserted
through the sandbox's own limits (its verdict), never by timing the test.
"""

import io
from collections.abc import Callable

import pikepdf
import pytest

from cases.evidence import sandbox
from cases.evidence.sandbox import SandboxPool
from cases.evidence.sandbox_limits import SandboxLimits
from cases.evidence.scrub import Scrubbed
from cases.evidence.sniff import FileKind, sniff
from cases.evidence.store import Limits, Upload, prepare_file
from tests.cases.evidence import hostile

# A child with less memory than the corpus's decoders would take without the defences.
LIMITS = SandboxLimits(memory_mb=384, cpu_seconds=10, wall_seconds=60, pool_size=1, jobs_per_child=20)


def _kind(data: bytes) -> FileKind:
    kind = sniff(data[:4096], data)
    assert kind is not None and kind.cleaner is not None
    return kind


def _clean(data: bytes, kind: FileKind | None = None) -> Scrubbed:
    return sandbox.clean(data, kind or _kind(data), limits=LIMITS)


def _kept_as_sent(result: Scrubbed, data: bytes) -> None:
    assert (result.outcome, result.caveat, result.data) == ("not_cleaned", "too_complex", data)


# -- pixel bombs: refused from the header, before a pixel is decoded ------------

PIXEL_BOMBS: dict[str, Callable[[], bytes]] = {
    "png-12600x12600": hostile.png_bomb,
    "jpeg-sof-65500x65500": hostile.jpeg_bomb,
    "gif-screen-65535x65535": hostile.gif_bomb,
    "webp-vp8x-16383x16383": hostile.webp_bomb,
}


@pytest.mark.parametrize("make", PIXEL_BOMBS.values(), ids=PIXEL_BOMBS.keys())
def test_pixel_bomb_is_refused_by_its_header_and_kept_as_sent(make: Callable[[], bytes]) -> None:
    # given an image whose header declares far more pixels than the cap
    data = make()
    assert _kind(data).cleaner == "image"
    # when it is cleaned, then it is refused for its pixels, not decoded, and kept as sent
    result = _clean(data)
    _kept_as_sent(result, data)
    assert result.refusal == "pixels"


def test_png_bomb_would_decode_within_the_memory_limit_without_the_header_check() -> None:
    # the PNG bomb is a real one: its pixels (159 Mpx, grey) fit into a 1 GiB child when the
    # cap is lifted, so what refuses it in the test above is the header check, not luck
    data = hostile.png_bomb()
    lifted = SandboxLimits(memory_mb=384, max_pixels=10**12, wall_seconds=60, cpu_seconds=10)
    result = sandbox.clean(data, _kind(data), limits=lifted)
    assert result.refusal in ("memory", "cpu", "wall")


# -- PDF -----------------------------------------------------------------------


def test_pdf_with_chained_flate_filters_is_refused_before_decoding() -> None:
    data = hostile.pdf_filter_chain()
    result = _clean(data)
    _kept_as_sent(result, data)
    assert result.refusal == "filter_chain"


def test_three_filters_in_a_chain_are_refused_even_with_one_flate() -> None:
    data = hostile._pdf_with_stream(b"00" * 10, ["/ASCIIHexDecode", "/ASCIIHexDecode", "/ASCIIHexDecode"])
    assert _clean(data).refusal == "filter_chain"


def test_ascii85_then_flate_is_an_ordinary_pdf_and_is_cleaned() -> None:
    # given [/ASCII85Decode /FlateDecode], as some producers write their streams
    import base64
    import zlib

    data = hostile._pdf_with_stream(base64.a85encode(zlib.compress(b"BT ET"), adobe=True)[2:], ["/A85", "/Fl"])
    # when cleaned, then it is cleaned: one expanding filter is not a bomb
    result = _clean(data)
    assert result.outcome == "cleaned" and b"KanariAuthor" not in result.data


def test_single_flate_stream_of_a_gigabyte_is_cleaned_without_decoding_it() -> None:
    # given a legal PDF whose 1 MB content stream inflates to 1 GB
    data = hostile.pdf_single_flate_bomb()
    # when cleaned in a child of 384 MB, then it is cleaned: streams are copied, never decoded
    result = _clean(data)
    assert result.outcome == "cleaned"
    assert b"KanariAuthor" not in result.data
    with pikepdf.open(io.BytesIO(result.data)) as pdf:
        assert "/Info" not in pdf.trailer
        assert pdf.pages[0].obj["/Contents"].read_raw_bytes() == hostile._zeros_deflated(1024 * hostile.MIB)


def test_object_stream_bomb_is_stopped_by_the_memory_limit_and_kept_as_sent() -> None:
    # given a PDF whose catalog hides in an object stream that inflates to 512 MB (qpdf must decode it)
    data = hostile.pdf_object_stream_bomb()
    # when cleaned in a child of 384 MB, then the allocation fails there, not in the worker
    result = _clean(data)
    _kept_as_sent(result, data)
    assert result.refusal == "memory"


def test_pdf_that_is_also_a_zip_is_cleaned_as_a_pdf_and_loses_the_zip() -> None:
    data = hostile.pdf_zip_polyglot()
    assert _kind(data).mime == "application/pdf"
    result = _clean(data)
    assert result.outcome == "cleaned"
    assert b"KanariAuthor" not in result.data and b"PK\x03\x04" not in result.data


# -- office files --------------------------------------------------------------


@pytest.mark.parametrize("extension", ["docx", "xlsx", "pptx", "odt", "ods", "odp"])
def test_office_zip_bomb_is_refused_by_its_declared_size(extension: str) -> None:
    data = hostile.zip_bomb(extension)
    assert _kind(data).extension == extension
    result = _clean(data)
    _kept_as_sent(result, data)
    assert result.refusal == "zip_size"


def test_zip_member_that_lies_about_its_size_is_not_inflated_past_it() -> None:
    # given a 64 MB member declaring 1,000 bytes: zipfile stops at the declared size and the
    # checksum fails, so the file is damaged (not cleaned, kept), never inflated
    data = hostile.lying_zip_bomb()
    result = _clean(data)
    assert (result.outcome, result.caveat, result.data) == ("not_cleaned", "damaged", data)


@pytest.mark.parametrize("make", [hostile.nested_xml_office, hostile.billion_laughs_office], ids=["nested", "laughs"])
def test_hostile_xml_in_an_office_file_is_never_parsed(make: Callable[[], bytes]) -> None:
    # given a Word document with 200,000 nested elements, or entities expanding to 10^9 "lol"
    data = make()
    # when cleaned, then it is cleaned as any document: no XML parser runs on an upload, the
    # parts are copied byte for byte (the properties, which we replace, are not read either)
    result = _clean(data)
    assert result.outcome == "cleaned"
    assert b"KanariAuthor" not in result.data
    assert len(result.data) < 2 * len(data) + 10_000


# -- truncated files of every cleanable type -----------------------------------


@pytest.mark.parametrize("extension", hostile.CLEANABLE_EXTENSIONS)
def test_truncated_file_is_kept_as_sent_and_not_cleaned(extension: str) -> None:
    whole = hostile.ordinary(extension)
    kind = _kind(whole)
    assert _clean(whole, kind).outcome == "cleaned"
    data = whole[: len(whole) // 2]
    result = _clean(data, kind)
    assert (result.outcome, result.data) == ("not_cleaned", data)


@pytest.mark.parametrize("extension", ["docx", "odt"])
def test_truncated_office_file_is_refused_by_type_at_upload(extension: str) -> None:
    # a zip without its central directory is no office file we can recognise: refused with a
    # message (the report's text is kept by the form), as before issue 17
    data = hostile.ordinary(extension)[:200]
    assert sniff(data[:4096], data) is None


# -- through prepare_file: the sandbox is really used ---------------------------


class _Sized(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.size = len(data)


def test_prepare_file_keeps_a_bomb_as_sent_marked_not_cleaned_through_the_sandbox() -> None:
    # given its own sandbox limits (a fresh pool), and the PDF bomb
    limits = Limits(sandbox=SandboxLimits(memory_mb=383, wall_seconds=60))
    data = hostile.pdf_object_stream_bomb()
    # when the upload is prepared
    prepared = prepare_file(Upload("bukti.pdf", _Sized(data)), limits=limits)
    # then the file is kept byte for byte, marked not cleaned, and a child did the work
    assert (prepared.outcome, prepared.caveat, prepared.reader.read()) == ("not_cleaned", "too_complex", data)
    assert sandbox.pool(limits.sandbox).started == 1
    assert sandbox.pool(limits.sandbox).peak_mb > 100  # the child, not this process, held the memory


def test_a_normal_photo_goes_through_one_reused_child() -> None:
    pool = SandboxPool(SandboxLimits(pool_size=1, jobs_per_child=3))
    photo = hostile.ordinary("jpg")
    try:
        results = [pool.clean(photo, _kind(photo)) for _ in range(5)]
    finally:
        pool.close()
    assert {result.outcome for result in results} == {"cleaned"}
    assert pool.started == 2  # replaced after 3 files

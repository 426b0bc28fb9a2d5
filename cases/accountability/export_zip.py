"""A ZIP written straight into a response stream, never to a file.

`zipfile` writes to an object without `seek`/`tell` by using data descriptors
after each member, so the archive can be produced piece by piece: each
member's bytes are yielded as soon as they are compressed, and nothing (not
the archive, not a temporary file) ever reaches the disk.
"""

import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ZipMember:
    path: str
    size: int  # a hint only: decides whether the member needs ZIP64 fields
    chunks: Callable[[], Iterator[bytes]]


class _Pipe:
    """Collects what `zipfile` writes until the generator hands it on. Not seekable on purpose."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes, /) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: the generator takes the bytes."""

    def close(self) -> None:
        """Nothing to close: `zipfile` only closes what it opened itself."""

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def stream_zip(members: list[ZipMember], *, modified: datetime) -> Iterator[bytes]:
    pipe = _Pipe()
    stamp = (max(modified.year, 1980), modified.month, modified.day, modified.hour, modified.minute, modified.second)
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member in members:
            info = zipfile.ZipInfo(member.path, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.file_size = member.size
            with archive.open(info, "w") as out:
                for chunk in member.chunks():
                    out.write(chunk)
                    if piece := pipe.take():
                        yield piece
            if piece := pipe.take():
                yield piece
    yield pipe.take()

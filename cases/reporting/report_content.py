"""The 5W2H report as one encrypted JSON document (KPK WBS practice).

This is the only shape report text takes between the form and the cipher;
it is serialised in memory and encrypted before anything touches the database.
"""

import json
from dataclasses import asdict, dataclass

from crypto.errors import CryptoError

FIELD_LIMITS = {
    "what": 20000,
    "who": 2000,
    "when": 500,
    "where": 1000,
    "how": 10000,
    "contact": 500,
}


@dataclass(frozen=True)
class ReportContent:
    what: str
    who: str = ""
    when: str = ""
    where: str = ""
    how: str = ""
    amount_rupiah: int | None = None
    contact: str = ""

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> "ReportContent":
        try:
            values = json.loads(data.decode("utf-8"))
            return cls(**values)
        except (ValueError, TypeError):
            raise CryptoError() from None

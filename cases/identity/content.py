"""What a reporter gives as their identity: name, NIP, unit, contact. Canonical JSON, sealed whole."""

import json
from dataclasses import asdict, dataclass

# Characters per field, stated on the form and enforced by the server.
LIMITS = {"name": 200, "nip": 40, "unit": 300, "contact": 500}


@dataclass(frozen=True)
class IdentityContent:
    name: str = ""
    nip: str = ""
    unit: str = ""
    contact: str = ""

    def __repr__(self) -> str:  # an identity must never reach a log line
        return "IdentityContent(...)"

    @property
    def empty(self) -> bool:
        return not any(value.strip() for value in asdict(self).values())

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True, ensure_ascii=False).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> "IdentityContent":
        fields = json.loads(data.decode("utf-8"))
        return cls(**{name: str(fields.get(name, "")) for name in LIMITS})

    def too_long(self) -> list[str]:
        """The fields over their limit."""
        return [name for name, limit in LIMITS.items() if len(getattr(self, name)) > limit]

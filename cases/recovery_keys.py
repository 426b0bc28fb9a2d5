"""Installing the organisation recovery key's public half."""

from sqlalchemy import update
from sqlalchemy.orm import Session

from crypto.recovery import new_master_secret, recovery_keypair

from . import audit
from .clock import utc_now
from .models import RecoveryKey


def generate_recovery_key(session: Session, *, actor_id: str | None = None) -> tuple[RecoveryKey, bytes]:
    """A new active recovery key; returns the master secret to show once and never store."""
    master = new_master_secret()
    keypair = recovery_keypair(master)
    session.execute(update(RecoveryKey).values(active=False))
    key = RecoveryKey(public_key=keypair.public, active=True, created_at=utc_now())
    session.add(key)
    session.flush()
    audit.record(session, action="recovery.generate", actor_id=actor_id, detail=f"key={key.id}")
    return key, master

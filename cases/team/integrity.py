"""What every admin must be told loudly: the database disagrees with what the installation trusts.

Gathers the roster's findings (cases.team.roster), the audit log's anchors
(cases.accountability.anchors) and the recovery key's check; the
review app shows them as a banner on every admin page and `roster verify`
prints them. Cheap per page: the verified roster is cached by its head.
"""

from sqlalchemy.orm import Session

from cases.accountability import anchors
from cases.reporting.errors import RecoveryKeyMissing
from cases.team import roster
from cases.team.grants import active_recovery_key, recovery_key_verified
from cases.team.roster import Finding


def findings(session: Session, *, fresh: bool = False) -> list[Finding]:
    found = roster.problems(session, fresh=fresh)
    found += [Finding("audit", "", problem) for problem in anchors.integrity_problems(session)]
    from cases.identity.keeping import unannounced_disclosures  # the identity room builds on this one

    found += [
        Finding(
            "identity",
            case_id,
            f"case {case_id}: its reporter's identity key is sealed to a reviewer with no custodian's "
            "decision in the audit log (written into the database); the reporter's page says so",
        )
        for case_id in unannounced_disclosures(session)
    ]
    try:
        key = active_recovery_key(session)
    except RecoveryKeyMissing:
        return found
    if not recovery_key_verified(session, key):
        found.append(
            Finding(
                "recovery",
                key.id,
                f"recovery key {key.id}: its fingerprint is not among the roots "
                "of trust; no case is sealed to it, so no report is accepted",
            )
        )
    return found

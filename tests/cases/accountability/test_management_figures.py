"""Management and dashboard figures only for readers, and only over the cases sealed to the viewer
(issue 16, point 2; the web side is tests/security/test_attack_figures.py)."""

from datetime import datetime

from sqlalchemy.orm import Session

from cases.accountability.figures import management_tables
from cases.models import Case
from cases.platform.config import Config
from cases.platform.seed import active_opds
from cases.team.grants import is_reader
from cases.team.membership import add_affiliation, disable_reviewer
from cases.triage.case_list import dashboard
from tests.domain import account, activated, approve, founder, submit_case

NOW = datetime(2030, 1, 1)


def test_only_approved_readers_in_the_signed_roster_see_figures(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given founders (one an admin who reads no cases), a pending account and an activated, unapproved one
    admin = founder(session, "admin", admin=True, reviewer=False)
    rina = founder(session, "rina")
    pending, _one_time = account(session, "tono", by=admin)
    budi = activated(session, "budi", by=admin)
    # then only the reader among them sees figures
    assert is_reader(session, rina.reviewer)
    assert not is_reader(session, admin.reviewer)
    assert not is_reader(session, pending)
    assert not is_reader(session, budi.reviewer)
    # when budi is approved by a key holder other than his creator, he does
    approve(session, approver=rina, reviewer=budi.reviewer)
    assert is_reader(session, budi.reviewer)
    # and an account a database writer marked approved, without the signed roster, does not
    carol = activated(session, "carol", by=admin)
    carol.reviewer.approved_at = NOW
    assert not is_reader(session, carol.reviewer)
    # and a disabled reader no longer does
    disable_reviewer(session, actor=admin.actor, reviewer=rina.reviewer)
    assert not is_reader(session, rina.reviewer)


def test_a_recused_readers_figures_do_not_count_the_units_cases(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given joko recused from unit X, rina not, and a case about Y
    admin = founder(session, "admin", admin=True)
    rina, joko = founder(session, "rina"), founder(session, "joko")
    x, y = active_opds(session)[:2]
    add_affiliation(session, actor=admin.actor, reviewer=joko.reviewer, opd_id=x.id, kind="member")
    submit_case(session, config, "tentang Y", y)

    def figures(holder_name: str) -> tuple[object, object]:
        viewer = {"rina": rina, "joko": joko}[holder_name].reviewer
        return (
            management_tables(session, viewer=viewer, first_response_hours=24, now=NOW),
            dashboard(session, viewer=viewer, now=NOW),
        )

    jokos, rinas = figures("joko"), figures("rina")
    # when a case about X arrives, overdue and assigned to rina
    about_x = session.get(Case, submit_case(session, config, "tentang X", x))
    assert about_x is not None
    about_x.assigned_to_id, about_x.next_due = rina.reviewer.id, datetime(2029, 1, 1)
    session.flush()
    # then joko's figures are exactly what they were, while rina's count it
    assert figures("joko") == jokos
    assert figures("rina") != rinas
    tables, board = figures("rina")
    assert [row[0] for row in tables["opd"].rows] == sorted([x.name, y.name])  # type: ignore[index]
    assert board.by_status["new"] == 2 and board.overdue == 2  # type: ignore[attr-defined]

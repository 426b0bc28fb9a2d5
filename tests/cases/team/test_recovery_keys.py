"""Recovery: k-of-n shares of the master secret, and re-sealing every case to a reviewer with it."""

import os
from itertools import combinations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.errors import DomainError
from cases.items import open_item
from cases.models import CaseItem, RecoveryKey, Reviewer
from cases.platform.config import Config
from cases.platform.seed import active_opds
from cases.reporting.errors import RecoveryKeyMissing
from cases.reporting.report_content import ReportContent
from cases.team.errors import RecoveryMismatch
from cases.team.grants import open_reviewer_key
from cases.team.membership import add_affiliation
from cases.team.recovery_keys import generate_recovery_key, recovery_fingerprint, reseal_with_recovery
from cases.team.trust import trust_of
from crypto.errors import CryptoError
from crypto.keys import KeyPair
from crypto.recovery import combine_shares, new_master_secret, parse_recovery_input, split_master_secret
from tests.domain import activated, as_actor, events, founder, grants_of, signing_of, submit_case

PASSPHRASE = "kopi tubruk di pasar johar pagi hari"
MASTER = bytes(range(32))


def _active(session: Session, username: str, *, approved: bool = True) -> tuple[Reviewer, KeyPair]:
    holder = founder(session, username, display_name=username.title()) if approved else activated(session, username)
    session.flush()
    return holder.reviewer, holder.keypair


def _reads(session: Session, reviewer: Reviewer, keys: KeyPair, case_id: str) -> str:
    case_key = open_reviewer_key(
        session,
        case_id=case_id,
        reviewer=reviewer,
        private_key=keys.private,
    )
    item = session.scalars(select(CaseItem).where(CaseItem.case_id == case_id, CaseItem.kind == "report")).one()
    return ReportContent.from_bytes(open_item(item, case_key)).what


def test_any_three_of_five_shares_rebuild_the_master_secret() -> None:
    # given a 3-of-5 split, when any three shares are combined (in any order), then the secret comes back
    shares = split_master_secret(MASTER, threshold=3, shares=5)
    assert len(shares) == 5 and len(set(shares)) == 5
    for chosen in combinations(shares, 3):
        assert combine_shares(list(reversed(chosen))) == MASTER


def test_two_shares_are_not_enough() -> None:
    # given a 3-of-5 split, when only two shares are combined, then CryptoError
    shares = split_master_secret(MASTER, threshold=3, shares=5)
    for chosen in combinations(shares, 2):
        with pytest.raises(CryptoError):
            combine_shares(list(chosen))


def test_shares_from_another_split_do_not_mix() -> None:
    # given two 3-of-5 splits (of another secret, and of the same secret again)
    shares = split_master_secret(MASTER, threshold=3, shares=5)
    for other in (
        split_master_secret(os.urandom(32), threshold=3, shares=5),
        split_master_secret(MASTER, threshold=3, shares=5),
    ):
        # when two shares of one are combined with one of the other, then CryptoError
        with pytest.raises(CryptoError):
            combine_shares([shares[0], shares[1], other[2]])


def test_mistyped_share_is_refused() -> None:
    # given three shares, one with a word changed (the checksum catches it), then CryptoError
    shares = split_master_secret(MASTER, threshold=3, shares=5)
    words = shares[2].split()
    words[5] = "academic" if words[5] != "academic" else "acid"
    with pytest.raises(CryptoError):
        combine_shares([shares[0], shares[1], " ".join(words)])


@pytest.mark.parametrize(("threshold", "count"), [(0, 5), (4, 3), (1, 3), (3, 17)])
def test_split_refuses_impossible_thresholds(threshold: int, count: int) -> None:
    # given a threshold that cannot work, when splitting, then ValueError
    with pytest.raises(ValueError):
        split_master_secret(MASTER, threshold=threshold, shares=count)


def test_parse_recovery_input_accepts_hex_in_groups() -> None:
    # given the master secret typed as hex in groups, upper case, across lines, then it is read back
    hex_text = MASTER.hex().upper()
    grouped = " ".join(hex_text[i : i + 4] for i in range(0, 64, 4))
    assert parse_recovery_input(grouped) == MASTER
    assert parse_recovery_input(f"  {hex_text[:32]}\n{hex_text[32:]}\n") == MASTER


def test_parse_recovery_input_accepts_shares_one_per_line() -> None:
    # given three shares, one per line, with blank lines and stray spaces, then the secret is rebuilt
    shares = split_master_secret(MASTER, threshold=3, shares=5)
    typed = f"\n{shares[4]}\n\n   {shares[0].replace(' ', '  ')}  \n{shares[2]}\n"
    assert parse_recovery_input(typed) == MASTER


@pytest.mark.parametrize("typed", ["", "not a share at all", MASTER.hex()[:-2], MASTER.hex() + "00"])
def test_parse_recovery_input_refuses_anything_else(typed: str) -> None:
    # given input that is neither 64 hex digits nor valid shares, then CryptoError
    with pytest.raises(CryptoError):
        parse_recovery_input(typed)


def test_shares_reseal_every_case_to_an_approved_reviewer(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given two cases sealed to rina, and joko approved later with no grants
    rina, rina_keys = _active(session, "rina")
    x, y = active_opds(session)[:2]
    cases = [submit_case(session, config, "tentang X", x), submit_case(session, config, "tentang Y", y)]
    joko, joko_keys = _active(session, "joko")
    assert grants_of(session, joko) == set()
    # when the master secret is rebuilt from three of five shares and used for joko
    shares = split_master_secret(recovery_secret, threshold=3, shares=5)
    master = parse_recovery_input("\n".join([shares[3], shares[1], shares[4]]))
    assert reseal_with_recovery(session, master_secret=master, reviewer=joko) == 4
    session.commit()
    # then joko holds both keys of both cases, and they open the reports
    assert grants_of(session, joko) == {(c, kind) for c in cases for kind in ("case", "team")}
    assert [_reads(session, joko, joko_keys, c) for c in cases] == ["tentang X", "tentang Y"]
    for case_id in cases:
        assert open_reviewer_key(
            session, case_id=case_id, reviewer=joko, private_key=joko_keys.private, key_kind="team"
        ) == open_reviewer_key(session, case_id=case_id, reviewer=rina, private_key=rina_keys.private, key_kind="team")
    # and the use and every grant are audited
    key = session.scalars(select(RecoveryKey)).one()
    assert [e.detail for e in events(session, "recovery.use")] == [f"key={key.id} for={joko.id}"]
    assert sorted((e.case_id, e.detail) for e in events(session, "grant.create")) == sorted(
        (c, f"kind={kind} to={joko.id} via=recovery") for c in cases for kind in ("case", "team")
    )


def test_reseal_skips_cases_the_reviewer_is_recused_from(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given cases about X and Y, and joko affiliated with X
    admin, _ = _active(session, "admin")
    x, y = active_opds(session)[:2]
    about_x, about_y = submit_case(session, config, "tentang X", x), submit_case(session, config, "tentang Y", y)
    joko, _ = _active(session, "joko")
    add_affiliation(
        session, actor=as_actor(admin, signing=signing_of(session, admin)), reviewer=joko, opd_id=x.id, kind="member"
    )
    admin_grants = grants_of(session, admin)
    # when the recovery key reseals for joko, then he gets only Y
    assert reseal_with_recovery(session, master_secret=recovery_secret, reviewer=joko) == 2
    assert grants_of(session, joko) == {(about_y, "case"), (about_y, "team")}
    assert (about_x, "case") in admin_grants


def test_reseal_adds_only_missing_grants(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given joko holding one case already, and a second case he lacks
    joko, _ = _active(session, "joko")
    opd = active_opds(session)[0]
    submit_case(session, config, "satu", opd)
    joko.approved_at = None
    later = submit_case(session, config, "dua", opd)
    joko.approved_at = joko.activated_at
    # when resealed twice, then only the missing two grants are created, and nothing the second time
    assert reseal_with_recovery(session, master_secret=recovery_secret, reviewer=joko) == 2
    assert reseal_with_recovery(session, master_secret=recovery_secret, reviewer=joko) == 0
    assert {kind for case_id, kind in grants_of(session, joko) if case_id == later} == {"case", "team"}


def test_reseal_refuses_an_unapproved_reviewer(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given a case and joko activated but not approved
    submit_case(session, config, "ada kasus", active_opds(session)[0])
    joko, _ = _active(session, "joko", approved=False)
    # when the recovery key is used for him, then it is refused (four eyes) and nothing is sealed
    with pytest.raises(DomainError) as refused:
        reseal_with_recovery(session, master_secret=recovery_secret, reviewer=joko)
    assert not isinstance(refused.value, RecoveryMismatch)
    assert grants_of(session, joko) == set() and events(session, "recovery.use") == []


def test_reseal_refuses_a_secret_of_no_installed_key(session: Session, config: Config, recovery_secret: bytes) -> None:
    # given a case and an approved reviewer, when another master secret is used, then RecoveryMismatch
    submit_case(session, config, "ada kasus", active_opds(session)[0])
    joko, _ = _active(session, "joko")
    with pytest.raises(RecoveryMismatch):
        reseal_with_recovery(session, master_secret=os.urandom(32), reviewer=joko)
    assert grants_of(session, joko) == set() and events(session, "recovery.use") == []


def test_a_replaced_recovery_key_still_opens_the_cases_sealed_to_it(
    session: Session, config: Config, recovery_secret: bytes
) -> None:
    # given a case sealed under the first key, then a new key installed and a case sealed under it
    opd = active_opds(session)[0]
    old_case = submit_case(session, config, "lama", opd)
    new_key, new_master = generate_recovery_key(session)
    # a case is sealed to the new key only once the ceremony puts it among the roots of trust
    with pytest.raises(RecoveryKeyMissing):
        submit_case(session, config, "belum", opd)
    session.rollback()
    new_key, new_master = generate_recovery_key(session)
    trust_of(session).add_roots(recovery=[recovery_fingerprint(new_key)])
    new_case = submit_case(session, config, "baru", opd)
    joko, joko_keys = _active(session, "joko")
    # when each master secret is used, then each reseals the cases sealed to its own key
    assert reseal_with_recovery(session, master_secret=new_master, reviewer=joko) == 2
    assert {c for c, _ in grants_of(session, joko)} == {new_case}
    assert reseal_with_recovery(session, master_secret=recovery_secret, reviewer=joko) == 2
    assert _reads(session, joko, joko_keys, old_case) == "lama"


def test_typing_every_share_one_has_still_rebuilds_the_secret() -> None:
    # given a 3-of-5 split, when all five (and a repeat) are typed in, then the secret comes back
    master = new_master_secret()
    shares = split_master_secret(master, threshold=3, shares=5)
    assert combine_shares(shares + shares[:1]) == master

"""Dating a report by its neighbours (issue 16, point 1; DESIGN.md §3, the time rule).

The attacker holds a copy of the database and no key: the SQLite file as it lies on disk
(with its write-ahead log), or what `pg_dump` writes for PostgreSQL (every table in physical
order). They know the code. They read every plaintext time, the physical order of every
table, the order of the audit chain, and the links the schema shows: items numbered within a
case, the audit event every team item and every re-grant comes with, a reviewer's newest
session and their newest login, a lock and the failed login that set it, the TOTP step of the
last code. From these they bracket each row a reporter's action wrote: the latest time known
to be before it, the earliest known to be after it.

The promise: no bracket they can build is narrower than an hour, and no plaintext time
anywhere in the copy is finer than the hour. A bracket that does not hold the true time (the
physical order misled them, as it should) counts as no bracket. Before issue 16 the file dated
a report to the second: its report item's rowid lay between a team note audited at one second
and a team message audited a few seconds later.

Class of finding: SecureDrop's and GlobaLeaks' "metadata timestamps" (server-side submission
times) — here through neighbours rather than the row's own time.
"""

import contextlib
import re
import shutil
import sqlite3
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session

import cases.accountability.anchors
import cases.accountability.audit
import cases.evidence.store
import cases.items
import cases.platform.clock
import cases.reporting.conversation
import cases.reporting.submission
import cases.reporting.visits
import cases.team.accounts
import cases.team.grants
import cases.team.login
import cases.team.login_throttle
import cases.team.membership
import cases.team.notifications
import cases.team.recovery_keys
import cases.team.second_factor
import cases.team.sessions
import cases.triage.reading
import cases.triage.workflow
from cases.evidence.store import Limits, Upload, prepare_file
from cases.models import Base
from cases.platform.backup import backup_sqlite
from cases.platform.config import Config
from cases.platform.db import make_session_factory
from cases.reporting.conversation import reporter_adds, team_replies
from cases.reporting.report_content import ReportContent
from cases.reporting.visits import resume_reporter_session, start_reporter_session
from cases.team import login
from cases.team.actor import Actor
from cases.team.errors import AccountLocked, LoginFailed
from cases.team.login_throttle import lock_after
from cases.team.second_factor import finish_enrolment, start_enrolment
from cases.team.sessions import find_session
from cases.triage.reading import read_case
from cases.triage.workflow import add_note, change_status
from crypto.totp import current_code
from tests.domain import CHEAP_KDF, PASSPHRASE, SERVER_SECRET, founder, report

HOUR = timedelta(hours=1)
SLACK = timedelta(seconds=1)  # a row and the audit event of the same request are written within a second
IDLE, ABSOLUTE = timedelta(minutes=30), timedelta(hours=12)
REPORTER_TABLES = (
    "case",
    "case_item",
    "attachment",
    "attachment_chunk",
    "key_grant",
    "reporter_session",
    "case_link",  # issue 20, point 4: a retaliation report's link to the report it follows
)
# The row's own time of creation, where its table has one.
CREATED = {
    "case": "received_at",
    "case_item": "created_at",
    "attachment": "created_at",
    "key_grant": "created_at",
    "reporter_session": "created_at",
    "audit_event": "at",
}
# Team items and the audit event that comes with them (cases.triage.workflow, cases.reporting.conversation).
ITEM_EVENT = {"note": "note.add", "status_note": "status.change", "outcome": "status.change", "message": "message.send"}
_DATETIME = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?$")


class SizedStream:
    def __init__(self, data: bytes) -> None:
        import io

        self._io = io.BytesIO(data)
        self.size = len(data)

    def read(self, n: int = -1) -> bytes:
        return self._io.read(n)


# --- the clock -------------------------------------------------------------------------------


class Clock:
    """One clock for every module that reads the time: naive UTC, moved by the test."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def utc_now(self) -> datetime:
        return self.now

    def time(self) -> float:  # stands in for the `time` module in cases.team.second_factor
        return self.now.replace(tzinfo=UTC).timestamp()

    def tick(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    # 18:36:50.25 on a working day: every exact time below is far from an hour's edge
    fake = Clock(datetime(2026, 12, 2, 18, 36, 50, 250000))
    original = cases.platform.clock.utc_now
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] in ("cases", "portal", "review") and getattr(module, "utc_now", None) is original:
            monkeypatch.setattr(module, "utc_now", fake.utc_now)
    monkeypatch.setattr(cases.team.second_factor, "time", fake)
    return fake


# --- the scenario ----------------------------------------------------------------------------


@dataclass
class Truth:
    """What only the test knows: which rows each reporter action wrote, and when it happened."""

    rows: dict[tuple[str, tuple[Any, ...]], tuple[str, datetime]] = field(default_factory=dict)

    def snapshot(self, session: Session) -> set[tuple[str, tuple[Any, ...]]]:
        keys = set()
        for table in REPORTER_TABLES:
            columns = [c.name for c in Base.metadata.tables[table].primary_key.columns]
            quoted = ", ".join(f'"{c}"' for c in columns)
            for row in session.execute(text(f'SELECT {quoted} FROM "{table}"')):  # noqa: S608 - names from the schema
                keys.add((table, tuple(_plain(v) for v in row)))
        return keys

    def reporter(self, session: Session, label: str, clock: Clock, action: Any) -> Any:
        before = self.snapshot(session)
        result = action()
        session.commit()
        for key in self.snapshot(session) - before:
            self.rows[key] = (label, clock.now)
        return result


@dataclass
class Team:
    session: Session
    clock: Clock
    secrets: dict[str, bytes] = field(default_factory=dict)

    def enrol(self, username: str, holder: Any) -> None:
        secret = start_enrolment(reviewer=holder.reviewer, server_secret=SERVER_SECRET)
        self.secrets[username] = secret
        code = current_code(secret, now=self.clock.time())
        assert finish_enrolment(self.session, reviewer=holder.reviewer, code=code, server_secret=SERVER_SECRET)
        self.session.commit()

    def log_in(self, username: str) -> Actor:
        step = login.start(
            self.session, username=username, passphrase=PASSPHRASE, kdf=CHEAP_KDF, server_secret=SERVER_SECRET
        )
        self.session.commit()
        self.clock.tick(31)  # the code from a fresh 30-second step
        code = current_code(self.secrets[username], now=self.clock.time())
        full = login.second_factor(self.session, actor=self._actor(step.token), code=code, server_secret=SERVER_SECRET)
        self.session.commit()
        return self._actor(full.token)

    def fail_login(self, username: str) -> None:
        with contextlib.suppress(LoginFailed, AccountLocked):
            login.start(self.session, username=username, passphrase="salah " * 4, kdf=CHEAP_KDF, server_secret=b"")
        self.session.commit()  # failed attempts are kept (cases.web.keep_on_error)

    def _actor(self, token: str) -> Actor:
        row = find_session(self.session, token=token, idle=IDLE, absolute=ABSOLUTE)
        assert row is not None
        return Actor.of_session(row, token=token)

    def do(self, seconds: float, operation: Any, **kwargs: Any) -> None:
        self.clock.tick(seconds)
        operation(self.session, **kwargs)
        self.session.commit()


def _submit(session: Session, config: Config, what: str, files: list[bytes]) -> str:
    prepared = [
        prepare_file(Upload(f"bukti-{n}.txt", SizedStream(data)), limits=Limits()) for n, data in enumerate(files)
    ]
    return report(session, config, ReportContent(what=what), files=prepared).receipt


def _reply(session: Session, config: Config, receipt: str, words: str, data: bytes) -> None:
    token = start_reporter_session(session, receipt_text=receipt, receipt_key=config.receipt_key_bytes)
    visit = resume_reporter_session(session, token=token)
    prepared = prepare_file(Upload("tambahan.txt", SizedStream(data)), limits=Limits())
    reporter_adds(session, visit=visit, text=words, files=[prepared], limits=Limits())


def _retaliation(session: Session, config: Config, receipt: str, what: str) -> str:
    from cases.reporting.retaliation import earlier_report, report_retaliation

    original = earlier_report(session, receipt_text=receipt, receipt_key=config.receipt_key_bytes)
    return report_retaliation(
        session, original=original, opd_id=None, content=ReportContent(what=what), receipt_key=config.receipt_key_bytes
    ).receipt


def _case_of(session: Session, receipt: str, config: Config) -> str:
    from cases.reporting.receipts import open_case_by_receipt

    case, _ = open_case_by_receipt(session, receipt_text=receipt, receipt_key=config.receipt_key_bytes)
    return case.id


def play_a_working_afternoon(session: Session, config: Config, clock: Clock) -> Truth:
    """Three reviewers at work, three reporters submitting and replying in between them."""
    truth = Truth()
    team = Team(session, clock)
    ana = founder(session, "ana", admin=True)
    budi = founder(session, "budi")
    citra = founder(session, "citra")
    session.commit()
    for name, holder in (("ana", ana), ("budi", budi), ("citra", citra)):
        clock.tick(7)
        team.enrol(name, holder)

    clock.tick(20)
    receipt_a = truth.reporter(
        session, "report A", clock, lambda: _submit(session, config, "Setoran bulanan di bidang A.", [])
    )
    case_a = _case_of(session, receipt_a, config)
    session.commit()

    clock.tick(40)
    ana_actor = team.log_in("ana")
    team.do(5, read_case, actor=ana_actor, case_id=case_a)
    team.do(9, add_note, actor=ana_actor, case_id=case_a, text="Cek daftar hadir bulan lalu.")
    # a reporter submits between two team actions a few seconds apart
    clock.tick(3)
    receipt_b = truth.reporter(
        session,
        "report B",
        clock,
        lambda: _submit(session, config, "Jual beli jabatan eselon IV.", [b"daftar harga jabatan\n" * 200]),
    )
    case_b = _case_of(session, receipt_b, config)
    session.commit()
    team.do(4, team_replies, actor=ana_actor, case_id=case_a, text="Terima kasih, kami periksa.")
    team.do(6, change_status, actor=ana_actor, case_id=case_a, new_status="verifying")

    clock.tick(15)
    budi_actor = team.log_in("budi")
    team.do(8, read_case, actor=budi_actor, case_id=case_b)
    team.do(12, change_status, actor=budi_actor, case_id=case_b, new_status="verifying")
    team.do(10, team_replies, actor=budi_actor, case_id=case_b, text="Siapa yang meminta uangnya?")
    # the reporter answers between the team's question and its next note
    clock.tick(5)
    truth.reporter(
        session,
        "reply B",
        clock,
        lambda: _reply(session, config, receipt_b, "Kepala bagian umum.", b"foto kuitansi\n" * 100),
    )
    team.do(6, read_case, actor=budi_actor, case_id=case_b)
    # reporter A, moved to another section, reports retaliation citing their receipt (issue 20, point 4)
    clock.tick(2)
    truth.reporter(
        session,
        "retaliation for A",
        clock,
        lambda: _retaliation(session, config, receipt_a, "Saya dimutasi setelah melapor."),
    )
    team.do(4, add_note, actor=budi_actor, case_id=case_b, text="Bandingkan dengan laporan A.")
    team.do(7, team_replies, actor=ana_actor, case_id=case_a, text="Mohon kirim bukti transfer.")

    clock.tick(9)
    receipt_c = truth.reporter(
        session, "report C", clock, lambda: _submit(session, config, "Pungutan liar di loket.", [])
    )
    case_c = _case_of(session, receipt_c, config)
    session.commit()
    team.do(11, read_case, actor=budi_actor, case_id=case_c)
    team.do(5, add_note, actor=budi_actor, case_id=case_c, text="Loket 3, pagi hari.")
    team.do(8, login.logout, actor=ana_actor)
    # a reviewer mistypes until locked, and so does someone guessing a name that is no account
    for _ in range(4):
        clock.tick(3)
        team.fail_login("citra")
        team.fail_login("tamu")
    return truth


def _plain(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview) else value


# --- the copy --------------------------------------------------------------------------------


@dataclass
class Table:
    columns: list[str]
    rows: list[dict[str, Any]]  # in physical order


def copy_of_sqlite(db_url: str, workdir: Path, *, backup: bool = False) -> dict[str, Table]:
    """The file as it lies on disk (and its write-ahead log), or the operators' backup of it, read in
    each table's physical order: rowid order where the table has rowids, the b-tree's own where not."""
    source = Path(db_url.removeprefix("sqlite:///"))
    target = workdir / "copy.db"
    if backup:
        backup_sqlite(db_url, target)
    else:
        shutil.copy(source, target)
        if Path(f"{source}-wal").exists():
            shutil.copy(f"{source}-wal", f"{target}-wal")
    connection = sqlite3.connect(target)
    try:
        tables = {}
        names = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for name in names:
            try:
                cursor = connection.execute(f'SELECT * FROM "{name}" ORDER BY rowid')  # noqa: S608 - names from the schema
            except sqlite3.OperationalError:  # WITHOUT ROWID: the scan order is the primary key's
                cursor = connection.execute(f'SELECT * FROM "{name}"')  # noqa: S608 - names from the schema
            columns = [d[0] for d in cursor.description]
            tables[name] = Table(columns, [dict(zip(columns, row, strict=True)) for row in cursor])
        return tables
    finally:
        connection.close()


def _copy_value(raw: str) -> Any:
    if raw == r"\N":
        return None
    return re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n", "r": "\r"}.get(m.group(1), m.group(1)), raw)


def copy_of_postgresql(db_url: str, engine: Engine) -> dict[str, Table]:
    """What pg_dump writes: each table's rows in physical (heap) order. Without pg_dump on the
    machine, the same order read directly (`ORDER BY ctid`, the order of a sequential scan)."""
    parts = urlsplit(db_url)
    options = unquote(parse_qs(parts.query).get("options", [""])[0])
    schema = options.split("search_path=")[1]
    pg_dump = shutil.which("pg_dump")
    tables: dict[str, Table] = {}
    if pg_dump is not None:
        dsn = parts._replace(query="").geturl()
        dump = subprocess.run(  # noqa: S603 - a fixed program on the test's own database
            [pg_dump, "--data-only", f"--schema={schema}", dsn], check=True, capture_output=True, text=True
        ).stdout
        current: Table | None = None
        for line in dump.splitlines():
            if current is None:
                match = re.match(r'^COPY [^.]+\.("?)([a-z_]+)\1 \((.*)\) FROM stdin;$', line)
                if match:
                    current = Table([c.strip('"') for c in match.group(3).split(", ")], [])
                    tables[match.group(2)] = current
            elif line == r"\.":
                current = None
            else:
                values = [_copy_value(v) for v in line.split("\t")]
                current.rows.append(dict(zip(current.columns, values, strict=True)))
        return tables
    with engine.connect() as connection:
        for name in inspect(connection).get_table_names():
            result = connection.execute(text(f'SELECT * FROM "{name}" ORDER BY ctid'))  # noqa: S608 - names from the schema
            columns = list(result.keys())
            tables[name] = Table(columns, [dict(zip(columns, row, strict=True)) for row in result])
    return tables


# --- the attacker ----------------------------------------------------------------------------


def as_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, str) and _DATETIME.match(value):
        return datetime.fromisoformat(value)
    return None


def is_hour(moment: datetime) -> bool:
    return moment == moment.replace(minute=0, second=0, microsecond=0)


@dataclass
class Span:
    """When something happened, as far as the attacker can tell: between `lo` and `hi`."""

    lo: datetime = datetime.min
    hi: datetime = datetime.max

    @classmethod
    def of(cls, value: Any) -> "Span":
        moment = as_time(value)
        if moment is None:
            return cls()
        return cls(moment, moment + HOUR) if is_hour(moment) else cls(moment, moment)

    def narrow(self, other: "Span") -> None:
        self.lo, self.hi = max(self.lo, other.lo), min(self.hi, other.hi)

    def holds(self, moment: datetime) -> bool:
        return self.lo <= moment <= self.hi

    @property
    def width(self) -> timedelta:
        return self.hi - self.lo if self.hi != datetime.max and self.lo != datetime.min else timedelta.max


def exact_times(copy: dict[str, Table]) -> list[tuple[str, str, datetime]]:
    """Every plaintext time finer than the hour, anywhere in the copy (and the TOTP step, a time in steps)."""
    found = []
    for name, table in copy.items():
        for row in table.rows:
            for column, value in row.items():
                moment = as_time(value)
                if moment is not None and not is_hour(moment):
                    found.append((name, column, moment))
                if column == "totp_last_step" and isinstance(value, int | str) and str(value).isdigit():
                    found.append((name, column, datetime.fromtimestamp(int(value) * 30, UTC).replace(tzinfo=None)))
    return found


def _key(table: str, row: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    columns = [c.name for c in Base.metadata.tables[table].primary_key.columns]
    return table, tuple(_normalise(row[c], Base.metadata.tables[table].c[c].type.python_type) for c in columns)


def _normalise(value: Any, python_type: type) -> Any:
    value = _plain(value)
    if python_type is bytes and isinstance(value, str):  # bytea in a dump: \x + hex
        return bytes.fromhex(value.removeprefix("\\x"))
    if python_type is int and isinstance(value, str):
        return int(value)
    return value


class Attacker:
    def __init__(self, copy: dict[str, Table]) -> None:
        self.copy = copy
        self.spans: dict[tuple[str, tuple[Any, ...]], Span] = {}
        self._audit()
        self._rows()

    def table(self, name: str) -> list[dict[str, Any]]:
        return self.copy[name].rows if name in self.copy else []

    def _audit(self) -> None:
        """The chain is in time order; anchor what can be anchored, then carry bounds along it."""
        events = sorted(self.table("audit_event"), key=lambda e: int(e["id"]))
        self.events = events
        spans = [Span.of(e["at"]) for e in events]
        last: dict[tuple[str, str], int] = {}
        for index, event in enumerate(events):
            last[(event["action"], event["actor_id"] or "")] = index
        # a reviewer's newest session was opened just after their newest login event
        newest: dict[str, datetime] = {}
        for row in self.table("reviewer_session"):
            opened = as_time(row.get("created_at"))
            if opened is not None and row["purpose"] == "full":
                newest[row["reviewer_id"]] = max(opened, newest.get(row["reviewer_id"], datetime.min))
        for reviewer_id, opened in newest.items():
            if ("login", reviewer_id) in last:
                spans[last[("login", reviewer_id)]].narrow(Span(hi=opened + SLACK))
        for reviewer in self.table("reviewer"):
            # a lock was set by the newest failed attempt: until = attempt + lock_after(count)
            until = as_time(reviewer.get("locked_until"))
            if until is not None and ("login.fail", "") in last:
                failures = int(reviewer["failed_logins"])
                attempt = until - lock_after(failures)
                spans[last[("login.fail", "")]].narrow(Span(lo=attempt - SLACK))
            # the newest code was checked at this step, just before the newest login event
            step = reviewer.get("totp_last_step")
            if isinstance(step, int | str) and str(step).isdigit() and ("login", reviewer["id"]) in last:
                at = datetime.fromtimestamp(int(step) * 30, UTC).replace(tzinfo=None)
                spans[last[("login", reviewer["id"])]].narrow(Span(lo=at - SLACK))
        for index in range(1, len(spans)):
            spans[index].narrow(Span(lo=spans[index - 1].lo))
        for index in range(len(spans) - 2, -1, -1):
            spans[index].narrow(Span(hi=spans[index + 1].hi))
        self.event_spans = spans

    def _rows(self) -> None:
        by_case: dict[str, list[int]] = defaultdict(list)
        for index, event in enumerate(self.events):
            if event["case_id"]:
                by_case[event["case_id"]].append(index)
        for name in REPORTER_TABLES:
            for row in self.table(name):
                self.spans[_key(name, row)] = Span.of(row.get(CREATED.get(name, ""), None))
        # a case existed before every event about it
        for row in self.table("case"):
            for index in by_case.get(row["id"], []):
                self.spans[_key("case", row)].narrow(Span(hi=self.event_spans[index].hi))
        # every team item came with its audit event: the k-th note of a case with its k-th note.add
        items = sorted(self.table("case_item"), key=lambda r: (r["case_id"], int(r["seq"])))
        seen: dict[tuple[str, str], int] = defaultdict(int)
        item_span: dict[str, Span] = {}
        for item in items:
            span = self.spans[_key("case_item", item)]
            action = ITEM_EVENT.get(item["kind"])
            if item["author"] == "team" and action is not None:
                matching = [i for i in by_case.get(item["case_id"], []) if self.events[i]["action"] == action]
                k = seen[(item["case_id"], action)]
                if k < len(matching):
                    event = self.event_spans[matching[k]]
                    span.narrow(Span(event.lo - SLACK, event.hi))
                if item["kind"] != "status_note":  # an outcome shares its status change's event
                    seen[(item["case_id"], action)] += 1
            item_span[item["id"]] = span
        # a re-grant came with its grant.create event
        for grant in self.table("key_grant"):
            for index in by_case.get(grant["case_id"], []):
                event = self.events[index]
                if event["action"] == "grant.create" and event["detail"].startswith(
                    f"kind={grant['key_kind']} to={grant['reviewer_id']}"
                ):
                    self.spans[_key("key_grant", grant)].narrow(
                        Span(self.event_spans[index].lo - SLACK, self.event_spans[index].hi)
                    )
        # a file's details are an item; its chunks were written with it
        attachment_span: dict[str, Span] = {}
        for attachment in self.table("attachment"):
            span = self.spans[_key("attachment", attachment)]
            if attachment["item_id"] in item_span:
                span.narrow(item_span[attachment["item_id"]])
            attachment_span[attachment["id"]] = span
        for chunk in self.table("attachment_chunk"):
            if chunk["attachment_id"] in attachment_span:
                self.spans[_key("attachment_chunk", chunk)].narrow(attachment_span[chunk["attachment_id"]])

    def brackets(self, key: tuple[str, tuple[Any, ...]]) -> Iterator[tuple[str, Span]]:
        """Each way of bracketing one row: its own time, its neighbours in physical order, and
        (items) its neighbours within its case."""
        yield "its own time", self.spans[key]
        name = key[0]
        order = [_key(name, row) for row in self.table(name)]
        position = order.index(key)
        physical = Span(
            lo=max((self.spans[k].lo for k in order[:position]), default=datetime.min),
            hi=min((self.spans[k].hi for k in order[position + 1 :]), default=datetime.max),
        )
        yield f"physical order of {name}", physical
        if name == "case_item":
            item = next(row for row in self.table(name) if _key(name, row) == key)
            same_case = [row for row in self.table(name) if row["case_id"] == item["case_id"]]
            logical = Span(
                lo=max(
                    (self.spans[_key(name, r)].lo for r in same_case if int(r["seq"]) < int(item["seq"])),
                    default=datetime.min,
                ),
                hi=min(
                    (self.spans[_key(name, r)].hi for r in same_case if int(r["seq"]) > int(item["seq"])),
                    default=datetime.max,
                ),
            )
            yield "the items of its case", logical


@dataclass
class Finding:
    what: str
    row: tuple[str, tuple[Any, ...]]
    truth: datetime
    best: Span
    by: list[str]


def attack(copy: dict[str, Table], truth: Truth) -> list[Finding]:
    attacker = Attacker(copy)
    findings = []
    for key, (label, moment) in truth.rows.items():
        assert key in attacker.spans, f"{key} missing from the copy"
        best, used = Span(), []
        for source, span in attacker.brackets(key):
            if span.holds(moment):  # a bracket that misses the truth misled the attacker: no bracket
                best.narrow(span)
                used.append(source)
        findings.append(Finding(label, key, moment, best, used))
    return findings


def _report(findings: list[Finding], exact: list[tuple[str, str, datetime]]) -> str:
    lines = [
        f"{f.what} {f.row[0]}: true {f.truth:%H:%M:%S}, bracket {f.best.lo:%H:%M:%S}–{f.best.hi:%H:%M:%S} "
        f"({f.best.width.total_seconds():.0f} s) from {', '.join(f.by)}"
        for f in sorted(findings, key=lambda f: f.best.width)[:8]
    ]
    columns = sorted({f"{t}.{c}" for t, c, _ in exact})
    return "\n".join(lines) + f"\nplaintext times finer than the hour in: {', '.join(columns) or 'none'}"


# --- the tests -------------------------------------------------------------------------------


@pytest.fixture
def afternoon(clock: Clock, engine: Engine, config: Config, recovery_secret: bytes) -> Iterator[Truth]:
    with make_session_factory(engine, config.trust())() as session:
        yield play_a_working_afternoon(session, config, clock)


def _check(copy: dict[str, Table], truth: Truth) -> None:
    findings = attack(copy, truth)
    exact = exact_times(copy)
    report = _report(findings, exact)
    assert {f.what for f in findings} == {"report A", "report B", "reply B", "retaliation for A", "report C"}
    assert exact == [], report
    assert all(f.best.width >= HOUR for f in findings), report


@pytest.mark.committed  # the attacker reads a copy of the file (or a dump), as committed on disk
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("backup", [False, True], ids=["file", "backup"])
def test_a_copy_of_the_sqlite_file_dates_no_report_finer_than_its_hour(
    afternoon: Truth, engine: Engine, db_url: str, tmp_path: Path, backup: bool
) -> None:
    _check(copy_of_sqlite(db_url, tmp_path, backup=backup), afternoon)


@pytest.mark.committed  # the attacker reads a pg_dump of what was committed
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_dump_of_the_postgresql_database_dates_no_report_finer_than_its_hour(
    afternoon: Truth, engine: Engine, db_url: str
) -> None:
    _check(copy_of_postgresql(db_url, engine), afternoon)

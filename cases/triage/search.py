"""The case list as the team works from it: each row with its preview, and search by what cases say.

Search decrypts in the request, within the list's current filter, the newest cases first, at
most SEARCH_BOUND cases a request (the page says so when the filter holds more). There is no
index: an index of words, even a keyed one, would put the reports' vocabulary, or its
frequencies, in every copy of the database (docs/SECURITY.md, "Previews and search"). A case is
found when every word of the query occurs, case-insensitively, in its report (any 5W2H field) or
in a message between the reporter and the team; internal notes are not searched (they are under
the team key: a second key per case, and a search should not surface them by accident in a list).

Only cases sealed to the viewer are searched, so a recused or newly added reviewer learns nothing
from a search, not even that a case exists. The term itself is never stored or logged; the audit
log records that a search ran, how many cases it went through and how many it found.
"""

import unicodedata
from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from cases.accountability import audit
from cases.models import Case
from cases.platform.clock import utc_now
from cases.team.actor import Actor
from cases.team.grants import open_reviewer_keys
from cases.triage.case_list import PAGE_SIZE, CaseFilter, CasePage, SearchScope, case_rows, list_cases, readable_cases
from cases.triage.case_text import messages, previews, report_words, reports

SEARCH_BOUND = 2000  # cases searched per request, newest first within the filter (docs/PERFORMANCE.md)
BATCH = 200  # cases decrypted together: bounds memory and the size of each IN (...)
MAX_QUERY_CHARS = 200
MAX_TERMS = 10


def search_terms(query: str) -> tuple[str, ...]:
    """The words to find: compatibility-normalised, case-folded, at most MAX_TERMS distinct words."""
    folded = unicodedata.normalize("NFKC", query[:MAX_QUERY_CHARS]).casefold()
    return tuple(dict.fromkeys(folded.split()))[:MAX_TERMS]


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _matching(session: Session, *, keys: dict[str, bytes], terms: tuple[str, ...]) -> set[str]:
    """Which of these cases hold every term: the report first, the messages only for cases it did
    not settle (most searches are decided by the report)."""
    missing: dict[str, set[str]] = {}
    for case_id, report in reports(session, keys=keys).items():
        text = _folded("\n".join(report_words(report))) if report is not None else ""
        missing[case_id] = {term for term in terms if term not in text}
    found = {case_id for case_id, left in missing.items() if not left}
    unsettled = {case_id: keys[case_id] for case_id in keys if case_id not in found}
    for case_id, text in messages(session, keys=unsettled) if unsettled else ():
        left = missing[case_id]
        if left:
            folded = _folded(text)
            left -= {term for term in left if term in folded}
            if not left:
                found.add(case_id)
    return found


def find_cases(
    session: Session,
    *,
    actor: Actor,
    filters: CaseFilter | None = None,
    query: str = "",
    bound: int | None = None,
    limit: int = PAGE_SIZE,
    now: datetime | None = None,
) -> CasePage:
    """One page of the case list for `actor`, each row with its preview. With a query: only the cases
    of the filter whose text holds every word, newest first, among the newest `bound` of the filter."""
    flt = filters or CaseFilter()
    now = now or utc_now()
    reviewer = actor.reviewer
    terms = search_terms(query)
    if not terms:
        page = list_cases(session, reviewer=reviewer, filters=flt, limit=limit, now=now)
        return with_previews(session, actor=actor, page=page)
    bound = SEARCH_BOUND if bound is None else bound
    candidates = list(
        session.scalars(
            readable_cases(reviewer, flt, now).order_by(Case.received_at.desc(), Case.id.desc()).limit(bound + 1)
        )
    )
    limited = len(candidates) > bound
    candidates = candidates[:bound]
    found: list[str] = []
    for start in range(0, len(candidates), BATCH):
        batch = candidates[start : start + BATCH]
        keys = open_reviewer_keys(session, actor=actor, case_ids=batch)
        matched = _matching(session, keys=keys, terms=terms)
        found += [case_id for case_id in batch if case_id in matched]
    total = len(found)
    pages = max(1, -(-total // limit))
    page_number = min(max(flt.page, 1), pages)
    ids = found[(page_number - 1) * limit : page_number * limit]
    audit.record(
        session, action="case.search", actor_id=reviewer.id, detail=f"searched={len(candidates)} found={total}"
    )
    page = CasePage(
        rows=case_rows(session, reviewer=reviewer, ids=ids, now=now),
        page=page_number,
        pages=pages,
        total=total,
        filters=flt,
        search=SearchScope(query=query[:MAX_QUERY_CHARS], searched=len(candidates), bound=bound, limited=limited),
    )
    return with_previews(session, actor=actor, page=page)


def with_previews(session: Session, *, actor: Actor, page: CasePage) -> CasePage:
    """The page with each row's preview, decrypted now for `actor` (a row whose key fails to open
    keeps none)."""
    if not page.rows:
        return page
    keys = open_reviewer_keys(session, actor=actor, case_ids=[row.id for row in page.rows])
    shown = previews(session, keys=keys)
    return replace(page, rows=[replace(row, preview=shown.get(row.id)) for row in page.rows])

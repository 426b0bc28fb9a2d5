"""The public statistics page: server-drawn, no script, no cookie, small counts hidden, and never
moved by a report made today."""

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cases.accountability.statistics import day_start
from cases.models import Case, Category, Opd
from cases.platform.clock import utc_now
from cases.platform.config import Config
from cases.reporting.report_content import ReportContent
from cases.reporting.submission import submit_report
from tests.actions import submit_report as submit_through_portal


def received_yesterday(session: Session) -> None:
    """Every case so far moves to the last hour of yesterday in Jakarta: only such cases are counted."""
    session.execute(update(Case).values(received_at=day_start(utc_now()) - timedelta(hours=1)))
    session.commit()


def seed(session: Session, config: Config) -> None:
    categories = list(session.scalars(select(Category).order_by(Category.position, Category.id)))
    opds = list(session.scalars(select(Opd).order_by(Opd.id)))
    # 7 reports in the first category about the first unit, 2 in the second category about another
    for n, (category, opd) in enumerate([(categories[0], opds[0])] * 7 + [(categories[1], opds[1])] * 2):
        submit_report(
            session,
            category_id=category.id,
            opd_id=opd.id,
            content=ReportContent(what=f"Laporan {n}"),
            receipt_key=config.receipt_key_bytes,
        )
    session.commit()
    received_yesterday(session)


def test_statistics_show_figures_and_hide_small_ones(portal_app: Flask, session: Session, config: Config) -> None:
    seed(session, config)
    opds = list(session.scalars(select(Opd).order_by(Opd.id)))
    response = portal_app.test_client().get("/statistik")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers and "<script" not in page
    assert "<svg" in page and 'role="img"' in page and "style=" not in page
    assert "<strong>9</strong>" in page  # total
    assert "&lt; 5" in page  # the second category's 2 reports
    assert opds[0].name in page  # 7 reports this quarter: named
    assert opds[1].name not in page  # 2 reports: only inside "other units"
    assert "Unit lainnya" in page


def test_statistics_in_english(portal_app: Flask, session: Session, config: Config) -> None:
    seed(session, config)
    page = portal_app.test_client().get("/statistik?lang=en").get_data(as_text=True)
    assert '<html lang="en"' in page and "Reports received and handled" in page and "Other units" in page


def test_figures_are_cached_not_recomputed_per_request(portal_app: Flask, session: Session, config: Config) -> None:
    client = portal_app.test_client()
    assert "No reports yet" in client.get("/statistik?lang=en").get_data(as_text=True)
    seed(session, config)
    # within the cache period the page does not move (nor can a visitor force a recount)
    assert "No reports yet" in client.get("/statistik?lang=en").get_data(as_text=True)


def test_charts_draw_bars_for_published_counts_only(portal_app: Flask, session: Session, config: Config) -> None:
    seed(session, config)
    page = portal_app.test_client().get("/statistik?lang=en").get_data(as_text=True)
    assert '<rect x="160"' in page and 'class="bar"' in page and "<title>Reports per kind of wrongdoing</title>" in page
    # the category with 2 reports has no bar: its chart shows "< 5" in place of a number
    assert 'class="value muted">&lt; 5</text>' in page


def test_months_are_columns_with_a_table_and_quarters_in_each_language(
    portal_app: Flask, session: Session, config: Config
) -> None:
    seed(session, config)
    client = portal_app.test_client()
    indonesian = client.get("/statistik").get_data(as_text=True)
    english = portal_app.test_client().get("/statistik?lang=en").get_data(as_text=True)
    assert 'class="columns"' in indonesian and 'aria-label="Laporan per bulan"' in indonesian
    assert "Triwulan" in indonesian and "Quarter" not in indonesian
    assert "Quarter" in english and 'aria-label="Reports per month"' in english
    # the 9 reports of this month: one column with its number, and the same number in the table
    assert 'class="value">9</text>' in english and "<td>9</td>" in english
    # outcomes include the reports still being handled, so every table adds up to the same total
    assert "Still being handled" in english


def test_statistics_page_sets_no_cookie_in_either_language(portal_app: Flask) -> None:
    client = portal_app.test_client()
    for path in ("/statistik", "/statistik?lang=en"):
        response = client.get(path)
        assert response.status_code == 200 and "Set-Cookie" not in response.headers


def test_a_breakdown_that_would_pin_small_numbers_is_withheld(
    portal_app: Flask, session: Session, config: Config
) -> None:
    categories = list(session.scalars(select(Category).order_by(Category.position, Category.id)))
    opd = session.scalars(select(Opd).order_by(Opd.id)).first()
    assert opd is not None
    # 4 + 4 reports: with the total 8 published, each "< 5" could only be 4
    for n, category in enumerate([categories[0]] * 4 + [categories[1]] * 4):
        submit_report(
            session,
            category_id=category.id,
            opd_id=opd.id,
            content=ReportContent(what=f"Laporan {n}"),
            receipt_key=config.receipt_key_bytes,
        )
    session.commit()
    received_yesterday(session)
    page = portal_app.test_client().get("/statistik?lang=en").get_data(as_text=True)
    assert "<strong>8</strong>" in page
    assert "Too few reports to show this breakdown without revealing small numbers." in page
    assert "<title>Reports per kind of wrongdoing</title>" not in page
    assert categories[0].name_en not in page


def test_a_report_made_today_changes_nothing_on_the_page_even_without_the_cache(
    portal_app: Flask, portal: FlaskClient, session: Session, config: Config
) -> None:
    # given nine reports received yesterday
    seed(session, config)
    visitor = portal_app.test_client()

    def fresh(path: str) -> str:
        portal_app.extensions.pop("kanal.statistics", None)  # as if every worker recomputed right now
        return visitor.get(path).get_data(as_text=True)

    paths = ("/statistik", "/statistik?lang=en")
    before = {path: fresh(path) for path in paths}
    assert "<strong>9</strong>" in before["/statistik"]
    # when a reporter submits a report through the portal today
    submit_through_portal(portal, what="Pungutan liar di loket perizinan.")
    # then the page is the same, byte for byte, in both languages
    assert {path: fresh(path) for path in paths} == before
    # and once the report counts as received yesterday, it is counted
    received_yesterday(session)
    assert "<strong>10</strong>" in fresh("/statistik")


def _with_retaliation(session: Session, config: Config, count: int) -> None:
    """Seven ordinary reports about one unit, and `count` retaliation reports following the first."""
    from cases.reporting.retaliation import report_retaliation

    category = session.scalars(select(Category).order_by(Category.position, Category.id)).first()
    opd = session.scalars(select(Opd).order_by(Opd.id)).first()
    assert category is not None and opd is not None
    ids = [
        submit_report(
            session,
            category_id=category.id,
            opd_id=opd.id,
            content=ReportContent(what=f"Laporan {n}"),
            receipt_key=config.receipt_key_bytes,
        ).case_id
        for n in range(7)
    ]
    original = session.get(Case, ids[0])
    assert original is not None
    for n in range(count):
        report_retaliation(
            session,
            original=original,
            opd_id=None,
            content=ReportContent(what=f"Pembalasan {n}"),
            receipt_key=config.receipt_key_bytes,
        )
    session.commit()
    received_yesterday(session)


def test_retaliation_reports_are_a_figure_of_their_own(portal_app: Flask, session: Session, config: Config) -> None:
    # given seven ordinary reports and six retaliation reports, from yesterday
    _with_retaliation(session, config, 6)
    page = portal_app.test_client().get("/statistik").get_data(as_text=True)
    # then the retaliation reports are a key figure, and a row of the kinds of wrongdoing
    figure = page.split('class="retaliation-figure"', 1)[1].split("</p>", 1)[0]
    assert "<strong>6</strong>" in figure and "laporan pembalasan terhadap pelapor" in figure
    assert "Pembalasan terhadap pelapor" in page


def test_a_small_number_of_retaliation_reports_is_hidden_like_any_small_count(
    portal_app: Flask, session: Session, config: Config
) -> None:
    # given two retaliation reports among nine
    _with_retaliation(session, config, 2)
    page = portal_app.test_client().get("/statistik").get_data(as_text=True)
    # then the figure says "< 5", never 2, anywhere on the page
    figure = page.split('class="retaliation-figure"', 1)[1].split("</p>", 1)[0]
    assert "<strong>&lt; 5</strong>" in figure
    assert ">2<" not in page

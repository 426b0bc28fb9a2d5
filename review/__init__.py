"""The integrity team's internal review app. Deny by default."""

from datetime import timedelta

from flask import Flask, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from cases.errors import CaseNotFound
from cases.platform.config import Config, load_config
from cases.team.actor import Actor
from cases.team.errors import NotAKeyHolder
from cases.team.integrity import findings
from cases.team.login import catch_up
from cases.team.sessions import find_session
from cases.web.app import db_session, make_app

# The only endpoints reachable without a session. Everything else needs one.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.forgot", "static", "healthz"})
# A session that is not yet full reaches only its own step (and logout).
STEP_ENDPOINTS = {
    "activation": ("auth.activate", frozenset({"auth.activate", "auth.logout"})),
    "enrol": ("auth.enrol", frozenset({"auth.enrol", "auth.logout"})),
    "second_factor": ("auth.code", frozenset({"auth.code", "auth.logout"})),
}


def create_app(config: Config | None = None) -> Flask:
    config = config or load_config()
    app = make_app(
        __name__,
        config=config,
        secret_key=config.review_secret_key,
        cookie_name="kanal_review",
        max_content_length=64 * 1024,
        limiter_prefix="review",
        scripts=True,
    )

    @app.before_request
    def require_login() -> Response | None:
        if request.endpoint in PUBLIC_ENDPOINTS:
            return None
        token = session.get("sid", "")
        row = find_session(
            db_session(),
            token=token,
            idle=timedelta(minutes=config.session_idle_minutes),
            absolute=timedelta(hours=config.session_absolute_hours),
        )
        if row is None:
            # pop, not clear: a stray request (favicon, a stale tab) must not
            # wipe the CSRF token of a login form open in another tab.
            session.pop("sid", None)
            return redirect(url_for("auth.login"))
        if row.purpose in STEP_ENDPOINTS:
            home, allowed = STEP_ENDPOINTS[row.purpose]
            if request.endpoint not in allowed:
                return redirect(url_for(home))
        g.actor = Actor.of_session(row, token=token)
        g.reviewer = row.reviewer  # who is signed in, for templates; keys stay inside g.actor (cases)
        if request.method == "POST" and row.purpose == "full":
            # Keys this reviewer holds reach approved colleagues who lack them (bounded), on state-changing
            # requests only: a GET never writes grants.
            catch_up(db_session(), actor=g.actor)
        return None

    @app.errorhandler(NotAKeyHolder)
    def _not_a_key_holder(_error: NotAKeyHolder) -> tuple[str, int]:
        return render_template("error.html", code=403), 403

    @app.errorhandler(CaseNotFound)
    def _case_not_found(_error: CaseNotFound) -> tuple[str, int]:
        return render_template("error.html", code=404), 404

    @app.context_processor
    def integrity_warnings() -> dict[str, object]:
        """Every admin page says loudly when the database disagrees with the signed roster."""
        if "actor" not in g or not g.actor.is_admin or g.actor.purpose != "full":
            return {}
        return {"integrity_findings": findings(db_session())}

    from . import admin, auth, cases, cli, export, identity, lists, management, redaction

    app.register_blueprint(auth.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(export.bp)
    app.register_blueprint(redaction.bp)
    app.register_blueprint(management.bp)
    app.register_blueprint(lists.bp)
    app.register_blueprint(identity.bp)
    cli.register(app)
    return app

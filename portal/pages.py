"""Static guidance pages of the portal."""

from flask import Blueprint, render_template
from werkzeug.wrappers import Response

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> str:
    return render_template("index.html")


@bp.get("/robots.txt")
def robots() -> Response:
    return Response("User-agent: *\nDisallow: /\n", mimetype="text/plain")


@bp.after_app_request
def no_indexing(response: Response) -> Response:
    """Nothing of the portal belongs in a search engine or an archive."""
    response.headers["X-Robots-Tag"] = "noindex, noarchive"
    return response

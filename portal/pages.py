"""Static guidance pages of the portal."""

from flask import Blueprint, redirect, render_template, url_for
from werkzeug.wrappers import Response

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> str:
    return render_template("index.html")


@bp.get("/panduan")
def guide() -> str:
    return render_template("guide.html")


@bp.post("/tersimpan")
def saved() -> Response:
    """The receipt page's "I have saved my code": away from the code, by POST/redirect."""
    return redirect(url_for("pages.thanks"))


@bp.get("/terima-kasih")
def thanks() -> str:
    return render_template("saved.html")


@bp.get("/robots.txt")
def robots() -> Response:
    return Response("User-agent: *\nDisallow: /\n", mimetype="text/plain")


@bp.after_app_request
def no_indexing(response: Response) -> Response:
    """Nothing of the portal belongs in a search engine or an archive."""
    response.headers["X-Robots-Tag"] = "noindex, noarchive"
    return response

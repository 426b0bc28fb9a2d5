"""The ceiling for `make bench`: a bare Flask app under the same gunicorn settings.

GET / answers a small page; POST / reads one form field and answers. Nothing
else: no database, no templates, no CSRF, no cryptography. Started by
bench/run.py as `gunicorn -c gunicorn.conf.py --pythonpath bench hello_app:app`.
"""

from flask import Flask, request

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "<!doctype html><title>hello</title><form method=post><input name=text></form>"


@app.post("/")
def received() -> str:
    return f"<!doctype html><title>ok</title><p>{len(request.form.get('text', ''))} characters</p>"

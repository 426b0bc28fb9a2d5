"""gunicorn settings shared by both apps (development and production).

No access log at all: gunicorn's default access format starts with the client
address. Error-log lines come from our own logging configuration, which never
contains request data.
"""

import multiprocessing
import os

accesslog = None
disable_redirect_access_to_syslog = True
errorlog = "-"
# Warnings and errors only: even startup lines name addresses ("Listening at: ...").
loglevel = os.environ.get("KANAL_LOG_LEVEL", "warning")
workers = int(os.environ.get("KANAL_WORKERS", min(4, multiprocessing.cpu_count() * 2 + 1)))
timeout = 120  # uploads from slow phone connections
forwarded_allow_ips = os.environ.get("KANAL_FORWARDED_ALLOW_IPS", "127.0.0.1")
# The control socket's default path is shared by every gunicorn of the user; the
# portal and the review app would fight over it, and we do not use it.
control_socket_disable = True


def on_starting(server: object) -> None:
    """Refuse to serve in production with an unsafe configuration (see cases/platform/preflight.py),
    then forget reporters' visits left from before the start (cases/reporting/visits.py)."""
    from cases.platform.preflight import check_deployment
    from cases.reporting.visits import purge_stale_at_start

    config = check_deployment()
    purge_stale_at_start(config.database_url)

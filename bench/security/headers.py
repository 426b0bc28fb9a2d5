"""Header check equivalent to the MDN HTTP Observatory rules, against live apps.

    python bench/security/headers.py http://127.0.0.1:8000 http://127.0.0.1:8001

For each app: the home/login page, a form page after a visit started (cookies),
a 404. Prints PASS/FAIL per rule; exit 1 if any fails. HSTS and Secure/__Host-
cookies apply over HTTPS only: on plain loopback they are reported as N/A, and
are checked in production mode by tests/portal/test_portal_production.py.
"""

import http.cookiejar
import sys
import urllib.error
import urllib.request

Rule = tuple[str, bool | None, str]


def fetch(url: str, opener: urllib.request.OpenerDirector) -> tuple[int, dict[str, str], list[str]]:
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, dict(response.headers), response.headers.get_all("Set-Cookie") or []
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.headers.get_all("Set-Cookie") or []


def csp_rules(csp: str) -> list[Rule]:
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.split()}
    return [
        ("CSP present", bool(csp), csp[:60]),
        ("CSP default-src 'none'", directives.get("default-src") == ["'none'"], ""),
        ("CSP no unsafe-inline / unsafe-eval", "unsafe-" not in csp, ""),
        ("CSP frame-ancestors 'none' (clickjacking)", directives.get("frame-ancestors") == ["'none'"], ""),
        ("CSP base-uri 'none'", directives.get("base-uri") == ["'none'"], ""),
        ("CSP form-action 'self'", directives.get("form-action") == ["'self'"], ""),
        (
            "CSP no http:/https:/data: sources",
            not any(s.startswith(("http", "data:", "*")) for values in directives.values() for s in values),
            "",
        ),
    ]


def check(base: str, path: str) -> list[Rule]:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    status, headers, cookies = fetch(base + path, opener)
    https = base.startswith("https:")
    rules = csp_rules(headers.get("Content-Security-Policy", ""))
    rules += [
        ("X-Content-Type-Options nosniff", headers.get("X-Content-Type-Options") == "nosniff", ""),
        (
            "Referrer-Policy same-origin or stricter",
            headers.get("Referrer-Policy") in {"no-referrer", "same-origin", "strict-origin"},
            headers.get("Referrer-Policy", ""),
        ),
        ("Cross-Origin-Opener-Policy same-origin", headers.get("Cross-Origin-Opener-Policy") == "same-origin", ""),
        ("Cross-Origin-Resource-Policy same-origin", headers.get("Cross-Origin-Resource-Policy") == "same-origin", ""),
        (
            "No Server version banner",
            not any(ch.isdigit() for ch in headers.get("Server", "")),
            headers.get("Server", ""),
        ),
        ("No X-Powered-By", "X-Powered-By" not in headers, ""),
        ("Cache-Control no-store", "no-store" in headers.get("Cache-Control", ""), ""),
        (
            "Strict-Transport-Security",
            ("max-age" in headers.get("Strict-Transport-Security", "")) if https else None,
            "HTTPS only",
        ),
    ]
    for cookie in cookies:
        name = cookie.split("=", 1)[0]
        lower = cookie.lower()
        rules += [
            (f"cookie {name} HttpOnly", "httponly" in lower, ""),
            (f"cookie {name} SameSite", "samesite=strict" in lower or "samesite=lax" in lower, ""),
            (
                f"cookie {name} Secure + __Host-",
                ("secure" in lower and name.startswith("__Host-")) if https else None,
                "HTTPS only",
            ),
        ]
    return [(f"{base}{path} [{status}] {name}", ok, note) for name, ok, note in rules]


def main(portal: str, review: str) -> int:
    results: list[Rule] = []
    for base, paths in ((portal, ["/", "/lapor", "/status", "/tidak-ada"]), (review, ["/login", "/tidak-ada"])):
        for path in paths:
            results += check(base, path)
    failed = 0
    for name, ok, note in results:
        label = "N/A " if ok is None else ("PASS" if ok else "FAIL")
        failed += ok is False
        sys.stdout.write(f"{label}  {name}{('  (' + note + ')') if note else ''}\n")
    passed = sum(ok is True for _n, ok, _x in results)
    unknown = sum(ok is None for _n, ok, _x in results)
    sys.stdout.write(f"\n{passed} passed, {failed} failed, {unknown} not applicable\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))

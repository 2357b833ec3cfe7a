"""A DATABASE_URL for the database this process is connected to (for child processes)."""

from __future__ import annotations

from urllib.parse import quote, urlencode


def database_url(settings_dict: dict) -> str:
    """``settings_dict`` is ``connection.settings_dict``: under pytest it names the test DB."""
    user = quote(str(settings_dict.get("USER") or ""), safe="")
    password = quote(str(settings_dict.get("PASSWORD") or ""), safe="")
    host = str(settings_dict.get("HOST") or "")
    port = str(settings_dict.get("PORT") or "")
    options = {
        k: v for k, v in (settings_dict.get("OPTIONS") or {}).items() if isinstance(v, str | int)
    }
    if host.startswith("/"):  # a Unix socket directory
        options["host"] = host
        host = ""
    auth = f"{user}:{password}@" if (user or password) else ""
    netloc = auth + quote(host, safe="") + (f":{port}" if port else "")
    url = f"postgresql://{netloc}/{quote(str(settings_dict['NAME']), safe='')}"
    return url + ("?" + urlencode(options) if options else "")

"""The routing benchmark's baseline: the smallest WSGI app, served by the same gunicorn
setup, so "lookups/s" can be read against what HTTP alone costs on this machine."""

_BODY = b'{"number": "0", "routable": false}'
_HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(_BODY)))]


def application(environ, start_response):
    start_response("200 OK", list(_HEADERS))
    return [_BODY]

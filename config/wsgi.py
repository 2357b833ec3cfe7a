import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
_django = get_wsgi_application()

# After Django is set up: api.fast uses the models.
from api import fast  # noqa: E402


def application(environ, start_response):
    """Django, except the routing lookups, which take the lean path of ``api.fast``."""
    if fast.handles(environ):
        return fast.app(environ, start_response)
    return _django(environ, start_response)

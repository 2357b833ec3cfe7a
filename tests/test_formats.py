"""One date format on every page (issue 8, item 7): config/formats/en/formats.py."""

import datetime as dt
import re
from pathlib import Path

from django.conf import settings
from django.template import Context, Template
from django.utils import timezone

TEMPLATES = Path(settings.BASE_DIR) / "templates"
LITERAL_FORMAT = re.compile(r"""\|date:["'](?![A-Z_]+["'])""")


def render(source: str, **values) -> str:
    return Template(source).render(Context(values))


def test_dates_and_moments_render_in_the_one_format():
    moment = timezone.make_aware(dt.datetime(2026, 3, 4, 5, 6, 7))
    day = dt.date(2026, 3, 4)
    assert render("{{ d|date }}", d=day) == "2026-03-04"
    assert render("{{ d }}", d=day) == "2026-03-04"
    assert render('{{ m|date:"DATETIME_FORMAT" }}', m=moment) == "2026-03-04 05:06"
    assert render("{{ m }}", m=moment) == "2026-03-04 05:06"


def test_no_template_writes_its_own_date_format():
    offenders = [
        f"{path.relative_to(TEMPLATES)}:{n}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if LITERAL_FORMAT.search(line)
    ]
    assert offenders == []

"""How the change log shows a record's before and after: bounded, whatever the record holds.

A record keeps the whole values it was given (a record written before the text limits could
hold a 9 MB note). The page reads, and shows, only the first ``FIELDS_SHOWN`` fields of each
side, each key cut to ``KEY_CHARS`` and each value to ``VALUE_CHARS`` characters with an
ellipsis, and says how many fields it left out. The cutting happens in the query
(``bounded``), so neither the page nor the request that builds it grows with the record;
``fields`` (the ``audit_fields`` template filter) words what the query returns.
"""

from __future__ import annotations

from django.db.models import JSONField
from django.db.models.expressions import RawSQL

FIELDS_SHOWN = 12
KEY_CHARS = 64
VALUE_CHARS = 200
ELLIPSIS = "…"


def bounded(column: str) -> RawSQL:
    """``{"fields": [[key, value], ...], "total": n}`` for the JSON ``column`` of the audit
    table: at most ``FIELDS_SHOWN`` fields in their stored order, keys and long values cut
    (one character past the limit, so that ``clip`` knows to add the ellipsis); ``total``
    counts every field. A value that is not a JSON object shows as one field, "value"."""
    col = f'"audit_record"."{column}"'
    cut = VALUE_CHARS + 1
    sql = f"""
        CASE
        WHEN {col} IS NULL THEN NULL
        WHEN jsonb_typeof({col}) = 'object' THEN (
            SELECT jsonb_build_object(
                'fields', COALESCE(jsonb_agg(jsonb_build_array(
                    left(e.key, %s),
                    CASE WHEN length(e.value::text) > %s
                         THEN to_jsonb(left(COALESCE(e.value #>> '{{}}', ''), %s))
                         ELSE e.value END) ORDER BY e.n), '[]'::jsonb),
                'total', (SELECT count(*) FROM jsonb_object_keys({col})))
            FROM (
                SELECT key, value, n FROM jsonb_each({col}) WITH ORDINALITY AS f(key, value, n)
                ORDER BY n LIMIT %s
            ) AS e)
        ELSE jsonb_build_object(
            'fields',
            jsonb_build_array(jsonb_build_array('value', to_jsonb(left({col}::text, %s)))),
            'total', 1)
        END
    """
    return RawSQL(sql, [KEY_CHARS + 1, cut, cut, FIELDS_SHOWN, cut], output_field=JSONField())


def clip(value, limit: int = VALUE_CHARS) -> str:
    """``value`` as text ("—" for none), at most ``limit`` characters and an ellipsis."""
    text = "—" if value is None else str(value)
    return text if len(text) <= limit else text[:limit] + ELLIPSIS


def fields(shown) -> list[tuple[str, str]]:
    """(key, value) pairs to show for what ``bounded`` returned, and a last pair that says
    how many fields were left out."""
    if not isinstance(shown, dict):
        return []
    pairs = [
        (clip(key, KEY_CHARS), clip(value))
        for key, value in (shown.get("fields") or [])[:FIELDS_SHOWN]
    ]
    more = int(shown.get("total") or 0) - len(pairs)
    if more > 0:
        pairs.append((ELLIPSIS, f"and {more:,} more field{'' if more == 1 else 's'}"))
    return pairs

"""Pieces every app's FilterSet shares."""

import django_filters as df

from config.limits import length_message


def bounded_text(label: str, limit: int, **kwargs) -> df.CharFilter:
    """A text search field of at most ``limit`` characters; longer is "Label: at most ..."."""
    return df.CharFilter(
        label=label,
        max_length=limit,
        error_messages={"max_length": length_message(label, limit)},
        **kwargs,
    )

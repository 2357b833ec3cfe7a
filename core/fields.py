"""Model fields that several apps declare the same way."""

from django.db import models

from config.limits import NAME_MAX, length_message


def name_field(**kwargs) -> models.CharField:
    """The name of an operator, reseller, client, account or package: at most NAME_MAX
    characters, and a message that says so."""
    return models.CharField(
        max_length=NAME_MAX,
        error_messages={"max_length": length_message("Name", NAME_MAX)},
        **kwargs,
    )

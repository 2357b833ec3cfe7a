"""The choices of the api app: what a token may do."""

from django.db import models


class Scope(models.TextChoices):
    ROUTING = "routing", "Routing lookups"
    READ = "read", "Read only"
    WRITE = "write", "Read and write"

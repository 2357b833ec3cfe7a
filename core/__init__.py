"""Shared scaffolding below every domain app: pagination, sorts, tables, the generic list / edit
/ delete / bulk edit views, the form-error helper, the count-per-foreign-key helper and the
shared template partials (``templates/core/``). It imports no domain app."""

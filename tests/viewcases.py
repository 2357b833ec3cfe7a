"""The shared view test case (NetBox's ``ViewTestCases``, in pytest): each base class checks one
generic view — list, add, edit, delete, bulk edit — and the tenancy 404 every one of them owes.
A model's test class only supplies its data:

    class TestOperatorViews(ListCase, AddCase, DeleteCase):
        app, model_name, model = "operators", "operator", Operator

        def make(self, world): ...              # an object of ``world``'s reseller
        def valid_data(self, world): ...        # a form that adds (or edits) one
        invalid_data = {"name": ""}             # a form that is refused ...
        invalid_field = "name"                  # ... under this field

URL names follow ``<app>:<model>_list``, ``_add``, ``_edit``, ``_delete``, ``_bulk_edit``. The
fixtures are those of ``tests/conftest.py``: ``as_a`` is logged in as ``world``'s user.
"""

from __future__ import annotations

from django.contrib.messages import get_messages
from django.urls import reverse

from audit.models import AuditRecord


def said(response) -> list[tuple[str, str]]:
    """The messages a response set, as (level, text)."""
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


class ViewCase:
    app = ""
    model_name = ""
    model = None

    def url(self, view: str, *args) -> str:
        return reverse(f"{self.app}:{self.model_name}_{view}", args=args)

    def make(self, world):
        """A new object that belongs to ``world``'s reseller."""
        raise NotImplementedError

    def audited(self, obj, action: str) -> bool:
        return AuditRecord.objects.filter(
            object_type=self.model._meta.model_name, object_id=obj.pk, action=action
        ).exists()


class ListCase(ViewCase):
    def test_list_shows_the_users_rows_and_not_another_resellers(self, as_a, world, other_world):
        mine, theirs = self.make(world), self.make(other_world)
        response = as_a.get(self.url("list"))
        assert response.status_code == 200
        listed = {row.pk for row in response.context["page"].rows}
        assert mine.pk in listed and theirs.pk not in listed
        assert f"Rows 1 - {len(listed)} of {len(listed)}" in response.content.decode()

    def test_list_takes_a_sort_and_a_page_size(self, as_a, world):
        self.make(world)
        response = as_a.get(self.url("list"), {"sort": "-id", "per_page": "50"})
        assert response.status_code == 200
        assert response.context["sort_value"] == "-id" and response.context["per_page"] == 50
        rows = [row.pk for row in response.context["page"].rows]
        assert rows == sorted(rows, reverse=True)


class AddCase(ViewCase):
    invalid_data: dict = {}
    invalid_field = ""

    def valid_data(self, world) -> dict:
        raise NotImplementedError

    def added(self, world, data):
        """The object the valid form added."""
        return self.model.objects.get(name=data["name"])

    def test_add_creates_through_the_service_with_an_audit_record(self, as_a, world):
        data = self.valid_data(world)
        response = as_a.post(self.url("add"), data)
        assert response.status_code == 302, response.content.decode()[:2000]
        obj = self.added(world, data)
        assert self.audited(obj, "create")
        assert [level for level, _text in said(response)] == ["success"]

    def test_an_invalid_add_changes_nothing_and_names_the_field(self, as_a, world):
        before = self.model.objects.count()
        response = as_a.post(self.url("add"), self.invalid_data)
        assert response.status_code == 200
        assert self.invalid_field in response.context["form"].errors
        assert self.model.objects.count() == before


class EditCase(ViewCase):
    edit_field = "name"
    invalid_data: dict = {}
    invalid_field = ""

    def edit_data(self, world, obj) -> dict:
        raise NotImplementedError

    def test_edit_changes_through_the_service_with_an_audit_record(self, as_a, world):
        obj = self.make(world)
        data = self.edit_data(world, obj)
        response = as_a.post(self.url("edit", obj.pk), data)
        assert response.status_code == 302, response.content.decode()[:2000]
        obj.refresh_from_db()
        assert str(getattr(obj, self.edit_field)) == str(data[self.edit_field])
        assert self.audited(obj, "update")

    def test_an_invalid_edit_changes_nothing(self, as_a, world):
        obj = self.make(world)
        before = str(getattr(obj, self.edit_field))
        response = as_a.post(self.url("edit", obj.pk), self.invalid_data)
        assert response.status_code == 200
        assert self.invalid_field in response.context["form"].errors
        obj.refresh_from_db()
        assert str(getattr(obj, self.edit_field)) == before

    def test_another_resellers_object_cannot_be_edited(self, as_a, world, other_world):
        theirs = self.make(other_world)
        before = str(getattr(theirs, self.edit_field))
        assert as_a.get(self.url("edit", theirs.pk)).status_code == 404
        response = as_a.post(self.url("edit", theirs.pk), self.edit_data(other_world, theirs))
        assert response.status_code == 404
        theirs.refresh_from_db()
        assert str(getattr(theirs, self.edit_field)) == before


class DeleteCase(ViewCase):
    def test_delete_previews_then_deletes_with_an_audit_record(self, as_a, world):
        obj = self.make(world)
        preview = as_a.get(self.url("delete", obj.pk))
        assert preview.status_code == 200 and preview.context["preview"] is not None
        assert self.model.objects.filter(pk=obj.pk).exists()
        response = as_a.post(self.url("delete", obj.pk))
        assert response.status_code == 302
        assert not self.model.objects.filter(pk=obj.pk).exists()
        assert self.audited(obj, "delete")
        assert [level for level, _text in said(response)] == ["success"]

    def test_another_resellers_object_cannot_be_deleted(self, as_a, world, other_world):
        theirs = self.make(other_world)
        assert as_a.get(self.url("delete", theirs.pk)).status_code == 404
        assert as_a.post(self.url("delete", theirs.pk)).status_code == 404
        assert self.model.objects.filter(pk=theirs.pk).exists()


class BulkEditCase(ViewCase):
    """``bulk_data``: the bulk edit form; ``changed(obj)``: whether it was applied to ``obj``."""

    def bulk_data(self) -> dict:
        raise NotImplementedError

    def changed(self, obj) -> bool:
        raise NotImplementedError

    def test_bulk_edit_confirms_then_applies_to_the_ticked_rows(self, as_a, world):
        ticked, left = self.make(world), self.make(world)
        data = {"ids": [ticked.pk], **self.bulk_data()}
        confirmation = as_a.post(self.url("bulk_edit"), data)
        assert confirmation.status_code == 200 and confirmation.context["total"] == 1
        assert not self.changed(ticked)
        response = as_a.post(self.url("bulk_edit"), {**data, "confirm": "1"})
        assert response.status_code == 302
        assert self.changed(ticked) and not self.changed(left)

    def test_bulk_edit_of_another_resellers_row_is_a_404(self, as_a, world, other_world):
        theirs = self.make(other_world)
        data = {"ids": [theirs.pk], **self.bulk_data(), "confirm": "1"}
        assert as_a.post(self.url("bulk_edit"), data).status_code == 404
        assert not self.changed(theirs)


class RefusedDeleteCase(ViewCase):
    """For a model whose service refuses some deletes: ``make_undeletable(world)``."""

    def make_undeletable(self, world):
        raise NotImplementedError

    def test_a_refused_delete_is_an_error_never_a_success(self, as_a, world):
        obj = self.make_undeletable(world)
        response = as_a.post(self.url("delete", obj.pk))
        assert response.status_code == 302
        assert self.model.objects.filter(pk=obj.pk).exists()
        assert [level for level, _text in said(response)] == ["error"]

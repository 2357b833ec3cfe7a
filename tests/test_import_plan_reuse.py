"""Import DIDs, speed (issue 9, point 6): the apply reuses the dry run's plan, so the file is
neither read nor decided twice; a plan that is no longer current is made again."""

from pathlib import Path

import pytest
from django.db import connection

from imports import loading, plans, services, writer
from inventory.choices import Status
from inventory.models import DID
from inventory.services import update_dids
from tests.import_support import apply, dry_run, spec

pytestmark = pytest.mark.usefixtures("import_dir")


@pytest.fixture
def loads(monkeypatch):
    """How many times the file was read (``Run.load``)."""
    calls = []
    real = loading.Run.load

    def counted(self):
        calls.append(self.spec.path)
        return real(self)

    monkeypatch.setattr(loading.Run, "load", counted)
    return calls


def file_of(tmp_path, text):
    path = tmp_path / "plan.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize("batch", [100_000, 1], ids=["one statement", "in batches"])
def test_the_apply_reuses_the_dry_runs_plan(world, tmp_path, loads, monkeypatch, batch):
    monkeypatch.setattr(writer, "WRITE_BATCH", batch)
    world.did(Status.IN_STOCK, number="300", tag="old")
    path = file_of(tmp_path, "DID,Status,Tag\n300,archive,new\n301,reserved,a\n30x,,\n")
    dry = services.check(spec(world, path))
    assert plans.meta_path(path).is_file()

    rep = services.apply(spec(world, path), actor=world.actor, only_valid=True)

    assert loads == [path]  # read once, by the dry run
    assert (rep.created, rep.updated, rep.refused) == (dry.created, dry.updated, 1) == (1, 1, 1)
    assert DID.objects.get(number="300").status == Status.ARCHIVE
    assert DID.objects.get(number="300").tag == "new"
    assert DID.objects.get(number="301").status == Status.RESERVED


def test_a_did_changed_since_the_dry_run_makes_the_apply_plan_again(world, tmp_path, loads):
    did = world.did(Status.IN_STOCK, number="310", tag="old")
    path = file_of(tmp_path, "DID,Tag\n310,new\n311,x\n")
    services.check(spec(world, path))
    update_dids(DID.objects.filter(pk=did.pk), {"notes": "edited"}, actor=world.actor)

    services.apply(spec(world, path), actor=world.actor)

    assert loads == [path, path]  # planned again
    did.refresh_from_db()
    assert (did.tag, did.notes) == ("new", "edited")


def test_a_number_created_since_the_dry_run_makes_the_apply_plan_again(world, tmp_path, loads):
    path = file_of(tmp_path, "DID,Tag\n320,x\n")
    services.check(spec(world, path))
    world.did(Status.RESERVED, number="320")

    rep = services.apply(spec(world, path), actor=world.actor)

    assert loads == [path, path]
    assert (rep.created, rep.updated) == (0, 1)
    assert DID.objects.get(number="320").tag == "x"


def test_other_choices_than_the_dry_runs_plan_again(world, tmp_path, loads):
    path = file_of(tmp_path, "DID\n330\n")
    services.check(spec(world, path))
    services.apply(spec(world, path, tag="other default"), actor=world.actor)
    assert loads == [path, path]
    assert DID.objects.get(number="330").tag == "other default"


def test_the_kept_plan_goes_with_the_upload(as_importer, world, import_dir):
    job = dry_run(as_importer, "k.csv", "DID\n340\n")
    path = Path(job.file_path)
    assert plans.meta_path(path).is_file()
    apply(as_importer, job, "all")
    assert not plans.meta_path(path).exists() and not path.exists()
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass(%s)", [plans.table_name(path)])
        assert cur.fetchone()[0] is None

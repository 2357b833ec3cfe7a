"""The benchmark command runs end to end at a tiny scale (no timings are asserted)."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from inventory.models import DID

KEYS = {"name", "ours", "baseline", "ratio", "target", "met", "status"}


@pytest.mark.django_db(transaction=True)
def test_benchmark_at_tiny_scale_reports_every_figure(tmp_path):
    out_path = tmp_path / "bench.json"
    out = io.StringIO()
    call_command(
        "benchmark",
        "--scale",
        "0.001",
        "--json",
        str(out_path),
        "--routing-seconds",
        "1",
        stdout=out,
        stderr=io.StringIO(),
    )
    report = json.loads(out_path.read_text())
    assert report["scale"] == 0.001 and report["dids"] == 1000
    groups = {g["group"]: g for g in report["groups"]}
    assert sorted(groups) == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    for number, group in groups.items():
        assert group["rows"], f"figure {number} has no rows"
        for row in group["rows"]:
            assert set(row) >= KEYS, row
            # Measured, or a path that other work has not built yet; never an error.
            assert row["status"] in ("measured", "not yet built"), row
            if row["status"] == "measured":
                assert row["ours"] is not None, row
    # The baselines are always measured, built or not.
    for number in (1, 2, 3, 5, 6, 7, 8):
        assert groups[number]["rows"][0]["baseline"] is not None, number
    assert groups[7]["rows"][0]["ours"] > 0
    assert all(row["ours"] > 0 for row in groups[8]["rows"])  # the API's list answered
    # Figure 9: the exact count right after creating, ten searches, the list under load.
    rows9 = groups[9]["rows"]
    assert len(rows9) == 13
    assert "of 1,000" in rows9[0]["notes"]
    assert all(row["ours"] > 0 for row in rows9)
    # The printed table names each figure.
    table = out.getvalue()
    assert "create_dids" in table and "Routing lookups" in table and "expire_holds" in table
    assert "GET /api/v1/dids/" in table
    # The inventory it built is left for a look; a second run refuses without --reset.
    assert DID.objects.count() == 1000
    with pytest.raises(CommandError, match="--reset"):
        call_command("benchmark", "--scale", "0.001", stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_benchmark_measures_only_the_figures_asked_for(tmp_path):
    out_path = tmp_path / "bench.json"
    call_command(
        "benchmark",
        "--scale",
        "0.001",
        "--figures",
        "1,6",
        "--json",
        str(out_path),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    groups = json.loads(out_path.read_text())["groups"]
    assert [g["group"] for g in groups if g["rows"]] == [1, 6]
    assert DID.objects.count() == 1000  # the DIDs every figure reads are there
    with pytest.raises(CommandError, match="--figures"):
        call_command("benchmark", "--figures", "one", stdout=io.StringIO(), stderr=io.StringIO())

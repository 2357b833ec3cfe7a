"""Figures 5 and 6: Mass Edit (``lifecycle.change_status``, ``services.update_dids``) and
the hold expiry (``lifecycle.expire_holds``) against plain ``UPDATE ... WHERE``.

A mixin of ``bench.runner.Benchmark``: it uses the run's ``row``, ``say``, ``settle`` and world."""

from __future__ import annotations

import statistics

from inventory import lifecycle
from inventory.choices import Status
from inventory.models import DID
from inventory.services import update_dids

from .helpers import bare, run_sql, scalar, timed
from .report import EVEN_TAG


class LifecycleFigures:
    def fig5_mass_edit(self) -> None:

        tagged = scalar(f"SELECT count(*) FROM {self.did_table} WHERE tag = %s", [EVEN_TAG])
        status_row = self.row(
            5,
            f"Set Status to Reserved on a search of {tagged:,} DIDs (lifecycle.change_status)",
            "s",
            "ratio <= 1.25",
            "ratio_max",
            1.25,
        )
        field_row = self.row(
            5,
            f"Edit notes on the same {tagged:,} DIDs (services.update_dids)",
            "s",
            "ratio <= 1.25",
            "ratio_max",
            1.25,
        )
        status_row.baseline_name = field_row.baseline_name = "plain UPDATE ... WHERE"
        t = self.did_table

        to_reserved = lifecycle.values(
            lifecycle.sources(lifecycle.Trigger.SET_STATUS, Status.RESERVED)
        )
        self.say(f"5: baseline UPDATE status of {tagged:,} DIDs")
        with bare(t):
            status_row.baseline, _ = timed(
                lambda: run_sql(
                    f"UPDATE {t} SET status = %s, updated_at = now() "
                    "WHERE tag = %s AND status = ANY(%s)",
                    [Status.RESERVED.value, EVEN_TAG, to_reserved],
                )
            )
            run_sql(f"UPDATE {t} SET status = %s WHERE tag = %s", [Status.IN_STOCK.value, EVEN_TAG])
        self.settle()
        self.say("5: lifecycle.change_status")
        selection = DID.objects.filter(tag=EVEN_TAG)
        status_row.ours, result = timed(
            lambda: lifecycle.change_status(
                selection, Status.RESERVED, actor=self.actor, strict=False
            )
        )
        status_row.notes = f"moved {result.moved:,}"
        if result.moved != tagged:
            status_row.status = "error: wrong count"
        self.settle()

        self.say("5: baseline UPDATE notes")
        with bare(t):
            field_row.baseline, _ = timed(
                lambda: run_sql(
                    f"UPDATE {t} SET notes = 'edited', updated_at = now() "
                    "WHERE tag = %s AND notes IS DISTINCT FROM 'edited'",
                    [EVEN_TAG],
                )
            )
            run_sql(f"UPDATE {t} SET notes = '' WHERE tag = %s", [EVEN_TAG])
        self.settle()
        self.say("5: services.update_dids")
        field_row.ours, changed = timed(
            lambda: update_dids(selection, {"notes": "edited"}, actor=self.actor)
        )
        field_row.notes = f"changed {changed:,}"
        self.settle()

    # --------------------------------------------------------------------------- figure 6
    def _untagged_selection(self, count: int):
        """The first ``count`` untagged In Stock DIDs, as a queryset (no slicing)."""
        base = DID.objects.filter(tag="", status=Status.IN_STOCK)
        ids = base.order_by("id").values_list("id", flat=True)
        cut = ids[count - 1]
        return base.filter(id__lte=cut)

    def fig6_hold_expiry(self) -> None:
        h = self.size(100_000)
        due = self.row(
            6,
            f"expire_holds, {h:,} DIDs due (with audit rows)",
            "s",
            "ratio <= 1.25",
            "ratio_max",
            1.25,
        )
        idle = self.row(6, "expire_holds, nothing due", "ms", "<= 50 ms", "max", 50)
        due.baseline_name = idle.baseline_name = "plain UPDATE ... WHERE due"
        t = self.did_table
        selection = self._untagged_selection(h)
        ids_sql, ids_params = selection.values("id").query.sql_with_params()
        self.held_ids = (ids_sql, list(ids_params))
        self.say(f"6: setup: assign and hold {h:,} DIDs through the lifecycle")
        lifecycle.assign(
            selection, account=self.account, subscription=self.subscription, actor=self.actor
        )

        held = DID.objects.filter(subscription=self.subscription, status=Status.ACTIVE)
        lifecycle.hold(held, actor=self.actor, strict=False)
        on_hold_value = [Status.ON_HOLD.value]
        run_sql(
            f"UPDATE {t} SET hold_until = now() - interval '1 day' WHERE status = %s", on_hold_value
        )
        on_hold = scalar(f"SELECT count(*) FROM {t} WHERE status = %s", on_hold_value)
        if on_hold != h:
            raise RuntimeError(f"{on_hold:,} DIDs on hold, expected {h:,}")
        self.settle()

        plain_expire = (
            f"UPDATE {t} SET status = after_hold_status, client_id = NULL, account_id = NULL, "
            "subscription_id = NULL, hold_until = NULL, updated_at = now() "
            "WHERE status = %s AND hold_until <= now()"
        )
        self.say("6: baseline plain UPDATE of due holds")
        with bare(t):
            due.baseline, count = timed(lambda: run_sql(plain_expire, on_hold_value))
            if count != h:
                raise RuntimeError(f"baseline expired {count:,}, expected {h:,}")
            # The same state again, for the real thing.
            run_sql(
                f"UPDATE {t} SET status = %s, client_id = %s, account_id = %s, "
                "subscription_id = %s, hold_until = now() - interval '1 day' "
                f"WHERE id IN ({ids_sql})",
                [
                    *on_hold_value,
                    self.client_obj.pk,
                    self.account.pk,
                    self.subscription.pk,
                    *ids_params,
                ],
            )
        self.settle()
        self.say("6: lifecycle.expire_holds")
        due.ours, result = timed(lifecycle.expire_holds)
        due.notes = f"moved {result.moved:,}"
        if result.moved != h:
            due.status = "error: wrong count"
        self.settle()

        runs = 7
        ours_t, base_t = [], []
        for _ in range(runs):
            base_t.append(timed(lambda: run_sql(plain_expire, on_hold_value))[0])
            seconds, result = timed(lifecycle.expire_holds)
            ours_t.append(seconds)
            if result.moved:
                raise RuntimeError("expire_holds moved DIDs when none were due")
        idle.ours = statistics.median(ours_t) * 1000
        idle.baseline = statistics.median(base_t) * 1000
        idle.notes = f"median of {runs}"

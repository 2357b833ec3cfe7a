import json
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from bench.runner import Benchmark, BenchmarkRefused, format_table


class Command(BaseCommand):
    help = (
        "Measure the product's paths at scale (1.0 = 1,000,000 DIDs) against plain baselines "
        "in the same run, and report ours / baseline / ratio / target / met. Starts from "
        "empty DID and audit tables (or --reset)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 1,000,000 DIDs")
        parser.add_argument("--json", dest="json_path", help="also write the results here")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="TRUNCATE the inventory, audit, operator, client, package and subscription "
            "tables first (their data is lost)",
        )
        parser.add_argument(
            "--figures",
            help="only these figures, e.g. 1,5,6,9 (the DIDs they read are created anyway)",
        )
        parser.add_argument(
            "--skip-import-export",
            action="store_true",
            help="leave out figure 2's django-import-export row (it takes minutes)",
        )
        parser.add_argument("--routing-seconds", type=float, help="length of figure 7's run")
        parser.add_argument("--routing-workers", type=int, default=2, help="gunicorn workers")
        parser.add_argument("--routing-threads", type=int, default=2, help="threads per worker")
        parser.add_argument(
            "--routing-clients", type=int, default=4, help="concurrent keep-alive clients"
        )

    def handle(self, *args, **opts):
        if opts["scale"] <= 0:
            raise CommandError("--scale must be positive.")
        figures = None
        if opts["figures"]:
            try:
                figures = frozenset(int(f) for f in opts["figures"].split(","))
            except ValueError as exc:
                raise CommandError("--figures: figure numbers, e.g. 1,5,6,9.") from exc
        # A fresh database (a new clone, or a new EMBEDDED_PG_DATABASE) has no tables yet.
        self.stderr.write("Bringing the database's tables up to date (migrate) ...")
        call_command("migrate", interactive=False, verbosity=0, stdout=self.stderr)
        bench = Benchmark(
            scale=opts["scale"],
            figures=figures,
            import_export=not opts["skip_import_export"],
            reset=opts["reset"],
            routing_seconds=opts["routing_seconds"],
            routing_workers=opts["routing_workers"],
            routing_threads=opts["routing_threads"],
            routing_clients=opts["routing_clients"],
            log=lambda msg: (self.stderr.write(msg), self.stderr.flush()),
        )
        try:
            report = bench.run()
        except BenchmarkRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"\nBenchmark {report['date']}, scale {report['scale']} ({report['dids']:,} DIDs), "
            f"{report['machine']['cpus']} cores, PostgreSQL {report['machine']['postgresql']} "
            f"({report['machine']['database']}), {report['seconds']:.0f} s in all\n"
        )
        load = report["machine"]["load_average_at_start"]
        self.stdout.write(
            f"Load average at start {load[0]:.1f}, at end "
            f"{report['machine']['load_average_at_end'][0]:.1f} (other work on the machine)\n"
        )
        self.stdout.write(format_table(bench.rows) + "\n")
        notes = [r for r in bench.rows if r.notes]
        if notes:
            self.stdout.write("\nNotes:")
            for r in notes:
                self.stdout.write(f"  {r.group}. {r.name}: {r.notes}")
        if opts["json_path"]:
            Path(opts["json_path"]).write_text(json.dumps(report, indent=2) + "\n")
            self.stdout.write(f"\nJSON written to {opts['json_path']}")

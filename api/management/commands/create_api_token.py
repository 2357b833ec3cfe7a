from django.core.management.base import BaseCommand, CommandError

from accounts.models import Reseller
from api import services
from audit.services import Actor


class Command(BaseCommand):
    help = (
        "Create an API token for the routing endpoint and print its key (shown only once). "
        "Without --reseller the token is platform-wide."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="what uses the token, e.g. 'switch-1'")
        parser.add_argument("--reseller", help="reseller name or id; omit for platform-wide")

    def handle(self, *args, name, reseller=None, **options):
        scope = None
        if reseller:
            scope = Reseller.objects.filter(name=reseller).first()
            if scope is None and reseller.isdigit():
                scope = Reseller.objects.filter(pk=int(reseller)).first()
            if scope is None:
                raise CommandError(f"No reseller named or numbered '{reseller}'.")
        token, raw = services.routing_token_create(
            name=name, reseller=scope, actor=Actor.system("manage.py create_api_token")
        )
        where = f"reseller {scope.name}" if scope else "platform-wide"
        self.stderr.write(f"Created API token '{name}' ({where}), prefix {token.prefix}.")
        self.stderr.write("Its key is shown only this once; store it now:")
        self.stdout.write(raw)

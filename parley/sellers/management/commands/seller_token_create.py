from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from parley.catalog.models import DataSource
from parley.core.exceptions import ApplicationError
from parley.sellers import services


class Command(BaseCommand):
    help = "Issue an API token for a seller and print its key (shown this once only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("seller", help="the seller's name or id")
        parser.add_argument("--name", default="api", help="what the token is for (default: api)")

    def handle(self, *args: Any, seller: str, name: str, **options: Any) -> None:
        datasource = DataSource.objects.filter(name=seller).first()
        if datasource is None and seller.isdigit():
            datasource = DataSource.objects.filter(pk=int(seller)).first()
        if datasource is None:
            raise CommandError(f"no seller named or numbered {seller!r}")
        try:
            issued = services.seller_token_create(datasource=datasource, name=name)
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stderr.write(
            f"token {issued.token} issued for {datasource.name}; the key is stored only as a "
            "hash and will not be shown again:"
        )
        self.stdout.write(issued.key)

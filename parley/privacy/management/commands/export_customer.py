"""`manage.py export_customer <id or e-mail>`: the JSON of `GET /users/me/export/`, for an
access request that arrives by post or e-mail (API.md §11)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework.utils.encoders import JSONEncoder

from parley.core.exceptions import ApplicationError
from parley.privacy.selectors import customer_export, customer_or_guest_find


class Command(BaseCommand):
    help = "Print everything Parley holds about one customer, as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "customer",
            help="The account's id or e-mail address; an address that is no account's: "
            "what a guest sent from it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = customer_or_guest_find(options["customer"])
        except ApplicationError as error:
            raise CommandError(error.message) from error
        encoder = JSONEncoder(indent=2, ensure_ascii=False)
        self.stdout.write(encoder.encode(customer_export(user)))

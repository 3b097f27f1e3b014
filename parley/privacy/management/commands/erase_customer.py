"""`manage.py erase_customer <id or e-mail> [--dry-run]` (API.md §11)."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from parley.core.exceptions import ApplicationError
from parley.privacy.selectors import customer_or_guest_find
from parley.privacy.services import Channel, customer_erase


class Command(BaseCommand):
    help = (
        "Erase what Parley holds about one customer, in one transaction, and record it. "
        "--dry-run prints what would change and changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "customer",
            help="The account's id or e-mail address; an address that is no account's: "
            "what a guest sent from it.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Count only; change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = customer_or_guest_find(options["customer"])
            result = customer_erase(user=user, channel=Channel.COMMAND, dry_run=options["dry_run"])
        except ApplicationError as error:
            raise CommandError(error.message) from error
        verb = "would change" if options["dry_run"] else "changed"
        who = f"Account #{user.pk}" if user.pk else f"Guest <{user.email}>"
        self.stdout.write(f"{who}: {verb}")
        self.stdout.write(json.dumps(result.counts, indent=2, sort_keys=True))
        if result.record is not None:
            self.stdout.write(f"Recorded as privacy record #{result.record.pk}.")

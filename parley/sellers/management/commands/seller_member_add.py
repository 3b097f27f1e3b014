import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from parley.accounts.models import User
from parley.catalog.models import DataSource
from parley.core.exceptions import ApplicationError
from parley.sellers import services
from parley.sellers.models import SellerRole


def seller_find(name_or_id: str) -> DataSource:
    datasource = DataSource.objects.filter(name=name_or_id).first()
    if datasource is None and name_or_id.isdigit():
        datasource = DataSource.objects.filter(pk=int(name_or_id)).first()
    if datasource is None:
        raise CommandError(f"no seller named or numbered {name_or_id!r}")
    return datasource


class Command(BaseCommand):
    help = (
        "Make a person a member of a seller's web inbox (/seller/inbox/). A new e-mail address "
        "gets an account whose password is printed once; --remove ends a membership."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("seller", help="the seller's name or id")
        parser.add_argument("email", help="the member's e-mail address")
        parser.add_argument(
            "--role", choices=SellerRole.values, default=SellerRole.AGENT, help="default: agent"
        )
        parser.add_argument("--remove", action="store_true", help="end the membership instead")

    def handle(self, *args: Any, seller: str, email: str, role: str, **options: Any) -> None:
        datasource = seller_find(seller)
        email = email.strip().lower()
        user = User.objects.filter(email=email).first()
        if options["remove"]:
            if user is None or not services.seller_member_remove(datasource=datasource, user=user):
                raise CommandError(f"{email} is not a member of {datasource.name}")
            self.stderr.write(f"{email} is no longer a member of {datasource.name}")
            return
        password = None
        if user is None:
            password = secrets.token_urlsafe(12)
            user = User.objects.create_user(email, password)
        try:
            services.seller_member_add(datasource=datasource, user=user, role=role)
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stderr.write(f"{email} is a member ({role}) of {datasource.name}")
        if password is not None:
            self.stderr.write("a new account was made for this address; its password, shown once:")
            self.stdout.write(password)

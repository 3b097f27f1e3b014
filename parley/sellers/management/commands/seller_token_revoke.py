from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from parley.sellers import keys, services
from parley.sellers.models import SellerToken


class Command(BaseCommand):
    help = "Revoke a seller API token, named by its prefix (the 8 characters after 'psk_')."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prefix", help="the token's prefix; a whole key is accepted too")

    def handle(self, *args: Any, prefix: str, **options: Any) -> None:
        if prefix.startswith(keys.KEY_SCHEME):
            prefix = keys.key_prefix(prefix)
        token = SellerToken.objects.select_related("datasource").filter(prefix=prefix).first()
        if token is None:
            raise CommandError(f"no token with prefix {prefix!r}")
        if token.is_revoked:
            self.stdout.write(f"token {token} was already revoked at {token.revoked_at}")
            return
        token = services.seller_token_revoke(token=token)
        self.stdout.write(f"token {token} of {token.datasource.name} revoked")

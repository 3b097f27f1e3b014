from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from parley.catalog.services import ImportFailed, catalog_import


class Command(BaseCommand):
    help = "Import sellers, products and orders from a JSON Lines file (all or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="A .jsonl file; see docs/catalog-import.md")

    def handle(self, *args: Any, path: str, **options: Any) -> None:
        try:
            with open(path, encoding="utf-8") as lines:
                report = catalog_import(lines=lines)
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error}") from error
        except UnicodeDecodeError as error:
            raise CommandError(f"{path} is not UTF-8: {error}") from error
        except ImportFailed as failure:
            for number, message in failure.report.errors:
                self.stderr.write(f"line {number}: {message}")
            raise CommandError(
                f"{len(failure.report.errors)} bad line(s); nothing was imported."
            ) from failure
        for kind in report.created:
            self.stdout.write(
                f"{kind}s: {report.created[kind]} created, {report.updated[kind]} updated"
            )

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from parley.core.demo import demo_seed


class Command(BaseCommand):
    help = "Create the demo shop (idempotent) and optionally describe it in a JSON file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", metavar="PATH", help="write the description here")

    def handle(self, *args: Any, write: str | None, **options: Any) -> None:
        demo = demo_seed()
        text = json.dumps(demo, indent=2, ensure_ascii=False)
        if write:
            Path(write).parent.mkdir(parents=True, exist_ok=True)
            Path(write).write_text(text + "\n", encoding="utf-8")
            self.stdout.write(f"demo data ready; described in {write}")
        else:
            self.stdout.write(text)

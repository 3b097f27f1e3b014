from typing import Any

from django.core.management.base import BaseCommand

from parley.conversations.services import question_vectors_rebuild


class Command(BaseCommand):
    help = (
        "(Re)compute the similar-questions vector of every public question and drop the "
        "others: for existing data, after changing PARLEY_SIMILAR_MODEL, or after lost jobs."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        computed = question_vectors_rebuild()
        self.stdout.write(f"{computed} question vector(s) computed")

"""The decisions around the check: policies, the forbidden-word pattern's cache, translations."""

import re
from pathlib import Path

import pytest
from constance import config
from django.utils import translation

from parley.accounts.tests.factories import UserFactory
from parley.moderation import services
from parley.moderation.models import ForbiddenWord
from parley.moderation.services import MessageRefused, Sender, message_screen

pytestmark = pytest.mark.django_db

PO = Path(services.__file__).with_name("locale") / "tr" / "LC_MESSAGES" / "django.po"


def test_an_unknown_policy_value_means_block():
    config.MODERATION_POLICY_MESSAGE = "sometimes"

    assert services.policy_get("message") == "block"


def test_the_forbidden_word_pattern_is_compiled_once_and_rebuilt_after_a_change(
    django_assert_num_queries,
):
    ForbiddenWord.objects.create(language="en", word="cash only")
    services.forbidden_words_changed()
    first = services.forbidden_words_pattern()
    with django_assert_num_queries(0):
        assert services.forbidden_words_pattern() is first

    ForbiddenWord.objects.create(language="tr", word="kapora")
    with django_assert_num_queries(0):
        assert services.forbidden_words_pattern() is first  # not told yet
    services.forbidden_words_changed()
    rebuilt = services.forbidden_words_pattern()
    assert rebuilt is not None and rebuilt.search("kapora var") and rebuilt.search("cash only")


def test_inactive_words_are_not_matched():
    ForbiddenWord.objects.create(language="tr", word="kapora", is_active=False)
    services.forbidden_words_changed()

    assert services.forbidden_words_pattern() is None


def test_a_refusal_never_carries_the_text():
    user = UserFactory.create()
    with pytest.raises(MessageRefused) as refused:
        message_screen(
            text="mail: ayse@gmail.com", conversation_type="message", sender=Sender(user_id=user.pk)
        )

    assert refused.value.kinds == ["email"]
    assert "ayse" not in refused.value.message


def _po_entries() -> dict[str, str]:
    text = PO.read_text(encoding="utf-8")
    pairs = re.findall(r'^msgid "(.+)"\nmsgstr "(.+)"$', text, re.MULTILINE)
    return dict(pairs)


def test_the_compiled_turkish_catalogue_matches_the_po_file():
    entries = _po_entries()
    assert len(entries) == 9
    with translation.override("tr"):
        for msgid, msgstr in entries.items():
            assert translation.gettext(msgid) == msgstr, "run compilemessages (see the README)"

"""The registry of what holds personal data (parley/core/privacy.py) covers every model: a
model added with personal-looking fields, or a field added to a registered model, fails here
until its app declares it (its `personal_data.py`)."""

import re

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models

from parley.core.privacy import HOLDERS, NO_PERSONAL_DATA, RETENTION_RULES, Holder

# Field types that hold free text, files or addresses, whatever their name.
PERSONAL_TYPES = (
    models.TextField,
    models.JSONField,
    models.FileField,
    models.EmailField,
    models.GenericIPAddressField,
    models.BinaryField,
)
# Names that say a short text is about a person or written by one.
PERSONAL_NAMES = re.compile(
    r"name|mail|phone|address|subject|message|content|body|text|file|ip|repr|data|note|"
    r"comment|password|gender",
    re.IGNORECASE,
)


def personal_looking(model: type[models.Model]) -> set[str]:
    found = set()
    for field in model._meta.concrete_fields:
        if field.choices:
            continue  # one of a few fixed values, not free text
        free_text = isinstance(field, PERSONAL_TYPES)
        named = isinstance(field, models.CharField) and PERSONAL_NAMES.search(field.name)
        birthday = type(field) is models.DateField and "birth" in field.name
        if free_text or named or birthday:
            found.add(field.name)
    return found


def declared() -> dict[type[models.Model], set[str]]:
    fields: dict[type[models.Model], set[str]] = {}
    for holder in HOLDERS.values():
        for model, names in holder.fields.items():
            fields.setdefault(model, set()).update(names)
        for model, kept in holder.kept.items():
            fields.setdefault(model, set()).update(kept)
    return fields


def test_every_model_with_personal_looking_fields_is_declared():
    registered = declared()
    forgotten = {}
    for model in apps.get_models():
        looks = personal_looking(model)
        if model in NO_PERSONAL_DATA:
            continue
        missing = looks - registered.get(model, set())
        if missing:
            forgotten[model._meta.label] = sorted(missing)
    assert forgotten == {}, (
        "Declare these in the app's personal_data.py (parley/core/privacy.py): "
        "holder_register(...) with the fields and how to export and erase them, or "
        f"no_personal_data(model, why): {forgotten}"
    )


def test_the_walk_would_catch_a_new_model():
    class Complaint(models.Model):
        customer_name = models.CharField(max_length=100)
        details = models.TextField()
        status = models.CharField(max_length=10, choices=[("open", "Open")])

        class Meta:
            app_label = "privacy"

        def __str__(self) -> str:
            return self.customer_name

    try:
        assert personal_looking(Complaint) == {"customer_name", "details"}
        assert Complaint not in NO_PERSONAL_DATA
        assert Complaint not in declared()
    finally:
        apps.all_models["privacy"].pop("complaint")
        apps.clear_cache()


def test_no_model_is_both_holder_and_free_of_personal_data():
    assert set(declared()) & set(NO_PERSONAL_DATA) == set()


@pytest.mark.parametrize("section", sorted(HOLDERS))
def test_a_holders_declared_fields_exist(section: str):
    holder: Holder = HOLDERS[section]
    for model, names in {**holder.fields, **holder.kept}.items():
        assert set(names) <= {field.name for field in model._meta.concrete_fields}, model


@pytest.mark.parametrize("rule", sorted(RETENTION_RULES))
def test_each_retention_rule_reads_a_declared_setting(rule: str):
    setting = RETENTION_RULES[rule].setting
    assert setting in settings.CONSTANCE_CONFIG
    assert settings.CONSTANCE_CONFIG[setting][2] is int


def test_the_retention_defaults_are_those_of_the_contract():
    defaults = {name: value[0] for name, value in settings.CONSTANCE_CONFIG.items()}
    assert defaults["RETENTION_CONTACT_REQUEST_DAYS"] == 730
    assert defaults["RETENTION_ATTACHMENT_FILE_DAYS"] == 365
    assert defaults["RETENTION_SENT_EMAIL_BODY_DAYS"] == 30
    assert defaults["RETENTION_WEBHOOK_DELIVERY_DAYS"] == 30

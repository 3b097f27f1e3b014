"""The one registry of what holds personal data (API.md §11), filled by the apps.

Each app declares, in its `personal_data.py`, every model of its own that holds data about a
customer, with how to export it and how to erase it (`holder_register`), every model that
holds none (`no_personal_data`), and what its retention rules delete (`retention_register`).
`parley.privacy` imports those modules at start-up and builds the export, the erasure and the
daily retention job from this registry alone, so it knows no app's models; the apps never
import `parley.privacy`. A test walks every installed model and fails for one with personal-
looking fields that is declared nowhere, so a new model cannot be forgotten.

Erasure runs every holder's `erase` in one transaction; an `erase` changes rows and leaves the
files it frees in `ErasureContext.files`, which the privacy service deletes after the commit.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy

# What the customer's own words read after an erasure (messages, subjects they wrote). Written
# in the service's default language (LANGUAGE_CODE), which is the shop's.
ERASED_TEXT = gettext_lazy("[deleted at the customer's request]")


@dataclass(frozen=True)
class Guest:
    """Someone without an account, known only by the address they gave: a Contact Us message
    sent without logging in, a guest order. Stands where an `accounts.User` would (`pk` None),
    so that a guest's data is exported and erased by the same holders."""

    email: str
    pk: None = None


@dataclass
class ErasureContext:
    """One erasure: the customer (an `accounts.User`, or a `Guest`), and what is to happen
    after the commit. Holders find a guest's rows by the address alone."""

    user: Any
    email: str  # the address before erasure: anonymous rows are found by it
    files: list[str] = field(default_factory=list)  # storage names to delete after the commit


@dataclass(frozen=True)
class Holder:
    """Personal data held by some models, as one section of the export.

    `fields` names, per model, the fields that hold personal data and that `erase` empties or
    replaces; `kept` names fields that look personal but are not (with why, for the reader).
    `export(user)` returns the section's JSON value in a fixed number of queries; `count(ctx)`
    how many rows an erasure would change (the preview); `erase(ctx)` changes them, adds the
    files they held to `ctx.files` and returns the same count; `files(ctx)` names those files
    beforehand (the preview). `export` None: the rows are copies of what another section
    exports."""

    section: str
    fields: dict[type[models.Model], tuple[str, ...]]
    count: Callable[[ErasureContext], int]
    erase: Callable[[ErasureContext], int]
    export: Callable[[Any], Any] | None = None
    files: Callable[[ErasureContext], list[str]] | None = None
    kept: dict[type[models.Model], dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class RetentionRule:
    """Rows or files older than the number of days in the constance setting `setting` are
    deleted or emptied by `apply(cutoff, files)`, which returns how many and appends to `files`
    the storage names to delete after the commit. 0 days: the rule is off."""

    name: str
    setting: str
    apply: Callable[[datetime, list[str]], int]


HOLDERS: dict[str, Holder] = {}
NO_PERSONAL_DATA: dict[type[models.Model], str] = {}
RETENTION_RULES: dict[str, RetentionRule] = {}


def holder_register(holder: Holder) -> Holder:
    if holder.section in HOLDERS and HOLDERS[holder.section] != holder:
        raise ValueError(f"personal data section {holder.section!r} is registered twice")
    HOLDERS[holder.section] = holder
    return holder


def no_personal_data(model: type[models.Model], why: str) -> None:
    """Declare that `model` holds nothing about a customer, and say why."""
    NO_PERSONAL_DATA[model] = why


def retention_register(rule: RetentionRule) -> RetentionRule:
    RETENTION_RULES[rule.name] = rule
    return rule

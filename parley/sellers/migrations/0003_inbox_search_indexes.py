"""Trigram indexes for the seller inbox's search (`?q=`), on PostgreSQL only.

Django's `icontains` compares `UPPER(col::text) LIKE UPPER(%s)`; a GIN index on
`UPPER(col) gin_trgm_ops` serves that pattern. SQLite has no such index and scans."""

from django.db import migrations

INDEXES = {
    "inbox_search_conv_subject": ("conversations_conversation", "subject"),
    "inbox_search_user_first": ("accounts_user", "first_name"),
    "inbox_search_user_last": ("accounts_user", "last_name"),
    "inbox_search_product_sku": ("catalog_product", "sku"),
    "inbox_search_product_name": ("catalog_product", "name"),
    "inbox_search_order_number": ("catalog_order", "number"),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("sellers", "0002_inbox_members"),
        ("conversations", "0004_read_marks"),
        ("accounts", "0001_initial"),
        ("catalog", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop)]

"""Migrations stay safe for the release that keeps serving while they run."""

from __future__ import annotations

from django.core.management import call_command
from django.db import migrations, models
from django.db.migrations.loader import MigrationLoader

from fastship.migration_operations import AddIndexConcurrently
from fastship.migration_safety import problems


def loaded_with(*seeded: migrations.Migration) -> MigrationLoader:
    """The project's migrations, with ``seeded`` added after shipping's last."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for migration in seeded:
        (leaf,) = loader.graph.leaf_nodes("shipping")
        key = ("shipping", migration.name)
        migration.dependencies = [leaf]  # type: ignore[misc]
        loader.graph.add_node(key, migration)
        loader.graph.add_dependency(migration, key, leaf)
    return loader


def seeded(name: str, *operations: object, **marks: object) -> migrations.Migration:
    migration = type("Migration", (migrations.Migration,), dict(marks))(
        name, "shipping"
    )
    migration.operations = list(operations)
    return migration


def test_the_projects_migrations_are_safe(capsys):
    call_command("check_migrations")
    assert "migrations safe for the running release" in capsys.readouterr().out


def test_a_seeded_unsafe_migration_is_named_with_each_reason():
    unsafe = seeded(
        "0901_unsafe",
        migrations.RemoveField("shipment", "content"),
        migrations.RenameField("shipment", "weight_kg", "weight"),
        migrations.AddField("review", "source", models.CharField(max_length=10)),
        migrations.AlterField(
            "shipmentevent", "location_zip_code", models.CharField(max_length=5)
        ),
        migrations.AlterField("review", "comment", models.IntegerField(default=0)),
        migrations.AddIndex(
            "review", models.Index(fields=["created_at"], name="review_created_idx")
        ),
        migrations.RunPython(migrations.RunPython.noop),
    )
    found = problems(loaded_with(unsafe))
    reasons = {problem.operation: problem.reason for problem in found}
    assert all(p.migration == "shipping.0901_unsafe" for p in found)
    assert len(found) == 7, "\n".join(map(str, found))
    assert "still reads it" in reasons["Remove field content from shipment"]
    assert "still reads it" in reasons["Rename field weight_kg on shipment to weight"]
    assert (
        "NOT NULL column without a database default"
        in reasons["Add field source to review"]
    )
    assert "max_length" in reasons["Alter field location_zip_code on shipmentevent"]
    assert "column's type" in reasons["Alter field comment on review"]
    assert (
        "concurrent"
        in reasons[
            "Create index review_created_idx on field(s) created_at of model review"
        ]
    )
    assert "reviewed" in reasons["Raw Python operation"]


def test_what_expands_the_schema_passes_and_marked_steps_pass():
    safe = seeded(
        "0901_expand",
        migrations.AddField(
            "review", "source", models.CharField(max_length=10, null=True)
        ),
        migrations.AddField(
            "review", "channel", models.CharField(max_length=10, db_default="api")
        ),
        migrations.AlterField(
            "shipmentevent",
            "location_zip_code",
            models.CharField(max_length=20, blank=True),
        ),
        AddIndexConcurrently(
            "review", models.Index(fields=["created_at"], name="review_created_idx")
        ),
        atomic=False,
    )
    contract = seeded(
        "0902_contract",
        migrations.RemoveField("review", "source"),
        migrations.RunPython(migrations.RunPython.noop),
        contract="0901's release stopped writing and reading review.source",
        reviewed="a no-op",
    )
    assert problems(loaded_with(safe, contract)) == []
    # A concurrent build inside a transaction is refused (PostgreSQL would too).
    atomic = seeded(
        "0901_atomic",
        AddIndexConcurrently(
            "review", models.Index(fields=["created_at"], name="review_created_idx")
        ),
    )
    (problem,) = problems(loaded_with(atomic))
    assert "atomic = False" in problem.reason

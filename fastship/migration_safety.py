"""Is a migration safe while the previous release still serves?

In an ECS rolling deploy the migrate task runs first, then the new tasks
replace the old ones one by one: for minutes the previous release's code runs
against the new schema. So a migration may only *expand* the schema:

- no column or table the running code reads may go or be renamed (drop it in
  a later release, after one that stopped reading it: the *contract* step,
  marked on the migration as ``contract = "why nothing reads it any more"``);
- no new NOT NULL column without a database default (the running code
  inserts rows without it);
- no column type change, no NOT NULL added to an existing column, no unique
  or check constraint added (each rewrites or scans the table under a lock
  that stops every write);
- indexes built and dropped concurrently (``fastship.migration_operations``);
- ``RunPython`` / ``RunSQL`` say why they are safe (``reviewed = "..."``).

:func:`problems` names what breaks a rule, per migration;
``manage.py check_migrations`` runs it in ``make test``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import migrations
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState
from django.db.models import NOT_PROVIDED, Field

from fastship import migration_operations as concurrent

# Migrations up to these shipped in releases that have run in production; the
# ones after them are checked. (Earlier ones were reviewed by hand.)
RELEASED = {
    "shipping": "0012_notification_send_stage",
    "requestlog": "0003_partition_by_day",
}
# The column's definition in the database: a change to any of these rewrites
# or re-checks the table (under an ACCESS EXCLUSIVE lock on PostgreSQL).
COLUMN_ATTRIBUTES = ("max_length", "max_digits", "decimal_places", "db_column")
CONCURRENT = (
    concurrent.AddIndexConcurrently,
    concurrent.RemoveIndexConcurrently,
    concurrent.DropFieldIndex,
    concurrent.AddUniqueConstraintConcurrently,
)
CONTRACT = (
    migrations.RemoveField,
    migrations.DeleteModel,
    migrations.RenameField,
    migrations.RenameModel,
    migrations.AlterModelTable,
)
LOCKING = (
    migrations.AddIndex,
    migrations.RemoveIndex,
    migrations.AddConstraint,
    migrations.AlterUniqueTogether,
    migrations.AlterIndexTogether,
)


@dataclass(frozen=True)
class Problem:
    migration: str  # app_label.name
    operation: str
    reason: str

    def __str__(self) -> str:
        return f"{self.migration}: {self.operation}: {self.reason}"


def _column_changed(before: Field, after: Field) -> str | None:
    if type(before) is not type(after):
        return (
            f"changes the column's type ({type(before).__name__} to "
            f"{type(after).__name__}): the table is rewritten under a lock"
        )
    for name in COLUMN_ATTRIBUTES:
        old, new = getattr(before, name, None), getattr(after, name, None)
        if name == "max_length" and old and new and new > old:
            continue  # a longer varchar is a catalogue change on PostgreSQL
        if old != new:
            return f"changes the column's {name}: the table is rewritten under a lock"
    if before.null and not after.null:
        return (
            "makes the column NOT NULL: the whole table is scanned under a lock, "
            "and the running release may still write NULL"
        )
    return None


def check_operation(
    operation: Any, state: ProjectState, app_label: str, migration: Any
) -> Iterator[str]:
    """What is unsafe in one operation, given the project state before it."""
    if isinstance(operation, migrations.SeparateDatabaseAndState):
        for inner in operation.database_operations:
            yield from check_operation(inner, state, app_label, migration)
        return
    if isinstance(operation, CONCURRENT):
        if getattr(migration, "atomic", True):
            yield "builds concurrently, so the migration must set atomic = False"
        return
    if isinstance(operation, CONTRACT):
        if not getattr(migration, "contract", ""):
            yield (
                "the running release still reads it: stop reading it in one "
                "release, drop it in a later one (mark that migration "
                '`contract = "why nothing reads it"`)'
            )
        return
    if isinstance(operation, LOCKING):
        yield (
            "locks the table's writes while it runs on PostgreSQL: build and drop "
            "indexes with fastship.migration_operations' concurrent operations; "
            "add a constraint NOT VALID, then validate it (RunSQL, reviewed)"
        )
        return
    if isinstance(operation, (migrations.RunPython, migrations.RunSQL)):
        if not getattr(migration, "reviewed", ""):
            yield (
                "runs code the check cannot judge: say why it is safe for the "
                'running release (`reviewed = "..."` on the migration)'
            )
        return
    if isinstance(operation, migrations.AddField):
        field = operation.field
        if field.many_to_many or field.null:
            return
        if field.db_default is NOT_PROVIDED:
            yield (
                "adds a NOT NULL column without a database default: the running "
                "release inserts rows without it (give it null=True or db_default)"
            )
        return
    if isinstance(operation, migrations.AlterField):
        model = state.models[app_label, operation.model_name_lower]
        before = model.fields.get(operation.name)
        if before is not None and (reason := _column_changed(before, operation.field)):
            yield reason
        return


def problems(loader: MigrationLoader | None = None) -> list[Problem]:
    """Every rule broken by a migration after :data:`RELEASED`, in graph order."""
    loader = loader or MigrationLoader(None, ignore_no_migrations=True)
    found: list[Problem] = []
    for app_label, released in RELEASED.items():
        checked = [
            key
            for key in loader.graph.forwards_plan(_leaf(loader, app_label))
            if key[0] == app_label and key[1] > released
        ]
        for key in checked:
            migration = loader.graph.nodes[key]
            state = loader.project_state(key, at_end=False)
            for operation in migration.operations:
                for reason in check_operation(operation, state, app_label, migration):
                    found.append(
                        Problem(f"{key[0]}.{key[1]}", operation.describe(), reason)
                    )
                operation.state_forwards(app_label, state)
    return found


def _leaf(loader: MigrationLoader, app_label: str) -> tuple[str, str]:
    (leaf,) = loader.graph.leaf_nodes(app_label)
    return leaf

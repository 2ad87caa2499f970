"""Index operations that never block writes on PostgreSQL, and plain elsewhere.

The previous release keeps serving while a release's migrations run (the
migrate task goes first), so building an index must not lock the table:
``CREATE INDEX CONCURRENTLY`` and ``DROP INDEX CONCURRENTLY`` on PostgreSQL,
which cannot run in a transaction (a migration using these sets
``atomic = False``). SQLite, the embedded default, builds them plainly.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


def _postgres(schema_editor: Any) -> bool:
    return bool(schema_editor.connection.vendor == "postgresql")


class AddIndexConcurrently(migrations.AddIndex):
    """``AddIndex``, built concurrently on PostgreSQL."""

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if _postgres(schema_editor):
            schema_editor.add_index(model, self.index, concurrently=True)
        else:
            schema_editor.add_index(model, self.index)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if _postgres(schema_editor):
            schema_editor.remove_index(model, self.index, concurrently=True)
        else:
            schema_editor.remove_index(model, self.index)

    def describe(self) -> str:
        return f"{super().describe()} (concurrently on PostgreSQL)"


class RemoveIndexConcurrently(migrations.RemoveIndex):
    """``RemoveIndex``, dropped concurrently on PostgreSQL."""

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        index = from_state.models[app_label, self.model_name_lower].get_index_by_name(
            self.name
        )
        if _postgres(schema_editor):
            schema_editor.remove_index(model, index, concurrently=True)
        else:
            schema_editor.remove_index(model, index)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        index = to_state.models[app_label, self.model_name_lower].get_index_by_name(
            self.name
        )
        if _postgres(schema_editor):
            schema_editor.add_index(model, index, concurrently=True)
        else:
            schema_editor.add_index(model, index)

    def describe(self) -> str:
        return f"{super().describe()} (concurrently on PostgreSQL)"


class DropFieldIndex(migrations.AlterField):
    """A field loses its own index (``db_index=False``), because a composite
    index led by the same column serves its lookups: dropped concurrently on
    PostgreSQL; the field itself (and a foreign key's constraint) stay."""

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if not _postgres(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        column = model._meta.get_field(self.name).column
        for name in _single_column_indexes(schema_editor, model, column):
            schema_editor.execute(
                f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(name)}"
            )

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if not _postgres(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.name)
        name = schema_editor._create_index_name(
            model._meta.db_table, [field.column], suffix=""
        )
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {schema_editor.quote_name(name)} "
            f"ON {schema_editor.quote_name(model._meta.db_table)} "
            f"({schema_editor.quote_name(field.column)})"
        )


def _single_column_indexes(schema_editor: Any, model: Any, column: str) -> list[str]:
    """The plain (non-unique) indexes on exactly ``column`` of the model's table."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(
            cursor, model._meta.db_table
        )
    return [
        name
        for name, info in constraints.items()
        if info["index"]
        and not info["unique"]
        and not info["primary_key"]
        and info["columns"] == [column]
    ]


class AddUniqueConstraintConcurrently(migrations.AddConstraint):
    """A partial ``UniqueConstraint`` (one with a ``condition``: PostgreSQL
    keeps it as a unique index), built with ``CREATE UNIQUE INDEX
    CONCURRENTLY``: the table takes writes while it is built. A duplicate
    already there fails the build (and leaves an invalid index to drop)."""

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if getattr(self.constraint, "condition", None) is None:
            raise ValueError("only a partial unique constraint is an index")
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if not _postgres(schema_editor):  # SQLite: as AddConstraint does
            schema_editor.add_constraint(model, self.constraint)
            return
        sql = str(self.constraint.create_sql(model, schema_editor))
        head = "CREATE UNIQUE INDEX "
        if not sql.startswith(head):
            raise ValueError(f"not a unique index: {sql}")
        schema_editor.execute(head + "CONCURRENTLY " + sql.removeprefix(head))

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if _postgres(schema_editor):
            name = schema_editor.quote_name(self.constraint.name)
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        else:
            schema_editor.remove_constraint(model, self.constraint)

    def describe(self) -> str:
        return f"{super().describe()} (a unique index, concurrently on PostgreSQL)"

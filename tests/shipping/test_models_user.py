"""The custom user model: email is the login, unique whatever its case."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.db import IntegrityError, connection

from shipping.models import User


@pytest.mark.django_db
class TestUser:
    def test_email_is_stored_lower_case(self):
        """An email is normalised to lower case on creation."""
        user = User.objects.create_user("Ada@Example.COM", "correct-horse-42")
        assert user.email == "ada@example.com"

    def test_login_ignores_case(self):
        """A user logs in whatever the case of the typed email."""
        User.objects.create_user("ada@example.com", "correct-horse-42")
        assert (
            authenticate(username="ADA@example.com", password="correct-horse-42")
            is not None
        )

    def test_duplicate_email_in_other_case_is_refused(self):
        """Two accounts cannot share an email that differs only in case."""
        User.objects.create_user("ada@example.com", "x")
        with pytest.raises(IntegrityError):
            User.objects.create_user("ADA@EXAMPLE.COM", "y")

    def test_database_constraint_holds_without_python(self):
        """The case-insensitive uniqueness is enforced by the database itself."""
        User.objects.create_user("grace@example.com", "x")
        table = User._meta.db_table
        with pytest.raises(IntegrityError), connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (password, is_superuser, email, name, is_active, "
                "is_staff, date_joined) "
                "VALUES ('x', false, 'GRACE@example.com', '', true, "
                "false, CURRENT_TIMESTAMP)"
            )

    def test_superuser_is_staff(self):
        """A superuser is staff."""
        admin = User.objects.create_superuser("root@example.com", "pw-long-enough-1")
        assert admin.is_staff
        assert admin.is_superuser

    def test_email_required(self):
        """An empty email is refused."""
        with pytest.raises(ValueError, match="email"):
            User.objects.create_user("  ", "x")

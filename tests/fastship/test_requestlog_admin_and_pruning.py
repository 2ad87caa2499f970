"""Operators: the read-only admin of request logs, and pruning by age."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from fastship.requestlog.models import RequestLog


def make_log(
    *, days_ago: float = 0, status: int = 200, path: str = "/api/v1/"
) -> RequestLog:
    return RequestLog.objects.create(
        record_id=uuid.uuid4(),
        request_id=uuid.uuid4().hex,
        started_at=timezone.now() - timedelta(days=days_ago),
        method="GET",
        path=path,
        status_code=status,
        duration_ms=1.0,
    )


@pytest.mark.django_db
class TestAdmin:
    def test_list_filters_and_search(self, admin_client):
        """Staff see the list, filter by status and search by path or request id."""
        ok = make_log(path="/api/v1/shipments/")
        make_log(status=404, path="/nope")
        page = admin_client.get("/admin/requestlog/requestlog/")
        assert page.status_code == 200
        filtered = admin_client.get("/admin/requestlog/requestlog/?status_code=404")
        assert b"/nope" in filtered.content
        assert b"/api/v1/shipments/" not in filtered.content
        by_method = admin_client.get("/admin/requestlog/requestlog/?method=GET")
        assert by_method.status_code == 200
        searched = admin_client.get(f"/admin/requestlog/requestlog/?q={ok.request_id}")
        assert ok.request_id.encode() in searched.content
        assert b"/nope" not in searched.content

    def test_read_only(self, admin_client):
        """Nobody adds, changes or deletes request logs in the admin."""
        log = make_log()
        assert admin_client.get("/admin/requestlog/requestlog/add/").status_code == 403
        change = admin_client.post(
            f"/admin/requestlog/requestlog/{log.pk}/change/", {"path": "/edited"}
        )
        assert change.status_code == 403
        delete = admin_client.post(
            f"/admin/requestlog/requestlog/{log.pk}/delete/", {"post": "yes"}
        )
        assert delete.status_code == 403
        log.refresh_from_db()
        assert log.path == "/api/v1/"


@pytest.mark.django_db
def test_prune_deletes_only_old_records(capsys):
    """Pruning removes records older than the retention and keeps the rest."""
    old = [make_log(days_ago=40) for _ in range(3)]
    recent = make_log(days_ago=5)
    call_command("prune_request_logs", "--older-than-days", "30")
    assert "deleted 3" in capsys.readouterr().out
    assert list(RequestLog.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not RequestLog.objects.filter(pk__in=[log.pk for log in old]).exists()

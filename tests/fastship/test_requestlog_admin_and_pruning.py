"""Operators: the read-only admin of request logs, and pruning by age."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from fastship.requestlog import partitions
from fastship.requestlog.models import RequestLog


def make_log(
    *, days_ago: float = 0, status: int = 200, path: str = "/api/v1/"
) -> RequestLog:
    started_at = timezone.now() - timedelta(days=days_ago)
    # On PostgreSQL the day's partition must exist (the store job makes one).
    partitions.partitions_ensure(days=[started_at.date()])
    return RequestLog.objects.create(
        record_id=uuid.uuid4(),
        request_id=uuid.uuid4().hex,
        started_at=started_at,
        method="GET",
        path=path,
        status_code=status,
        duration_ms=1.0,
    )


@pytest.mark.django_db
class TestAdmin:
    def test_list_filters_and_search(self, admin_client):
        """Staff filter by status class and method, and search by request id,
        status code or path prefix (each on an index)."""
        ok = make_log(path="/api/v1/shipments/")
        make_log(status=404, path="/nope")
        page = admin_client.get("/admin/requestlog/requestlog/")
        assert page.status_code == 200
        lists = "/admin/requestlog/requestlog/"
        for query in ("?status=4xx", "?q=404", "?q=/no"):
            filtered = admin_client.get(lists + query)
            assert b"/nope" in filtered.content, query
            assert b"/api/v1/shipments/" not in filtered.content, query
        by_method = admin_client.get(lists + "?method=POST")
        assert b"/nope" not in by_method.content
        assert b"/api/v1/shipments/" not in by_method.content
        searched = admin_client.get(f"{lists}?q={ok.request_id}")
        assert ok.request_id.encode() in searched.content
        assert b"/nope" not in searched.content
        for odd in ("?status=9xx", "?method=BREW", "?q=%E2%80%8B"):
            assert admin_client.get(lists + odd).status_code == 200, odd
        assert admin_client.get(lists + "?q=%00").status_code == 400

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


@pytest.mark.django_db(transaction=True)  # PostgreSQL detaches concurrently
def test_prune_deletes_only_old_records(capsys):
    """Pruning removes records older than the retention and keeps the rest."""
    old = [make_log(days_ago=40) for _ in range(3)]
    recent = make_log(days_ago=5)
    call_command("prune_request_logs", "--older-than-days", "30")
    assert "deleted 3" in capsys.readouterr().out
    assert list(RequestLog.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not RequestLog.objects.filter(pk__in=[log.pk for log in old]).exists()

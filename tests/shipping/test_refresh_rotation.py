"""A refresh token is single-use, also when it is sent several times at once."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import seller_make

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_simultaneous_refreshes_with_one_token_give_one_new_pair():
    """Six refreshes at once with one token: one 200, the others 401."""
    user = seller_make(email="rotate@example.com").user
    refresh = str(RefreshToken.for_user(user))
    start = threading.Barrier(6)
    statuses: list[int] = []
    lock = threading.Lock()

    def refresh_once() -> None:
        try:
            start.wait(timeout=10)
            answer = APIClient().post(
                "/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json"
            )
            with lock:
                statuses.append(answer.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=refresh_once) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [200, 401, 401, 401, 401, 401]

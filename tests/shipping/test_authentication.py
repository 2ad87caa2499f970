"""Bearer tokens: the compiled user lookup keeps every check simplejwt makes."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework_simplejwt.tokens import AccessToken

from shipping.models import User
from tests.factories import bearer, seller_make

pytestmark = pytest.mark.django_db


def me(client, header: dict[str, str]):
    return client.get("/api/v1/me/", **header)


def refused(answer, reason: str) -> None:
    """A 401 in the error format, saying why (codes as simplejwt's class gave)."""
    assert answer.status_code == 401, answer.content
    (error,) = answer.json()["errors"]
    assert error["code"] == "authentication_failed"
    assert reason in error["detail"]


def test_the_token_authenticates_its_user_with_one_query(client):
    seller = seller_make()
    header = bearer(seller)
    with CaptureQueriesContext(connection) as queries:
        answer = me(client, header)
    assert answer.status_code == 200, answer.content
    assert answer.json()["email"] == seller.user.email
    user_queries = [q for q in queries if 'FROM "shipping_user"' in q["sql"]]
    assert len(user_queries) == 1


def test_an_inactive_or_deleted_user_is_refused(client):
    seller = seller_make()
    header = bearer(seller)
    User.objects.filter(pk=seller.pk).update(is_active=False)
    refused(me(client, header), "inactive")
    other = seller_make()
    header = bearer(other)
    other.user.delete()
    refused(me(client, header), "not found")


def test_a_changed_password_revokes_the_token(client):
    seller = seller_make()
    header = bearer(seller)
    seller.user.set_password("another-horse-battery-43")
    seller.user.save()
    refused(me(client, header), "password has been changed")


@pytest.mark.parametrize("claim", ["", "12abc", "١٢", "-1", None])
def test_a_signed_token_without_a_usable_user_id_is_401(client, claim):
    seller = seller_make()
    token = AccessToken.for_user(seller.user)
    if claim is None:
        del token["user_id"]
    else:
        token["user_id"] = claim
    answer = me(client, {"HTTP_AUTHORIZATION": f"Bearer {token}"})
    assert answer.status_code == 401, answer.content
    assert answer.json()["type"] == "client_error"


def test_a_verified_token_is_still_refused_once_it_expires(client):
    seller = seller_make()
    token = AccessToken.for_user(seller.user)
    # Long enough for the first request on a loaded machine (it takes ~50 ms).
    token.set_exp(lifetime=timedelta(seconds=3))
    header = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert me(client, header).status_code == 200  # verified, and remembered
    time.sleep(max(0.0, token["exp"] - time.time()) + 0.2)  # until it has expired
    refused(me(client, header), "invalid or expired")


def test_a_forged_signature_is_refused_beside_a_verified_token(client):
    seller = seller_make()
    token = str(AccessToken.for_user(seller.user))
    assert me(client, {"HTTP_AUTHORIZATION": f"Bearer {token}"}).status_code == 200
    head, payload, signature = token.split(".")
    forged = f"{head}.{payload}.{signature[::-1]}"
    refused(me(client, {"HTTP_AUTHORIZATION": f"Bearer {forged}"}), "invalid")

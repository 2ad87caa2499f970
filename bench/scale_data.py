"""Datasets at the sizes real sellers reach, built with bulk SQL in seconds.

One seller (and the one partner that carries its parcels) per size; the
shipments, their timeline and their tags are inserted by ``INSERT ... SELECT
generate_series`` in the rows the models write: about 1.65 events per
shipment, 20 % tagged, mostly delivered, newest a few minutes old and one
every 30 seconds before that. A million shipments take about a minute. The
accounts themselves are made by the services, so they log in as any others.

Used by ``bench/scale.py`` (``make bench-scale``) and by the plan tests
(``tests/shipping/test_query_plans.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

# Status by position (i % 20): 16 delivered, 1 cancelled, 1 each in flight.
STATUSES = [
    *["delivered"] * 16,
    "cancelled",
    "placed",
    "in_transit",
    "out_for_delivery",
]
ACTIVE = ("placed", "in_transit", "out_for_delivery")
SECONDS_APART = 30


@dataclass(frozen=True)
class Owner:
    """The seller and the partner that own one dataset, by user id."""

    seller_id: int
    partner_id: int
    size: int


def _account(connection: psycopg.Connection, email: str, role: str) -> int:
    """A verified user with this email (made by SQL, password unusable)."""
    row = connection.execute(
        "SELECT id FROM shipping_user WHERE email = %s", [email]
    ).fetchone()
    if row:
        return int(row[0])
    row = connection.execute(
        """
        INSERT INTO shipping_user (password, email, name, role, email_verified_at,
            is_active, is_staff, is_superuser, date_joined)
        VALUES ('!', %s, %s, %s, now(), true, false, false, now()) RETURNING id
        """,
        [email, email.split("@")[0].replace("-", " ").title(), role],
    ).fetchone()
    assert row is not None
    return int(row[0])


def owner_for(connection: psycopg.Connection, size: int) -> Owner:
    """The seller and partner of the dataset of ``size`` (made if missing)."""
    seller_id = _account(connection, f"scale-seller-{size}@example.com", "seller")
    partner_id = _account(connection, f"scale-partner-{size}@example.com", "partner")
    connection.execute(
        "INSERT INTO shipping_seller (user_id, address, zip_code) "
        "VALUES (%s, '1 Scale Road', '10115') ON CONFLICT DO NOTHING",
        [seller_id],
    )
    connection.execute(
        "INSERT INTO shipping_deliverypartner (user_id, max_handling_capacity, "
        "active_shipments, approved_at) VALUES (%s, 2000000000, 0, now()) "
        "ON CONFLICT DO NOTHING",
        [partner_id],
    )
    connection.execute(
        "INSERT INTO shipping_serviceablezipcode (partner_id, zip_code) "
        "VALUES (%s, %s) ON CONFLICT DO NOTHING",
        [partner_id, f"S{size}"[:10]],
    )
    return Owner(seller_id, partner_id, size)


def shipments_of(connection: psycopg.Connection, owner: Owner) -> int:
    row = connection.execute(
        "SELECT count(*) FROM shipping_shipment WHERE seller_id = %s",
        [owner.seller_id],
    ).fetchone()
    return int(row[0]) if row else 0


def fill(connection: psycopg.Connection, owner: Owner) -> None:
    """Insert the dataset's shipments, events and tags (all of them, once)."""
    statuses = "ARRAY[" + ",".join(f"'{s}'" for s in STATUSES) + "]"
    params = {
        "seller": owner.seller_id,
        "partner": owner.partner_id,
        "size": owner.size,
        "salt": f"scale-{owner.size}-",
        "zip": f"S{owner.size}"[:10],
        "apart": SECONDS_APART,
    }
    # Row i is i * 30 s older than the newest (made a few minutes ago).
    connection.execute(
        f"""
        INSERT INTO shipping_shipment (id, tracking_code, status, content, weight_kg,
            destination_zip_code, recipient_email, recipient_phone,
            estimated_delivery, created_at, updated_at, delivery_partner_id,
            seller_id)
        SELECT md5(%(salt)s || i)::uuid,
               'SC' || upper(substr(md5('code' || %(salt)s || i), 1, 24)),
               ({statuses})[1 + i %% 20],
               'parcel ' || i,
               1 + (i %% 24),
               %(zip)s,
               'recipient-' || (i %% 5000) || '@example.org',
               '',
               now() - make_interval(secs => i * %(apart)s) + interval '2 days',
               now() - interval '5 minutes' - make_interval(secs => i * %(apart)s),
               least(now() - interval '1 minute', now() - interval '5 minutes'
                   - make_interval(secs => i * %(apart)s)
                   + make_interval(secs => (i %% 97) * 3600)),
               %(partner)s,
               %(seller)s
        FROM generate_series(1, %(size)s) AS i
        """,
        params,
    )
    # Every shipment was placed; 65 % moved on once more (an event an hour on).
    connection.execute(
        """
        INSERT INTO shipping_shipmentevent (shipment_id, status, location_zip_code,
            description, created_at)
        SELECT id, 'placed', '10115', 'Shipment placed', created_at
        FROM shipping_shipment WHERE seller_id = %(seller)s
        """,
        params,
    )
    connection.execute(
        """
        INSERT INTO shipping_shipmentevent (shipment_id, status, location_zip_code,
            description, created_at)
        SELECT id, status, %(zip)s, 'Moved on', created_at + interval '1 hour'
        FROM shipping_shipment
        WHERE seller_id = %(seller)s AND status <> 'placed'
          AND abs(hashtext(id::text)) %% 100 < 69
        """,
        params,
    )
    # 20 % carry one tag, spread over the seeded tags.
    connection.execute(
        """
        INSERT INTO shipping_shipment_tags (shipment_id, tag_id)
        SELECT s.id, t.id
        FROM shipping_shipment s
        JOIN (SELECT id, row_number() OVER (ORDER BY name) - 1 AS n
              FROM shipping_tag) t
          ON t.n = abs(hashtext(s.id::text || 'tag')) %% 10
        WHERE s.seller_id = %(seller)s AND abs(hashtext(s.id::text)) %% 5 = 0
        """,
        params,
    )
    connection.execute(
        """
        UPDATE shipping_deliverypartner SET active_shipments = (
            SELECT count(*) FROM shipping_shipment
            WHERE delivery_partner_id = %(partner)s AND status = ANY(%(active)s))
        WHERE user_id = %(partner)s
        """,
        {**params, "active": list(ACTIVE)},
    )


def build(database_url: str, sizes: list[int], *, say=print) -> dict[int, Owner]:
    """Make sure a seller with exactly each of ``sizes`` shipments exists."""
    owners = {}
    with psycopg.connect(database_url, autocommit=True) as connection:
        for size in sizes:
            owner = owner_for(connection, size)
            trim(connection, owner)
            have = shipments_of(connection, owner)
            if have != size:
                if have:
                    say(f"  {size:,}: {have:,} found, building anew")
                    _empty(connection, owner)
                say(f"  {size:,} shipments for one seller: inserting")
                with connection.transaction():
                    fill(connection, owner)
            owners[size] = owner
        # Fresh rows have no planner statistics and no visibility map yet.
        connection.execute("VACUUM ANALYZE")
    return owners


def trim(connection: psycopg.Connection, owner: Owner) -> int:
    """Delete what the bench's creates added to a dataset (back to its size)."""
    with connection.transaction():
        made = "SELECT id FROM shipping_shipment WHERE seller_id = %s AND content = 'bench'"
        for table in ("shipping_shipmentevent", "shipping_shipment_tags"):
            connection.execute(
                f"DELETE FROM {table} WHERE shipment_id IN ({made})",
                [owner.seller_id],
            )
        gone = connection.execute(
            "DELETE FROM shipping_shipment WHERE seller_id = %s AND content = 'bench'",
            [owner.seller_id],
        ).rowcount
        connection.execute(
            "UPDATE shipping_deliverypartner SET active_shipments = (SELECT count(*) "
            "FROM shipping_shipment WHERE delivery_partner_id = %(partner)s AND "
            "status = ANY(%(active)s)) WHERE user_id = %(partner)s",
            {"partner": owner.partner_id, "active": list(ACTIVE)},
        )
    return gone


def _empty(connection: psycopg.Connection, owner: Owner) -> None:
    with connection.transaction():
        for table in ("shipping_shipmentevent", "shipping_shipment_tags"):
            connection.execute(
                f"DELETE FROM {table} WHERE shipment_id IN "
                "(SELECT id FROM shipping_shipment WHERE seller_id = %s)",
                [owner.seller_id],
            )
        connection.execute(
            "DELETE FROM shipping_shipment WHERE seller_id = %s", [owner.seller_id]
        )

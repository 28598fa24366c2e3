"""Row-level security on every table that holds a customer's data, and the narrow identity functions.

A dealer sees a customer only through its own relationship to that customer (or as the dealer that first
recorded it); everything hanging off a customer is visible exactly when the customer is. History tables
follow their source tables. Network-wide scope (OEM admin, call centre, explicitly scoped jobs) sees all.
"""

from django.conf import settings
from django.db import migrations

from crm.core.rls import SCOPE_DEALERS, policy_reverse_sql, policy_sql, visible_through

ALL = "crm_scope_all()"


def customer_visible(id_column: str) -> str:
    return (
        f"{ALL} OR origin_dealer_id = {SCOPE_DEALERS} OR EXISTS (SELECT 1 FROM customers_customerdealer AS link "
        f"WHERE link.customer_id = {id_column} AND link.dealer_id = {SCOPE_DEALERS})"
    )


def through_customer(column: str) -> str:
    return f"{ALL} OR {visible_through('customers_customer', column)}"


VEHICLE = (
    f"{ALL} OR recorded_by_dealer_id = {SCOPE_DEALERS} OR selling_dealer_id = {SCOPE_DEALERS} "
    f"OR {visible_through('customers_customer', 'owner_id')}"
)

POLICIES = {
    "customers_customerdealer": f"{ALL} OR dealer_id = {SCOPE_DEALERS}",
    "customers_customer": customer_visible("customers_customer.id"),
    "customers_customerevent": customer_visible("customers_customerevent.pgh_obj_id"),
    "customers_contactpoint": through_customer("customer_id"),
    "customers_contactpointevent": through_customer("customer_id"),
    "customers_consent": through_customer("customer_id"),
    "customers_consentevent": through_customer("customer_id"),
    "customers_vehicle": VEHICLE,
    "customers_vehicleevent": VEHICLE,
    "customers_duplicatecandidate": (
        f"{ALL} OR ({visible_through('customers_customer', 'customer_id')} "
        f"AND {visible_through('customers_customer', 'other_id')})"
    ),
    "customers_customermerge": through_customer("survivor_id"),
    "timeline_timelineevent": (
        f"{ALL} OR dealer_id = {SCOPE_DEALERS} "
        f"OR (dealer_id IS NULL AND {visible_through('customers_customer', 'customer_id')})"
    ),
    "timeline_eventdelivery": ALL,
}


def identity_functions_sql() -> str:
    identity = settings.CRM_IDENTITY_DB_ROLE
    app = settings.CRM_APP_DB_ROLE
    return f"""
    GRANT USAGE, CREATE ON SCHEMA public TO "{identity}";
    GRANT SELECT ON customers_contactpoint, customers_customer TO "{identity}";

    -- "Is this person already a customer anywhere in the network?" Answers only an id, never data.
    CREATE OR REPLACE FUNCTION crm_identity_match(p_phones text[], p_emails text[]) RETURNS bigint
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
            SELECT c.id
            FROM customers_contactpoint cp JOIN customers_customer c ON c.id = cp.customer_id
            WHERE c.merged_into_id IS NULL
              AND ((cp.kind = 'phone' AND cp.value = ANY (p_phones))
                   OR (cp.kind = 'email' AND cp.value = ANY (p_emails)))
            ORDER BY (cp.kind = 'phone') DESC, c.id
            LIMIT 1
        $$;

    -- Possible duplicates: same last digits of a phone and a close name (trigram similarity; for Chinese
    -- names, which are two or three characters, the same family name). Answers ids and a score only.
    CREATE OR REPLACE FUNCTION crm_identity_candidates(p_name text, p_phone_tail text, p_exclude bigint)
        RETURNS TABLE (customer_id bigint, score real)
        LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
        BEGIN
            IF p_phone_tail !~ '^[0-9]{{4,}}$' THEN
                RETURN;
            END IF;
            RETURN QUERY EXECUTE format(
                'SELECT c.id, max(similarity(c.name, $1))::real
                 FROM customers_contactpoint cp JOIN customers_customer c ON c.id = cp.customer_id
                 WHERE cp.kind = ''phone'' AND reverse(cp.value) LIKE %L
                   AND c.merged_into_id IS NULL AND c.id <> $2
                   AND (similarity(c.name, $1) >= 0.3
                        OR ($1 ~ ''^[\\u4e00-\\u9fff]'' AND left(c.name, 1) = left($1, 1)))
                 GROUP BY c.id ORDER BY 2 DESC LIMIT 10',
                reverse(p_phone_tail) || '%'
            ) USING p_name, p_exclude;
        END
        $$;

    ALTER FUNCTION crm_identity_match(text[], text[]) OWNER TO "{identity}";
    ALTER FUNCTION crm_identity_candidates(text, text, bigint) OWNER TO "{identity}";
    REVOKE ALL ON FUNCTION crm_identity_match(text[], text[]) FROM PUBLIC;
    REVOKE ALL ON FUNCTION crm_identity_candidates(text, text, bigint) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION crm_identity_match(text[], text[]) TO "{app}";
    GRANT EXECUTE ON FUNCTION crm_identity_candidates(text, text, bigint) TO "{app}";
    """


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0002_initial"),
        ("timeline", "0001_initial"),
        ("core", "0001_privileges_and_scope"),
    ]

    operations = [
        *[migrations.RunSQL(policy_sql(table, expression), policy_reverse_sql(table)) for table, expression in POLICIES.items()],
        migrations.RunSQL(
            identity_functions_sql(),
            "DROP FUNCTION IF EXISTS crm_identity_match(text[], text[]);"
            "DROP FUNCTION IF EXISTS crm_identity_candidates(text, text, bigint);",
        ),
    ]

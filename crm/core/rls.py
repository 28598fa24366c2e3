"""SQL for PostgreSQL row-level security policies, used by migrations.

Every dealer-scoped table gets ENABLE + FORCE (so even the owner is bound) and one policy whose
expression reads the transaction's scope (crm_scope_all(), crm_scope_dealers(); see crm/core/scope.py).
"""

SCOPE_DEALERS = "ANY (crm_scope_dealers())"


def policy_sql(table: str, expression: str) -> str:
    return f"""
    ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
    ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
    DROP POLICY IF EXISTS crm_scope ON {table};
    CREATE POLICY crm_scope ON {table} USING ({expression}) WITH CHECK ({expression});
    """


def policy_reverse_sql(table: str) -> str:
    return f"""
    DROP POLICY IF EXISTS crm_scope ON {table};
    ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY;
    ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;
    """


def visible_through(table: str, column: str) -> str:
    """True when the row that `column` points to in `table` is visible: its own policy decides."""
    return f"EXISTS (SELECT 1 FROM {table} AS parent WHERE parent.id = {column})"

"""Trigger-based history (django-pghistory): inserts, updates and deletes are recorded by PostgreSQL itself,
so bulk updates and raw SQL are caught too. The request middleware adds who and where as context."""

import pghistory


def tracked(**options):
    # Fresh tracker instances per model: pghistory must not share them between models.
    return pghistory.track(
        pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), **options
    )

"""Beat's appointment jobs: thin, safe to run twice (the services lock each row and check its status)."""

from celery import shared_task

from service.appointments import services


@shared_task(name="service.appointments.tasks.appointments_mark_no_shows", acks_late=True)
def appointments_mark_no_shows() -> int:
    return services.appointments_mark_no_shows()


@shared_task(name="service.appointments.tasks.appointment_reminders_queue", acks_late=True)
def appointment_reminders_queue() -> int:
    return services.appointment_reminders_queue()

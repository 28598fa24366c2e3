import pytest

from crm.messaging.channels import channel_for
from tests.messaging.peers import SMS_API_KEY, sms_simulator_process, smtp_sink_process


@pytest.fixture
def sms_gateway(settings):
    """The SMS simulator as a real process; the outbox's SMS channel points at it."""
    with sms_simulator_process() as url:
        settings.SMS_PROVIDER_URL, settings.SMS_PROVIDER_KEY = url, SMS_API_KEY
        channel_for.cache_clear()
        yield url
    channel_for.cache_clear()


@pytest.fixture
def smtp_sink(settings):
    """The SMTP sink as a real process; Django's SMTP backend sends to it. Yields its status URL."""
    with smtp_sink_process() as (port, url):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        channel_for.cache_clear()
        yield url
    channel_for.cache_clear()


@pytest.fixture(autouse=True)
def no_quiet_hours(settings):
    """Tests run at any hour: quiet hours are switched off unless a test sets them."""
    settings.MESSAGING_QUIET_HOURS = ("00:00", "00:00")

"""Email through Django's email backends (SMTP in production, a local SMTP sink in development and tests)."""

import contextlib
import email.policy
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from crm.messaging.channels import BaseChannel
from crm.messaging.exceptions import PermanentFailure, TemporaryFailure
from crm.messaging.services.links import unsubscribe_url

# Headers written on one line whatever their length (up to the 998 characters RFC 5322 allows a line).
UNFOLDED_HEADERS = frozenset({"list-unsubscribe"})


class _Policy(email.policy.EmailPolicy):
    """The given policy, except that List-Unsubscribe stays one plain `<https://…>` line. Folding a long
    address, which has no space to fold at, turns it into RFC 2047 encoded words, and mailbox providers
    then ignore the header (RFC 2369 wants the address as it is)."""

    def _plain(self, name: str, value) -> str | None:
        text = str(value)
        if name.lower() in UNFOLDED_HEADERS and text.isascii() and "\r" not in text and "\n" not in text:
            line = f"{name}: {text}"
            if len(line) <= 998:
                return line + self.linesep
        return None

    def fold(self, name, value):
        return self._plain(name, value) or super().fold(name, value)

    def fold_binary(self, name, value):
        plain = self._plain(name, value)
        return plain.encode("ascii") if plain else super().fold_binary(name, value)


class _Email(EmailMultiAlternatives):
    def message(self, *, policy=email.policy.default):
        return super().message(policy=_Policy(**policy.__dict__))


class EmailChannel(BaseChannel):
    deduplicates = False

    def __init__(self):
        self._connection = None

    def _open(self):
        if self._connection is None:
            connection = get_connection(fail_silently=False)
            # Opened here, the connection stays open across messages (send_messages closes only the
            # connections it opened itself): one SMTP session per sender process, not one per email.
            connection.open()
            self._connection = connection
        return self._connection

    def send(self, message) -> str:
        message_id = f"<outbox-{message.id}@{settings.MESSAGING_EMAIL_DOMAIN}>"
        headers = {"Message-ID": message_id, "X-CRM-Outbox-Key": message.idempotency_key}
        if message.purpose == "marketing" and message.customer_id:
            headers["List-Unsubscribe"] = f"<{unsubscribe_url(message.idempotency_key)}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        try:
            self._send(message, headers)
        except smtplib.SMTPServerDisconnected:
            # An idle session the server closed: nothing was accepted, so open a new one and send once.
            self.close()
            try:
                self._send(message, headers)
            except smtplib.SMTPException as error:
                self.close()
                raise TemporaryFailure(f"SMTP: {error}") from error
        except smtplib.SMTPRecipientsRefused as error:
            raise PermanentFailure(f"recipient refused: {error.recipients}") from error
        except smtplib.SMTPResponseException as error:
            self.close()
            if 500 <= error.smtp_code < 600:
                raise PermanentFailure(f"SMTP {error.smtp_code}: {error.smtp_error!r}") from error
            raise TemporaryFailure(f"SMTP {error.smtp_code}: {error.smtp_error!r}") from error
        except (smtplib.SMTPException, OSError) as error:
            self.close()
            raise TemporaryFailure(f"SMTP: {error}") from error
        return message_id

    def _send(self, message, headers: dict) -> None:
        email = _Email(
            subject=message.subject,
            body=message.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
            headers=headers,
            connection=self._open(),
        )
        if message.body_html:
            email.attach_alternative(message.body_html, "text/html")
        email.send()

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):  # a broken connection is dropped either way
                self._connection.close()
            self._connection = None

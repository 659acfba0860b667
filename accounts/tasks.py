"""Celery tasks of the console accounts (SPEC 8): thin, the work is in the services."""

import logging
from smtplib import SMTPException

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)

# A mail server that fails is tried again after 1, 2, 4, 8 and 16 minutes, well within the link's hour.
RESET_MAIL_RETRIES = 5
RESET_MAIL_FIRST_RETRY_SECONDS = 60


@shared_task(bind=True, acks_late=True, max_retries=RESET_MAIL_RETRIES)
def send_password_reset_mail(self, *, email: str, domain: str, use_https: bool, language: str) -> int:
    """The reset mail of `email`, if it has an account (services.password_reset_mail_send); the page that asked
    for it has answered already, so a failure is logged and retried, never shown."""
    try:
        return services.password_reset_mail_send(email=email, domain=domain, use_https=use_https, language=language)
    except (SMTPException, OSError) as error:
        logger.warning(
            "password reset mail not sent (attempt %d of %d): %s",
            self.request.retries + 1,
            RESET_MAIL_RETRIES + 1,
            error,
        )
        raise self.retry(exc=error, countdown=RESET_MAIL_FIRST_RETRY_SECONDS * 2**self.request.retries) from error

"""The back office's own rows: the failed second-factor codes (their throttle)."""

from django.conf import settings
from django.db import models


class SecondFactorFailure(models.Model):
    """One wrong authentication code (SPEC 13): the counters of the code throttle, the same limits as the logins'
    (accounts/throttling.py). Rows older than the window are deleted as new failures come in."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ip_address = models.CharField(max_length=45)
    failed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["user", "failed_at"], name="second_factor_failure_user"),
            models.Index(fields=["ip_address", "failed_at"], name="second_factor_failure_addr"),
            models.Index(fields=["failed_at"], name="second_factor_failure_time"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} from {self.ip_address} at {self.failed_at:%Y-%m-%d %H:%M}"

from django.core.management.base import BaseCommand

from accounts.models import User

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "works-demo-2026"  # noqa: S105 - a published demo login for the local console only
OPERATOR_EMAIL = "operator@example.com"


class Command(BaseCommand):
    help = "Create the demo customer and a demo operator for `make run` (idempotent) and print their logins."

    def handle(self, *args, **options) -> None:
        for email, first_name, is_staff in [(DEMO_EMAIL, "Demo", False), (OPERATOR_EMAIL, "Operator", True)]:
            user, created = User.objects.get_or_create(
                email=email,
                defaults={
                    "first_name": first_name,
                    "last_name": "User",
                    "is_staff": is_staff,
                    "is_superuser": is_staff,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo customer: {DEMO_EMAIL} / {DEMO_PASSWORD}   "
                f"Operator (Django admin at /admin/): {OPERATOR_EMAIL} / {DEMO_PASSWORD}"
            )
        )

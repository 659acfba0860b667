"""The seeded plan catalog (SPEC 3): KRW per user per month, VAT excluded. Operators edit it in Django admin.

A constant so that the data migration and `ensure_catalog` (tests that flush the database) share one source.
"""

CATALOG = [
    {
        "code": "lite",
        "name": "Lite",
        "tier": 1,
        "annual_unit_price": 3000,
        "monthly_unit_price": 3600,
        "features": [
            "Message, Board, Calendar, Contacts, Task, Survey",
            "Video calls with up to 4 participants",
            "Drive: 100 GB shared by the company",
            "Mail not included",
        ],
        "notes": "For small teams that mainly chat and share schedules.",
    },
    {
        "code": "basic",
        "name": "Basic",
        "tier": 2,
        "annual_unit_price": 5000,
        "monthly_unit_price": 6000,
        "features": [
            "Everything in Lite",
            "Mail: 30 GB per user, with your own domain",
            "Video calls with up to 200 participants",
            "Drive: 1 TB shared by the company",
        ],
        "notes": "The standard plan for companies that need mail.",
    },
    {
        "code": "premium",
        "name": "Premium",
        "tier": 3,
        "annual_unit_price": 10000,
        "monthly_unit_price": 12000,
        "features": [
            "Everything in Basic",
            "Mail and Drive: 100 GB per user",
            "Audit logs, data loss prevention and mobile device management",
            "Shared drive: 1 TB plus 10 GB per user",
        ],
        "notes": "For organizations with security and compliance needs.",
    },
]


def ensure_catalog() -> None:
    """Create the seeded plans that are missing (never overwrites an operator's edits)."""
    from billing.models import Plan

    for entry in CATALOG:
        Plan.objects.get_or_create(code=entry["code"], defaults=entry)

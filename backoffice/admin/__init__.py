"""The ModelAdmins of the back office, one module per area (as Oscar's dashboard): Django admin's autodiscovery
imports this package, which registers them all on the admin site (backoffice.site)."""

from . import billing, customers, schedule, subscriptions, workspaces  # noqa: F401 (registers the ModelAdmins)

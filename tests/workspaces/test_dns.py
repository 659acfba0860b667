"""Domain verification through a configured resolver: a real DNS server on the loopback (STYLE: mock only what
leaves the machine; here nothing does)."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from tests.subscriptions.factories import TrialSubscriptionFactory
from tests.workspaces.factories import DomainWorkspaceFactory
from workspaces import dns as works_dns
from workspaces import services

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 10, 3, 0, tzinfo=UTC)


def test_configured_resolver_uses_the_resolvers_of_the_settings(dns_server):
    resolver = works_dns.configured_resolver()

    assert (resolver.nameservers, resolver.port, resolver.lifetime) == (["127.0.0.1"], dns_server.port, 2.0)


def test_domain_verified_through_the_configured_resolver(dns_server):
    workspace = TrialSubscriptionFactory(workspace=DomainWorkspaceFactory(name="acme.example")).workspace
    dns_server.zone["acme.example"] = ["v=spf1 -all", workspace.verification_token]

    services.workspace_verify_domain(workspace=workspace, now=NOW)

    workspace.refresh_from_db()
    assert workspace.domain_verified_at == NOW
    assert dns_server.questions == ["acme.example"]


def test_unknown_domain_reported_by_the_configured_resolver(dns_server):
    workspace = TrialSubscriptionFactory(workspace=DomainWorkspaceFactory(name="missing.example")).workspace

    with pytest.raises(ValidationError) as excinfo:
        services.workspace_verify_domain(workspace=workspace, now=NOW)

    assert excinfo.value.messages == ["The domain missing.example does not exist in DNS."]
    workspace.refresh_from_db()
    assert workspace.domain_verified_at is None

"""Which organisation a workspace or tenant belongs to."""

from __future__ import annotations

from bot.messages import Channel
from bot.organisation import Organisation, Organisations
from bot.organisation_file import load_organisations


def test_no_config_serves_every_workspace_and_tenant() -> None:
    organisations = load_organisations(None)
    for channel, tenant in ((Channel.SLACK, "T0NEW"), (Channel.TEAMS, "5f1c-tenant")):
        assert organisations.for_tenant(channel, tenant) is organisations.default


def test_one_organisation_without_ids_serves_any_workspace() -> None:
    only = Organisation(id="acme", name="Acme")
    assert Organisations([only]).for_tenant(Channel.SLACK, "T0ANY") is only


def test_one_organisation_that_names_its_workspace_refuses_others() -> None:
    only = Organisation(id="acme", name="Acme", slack_team_ids=("T0ACME",))
    organisations = Organisations([only])
    assert organisations.for_tenant(Channel.SLACK, "T0ACME") is only
    assert organisations.for_tenant(Channel.SLACK, "T0ELSE") is None
    # It named no Teams tenant: on Teams it is still the one organisation there is.
    assert organisations.for_tenant(Channel.TEAMS, "any-tenant") is only


def test_several_organisations_refuse_an_unnamed_workspace() -> None:
    acme = Organisation(id="acme", name="Acme", slack_team_ids=("T0ACME",))
    other = Organisation(id="other", name="Other")
    organisations = Organisations([acme, other])
    assert organisations.for_tenant(Channel.SLACK, "T0ACME") is acme
    assert organisations.for_tenant(Channel.SLACK, "T0NEW") is None
    assert organisations.for_tenant(Channel.TEAMS, "tenant") is None
    assert organisations.for_tenant(Channel.WEB, "other") is other


def test_the_setting_to_add_an_id_to_is_named_per_platform() -> None:
    assert Organisation.platform_setting(Channel.SLACK) == "slack_team_ids"
    assert Organisation.platform_setting(Channel.TEAMS) == "teams_tenant_ids"

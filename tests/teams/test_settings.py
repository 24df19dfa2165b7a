"""When the Teams channel is on, how it refuses to serve an open endpoint, and the package."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

import pytest

from app import StartupError, build_app, main
from bot.channels.teams_package import PackageError, build_package, command
from bot.channels.teams_settings import AppType, TeamsSettings, read_settings
from bot.config import Settings, SettingsError
from tests.harness import ROOT

APP_ID = "3c9b1f5e-2a7d-4e6f-8b1a-9d0c2e4f6a8b"
TENANT_ID = "5f1c2a8e-3b7d-4c9a-9e2f-0a1b2c3d4e5f"
SECRET = "s3cr3t~value"


def test_off_unless_configured() -> None:
    assert read_settings({}, host="127.0.0.1") is None
    assert read_settings({"TEAMS_LOCAL": "0"}, host="127.0.0.1") is None


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_local_mode_is_unauthenticated_on_loopback_only(host: str) -> None:
    settings = read_settings({"TEAMS_LOCAL": "1"}, host=host)
    assert settings == TeamsSettings() and not settings.authenticated


def test_an_app_id_means_authenticated() -> None:
    env = {
        "MICROSOFT_APP_ID": APP_ID,
        "MICROSOFT_APP_PASSWORD": SECRET,
        "MICROSOFT_APP_TENANT_ID": TENANT_ID,
        "MICROSOFT_APP_TYPE": "singletenant",
        "TEAMS_LOCAL": "1",  # ignored: there is an app id
    }
    settings = read_settings(env, host="0.0.0.0")
    assert settings is not None and settings.authenticated
    assert settings.app_type is AppType.SINGLE_TENANT
    assert SECRET not in repr(settings)
    msi = {
        "MICROSOFT_APP_ID": APP_ID,
        "MICROSOFT_APP_TENANT_ID": TENANT_ID,
        "MICROSOFT_APP_TYPE": "UserAssignedMSI",
    }
    assert read_settings(msi, host="0.0.0.0") == TeamsSettings(
        APP_ID, "", TENANT_ID, AppType.USER_ASSIGNED_MSI
    )


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"TEAMS_LOCAL": "yes"}, "TEAMS_LOCAL must be 1"),
        ({"MICROSOFT_APP_PASSWORD": SECRET}, "MICROSOFT_APP_ID is empty"),
        ({"MICROSOFT_APP_ID": SECRET}, "MICROSOFT_APP_ID must be the bot's Microsoft App ID"),
        ({"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_PASSWORD": SECRET}, "MICROSOFT_APP_TYPE must"),
        (
            {"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_TYPE": "Multi"},
            "SingleTenant, MultiTenant or UserAssignedMSI",
        ),
        (
            {"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_TYPE": "MultiTenant"},
            "MICROSOFT_APP_PASSWORD is required with MultiTenant",
        ),
        (
            {
                "MICROSOFT_APP_ID": APP_ID,
                "MICROSOFT_APP_PASSWORD": SECRET,
                "MICROSOFT_APP_TYPE": "SingleTenant",
            },
            "MICROSOFT_APP_TENANT_ID is required with SingleTenant",
        ),
        (
            {
                "MICROSOFT_APP_ID": APP_ID,
                "MICROSOFT_APP_PASSWORD": SECRET,
                "MICROSOFT_APP_TYPE": "SingleTenant",
                "MICROSOFT_APP_TENANT_ID": SECRET,
            },
            "MICROSOFT_APP_TENANT_ID must be",
        ),
    ],
)
def test_wrong_settings_are_one_line_that_never_shows_a_secret(
    env: dict[str, str], says: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        read_settings(env, host="127.0.0.1")
    message = str(refused.value)
    assert says in message and "\n" not in message and SECRET not in message


def test_an_unauthenticated_endpoint_off_loopback_stops_the_start(tmp_path: Path) -> None:
    # With sign-in the web chat may listen there; Teams without authentication may not.
    org = tmp_path / "organisation.yaml"
    org.write_text(
        "organisations:\n  - id: acme\n    name: Acme\n"
        "    sign_in: {email_domains: [acme.example]}\n",
        encoding="utf-8",
    )
    settings = Settings.from_env(
        {
            "HOST": "0.0.0.0",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_FROM": "noodrem@acme.example",
            "TEAMS_LOCAL": "1",
            "ORGANISATION_FILE": str(org),
            "PLAYBOOKS_DIR": str(ROOT / "playbooks"),
        }
    )
    with pytest.raises(StartupError) as refused:
        build_app(settings, start_scheduler=False)
    message = str(refused.value)
    assert "\n" not in message
    assert "without authentication" in message and "'0.0.0.0'" in message
    assert "MICROSOFT_APP_ID" in message


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_package_has_the_manifest_with_the_app_id_and_both_icons(tmp_path: Path) -> None:
    written = build_package(tmp_path / "noodrem.zip", app_id=APP_ID)
    with zipfile.ZipFile(written) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
        assert png_size(package.read("color.png")) == (192, 192)
        assert png_size(package.read("outline.png")) == (32, 32)
    assert manifest["id"] == APP_ID
    assert [b["botId"] for b in manifest["bots"]] == [APP_ID]
    bot = manifest["bots"][0]
    assert bot["scopes"] == ["personal", "team"] and bot["supportsFiles"] is True
    assert manifest["manifestVersion"] in manifest["$schema"]
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert len(manifest["name"]["short"]) <= 30 and len(manifest["description"]["short"]) <= 80


def test_the_package_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert command(tmp_path, {"MICROSOFT_APP_ID": APP_ID}) == 0
    assert (tmp_path / "noodrem-teams.zip").is_file()
    monkeypatch.delenv("MICROSOFT_APP_ID", raising=False)
    capsys.readouterr()
    assert main(["teams-package", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "set MICROSOFT_APP_ID" in err
    with pytest.raises(PackageError, match="GUID"):
        build_package(tmp_path / "x.zip", app_id="my-bot")


def test_app_py_teams_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROSOFT_APP_ID", APP_ID)
    assert main(["teams-package", "-o", str(tmp_path / "upload.zip")]) == 0
    with zipfile.ZipFile(tmp_path / "upload.zip") as package:
        assert json.loads(package.read("manifest.json"))["id"] == APP_ID

"""The Teams app package: ``teams/manifest.json`` with the bot's app id, and both icons,
zipped flat as Teams expects for "Upload a custom app".

The manifest in the repository carries a zero GUID; the real app id is filled in here, so
the same repository serves every installation. It is used both as the Teams app id and as
the bot id, which Teams allows and which keeps one id to look up.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path

from bot.errors import ConfigError, ExitCode

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "teams"
FILES = ("manifest.json", "color.png", "outline.png")
DEFAULT_NAME = "noodrem-teams.zip"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


class PackageError(ConfigError):
    """The package cannot be built; the message says what to fix."""

    def __str__(self) -> str:
        return f"cannot build the Teams package: {super().__str__()}"


def build_package(out: Path, *, app_id: str, source: Path = PACKAGE_DIR) -> Path:
    """Write the zip to ``out`` (into it, as ``noodrem-teams.zip``, if it is a folder) and
    return where it was written."""
    if not _GUID.match(app_id):
        raise PackageError("the app id must be the bot's Microsoft App ID (a GUID)")
    missing = [name for name in FILES if not (source / name).is_file()]
    if missing:
        raise PackageError(f"{source}: missing {', '.join(missing)}")
    try:
        manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    except ValueError as exc:
        raise PackageError(f"{source / 'manifest.json'}: not valid JSON ({exc})") from None
    manifest["id"] = app_id
    for bot in manifest.get("bots", []):
        bot["botId"] = app_id
    target = out / DEFAULT_NAME if out.is_dir() else out
    try:
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as package:
            package.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
            for name in FILES[1:]:
                package.write(source / name, arcname=name)
    except OSError as exc:
        raise PackageError(f"cannot write {target}: {exc.strerror}") from None
    return target


def command(out: Path, env: Mapping[str, str]) -> ExitCode:
    """``python app.py teams-package [-o FILE]``: the app id comes from MICROSOFT_APP_ID.
    Raises ``PackageError``."""
    app_id = env.get("MICROSOFT_APP_ID", "").strip()
    if not app_id:
        raise PackageError("set MICROSOFT_APP_ID to the bot's Microsoft App ID first")
    written = build_package(out, app_id=app_id)
    print(f"wrote {written}: upload it in Teams under Apps > Manage your apps > Upload an app")
    return ExitCode.OK

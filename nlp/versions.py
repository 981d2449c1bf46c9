"""Model versions next to the database: each a heads bundle with what it was trained on.

``<database>.models/`` holds one folder per version (``v0001``, ``v0002`` …: heads, the
adapter they read, ``version.json``) and ``CURRENT`` naming the version in use; without
it the bundled weights are used. A version is written in a hidden folder and renamed into
place, and ``CURRENT`` is replaced by a rename, so a killed retrain never leaves a half
version or a pointer to one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

_VERSION = re.compile(r"^v\d{4,}$")


class VersionError(ValueError):
    """A version that does not exist, or a switch that cannot be made."""


def models_folder(database: Path) -> Path:
    return database.with_name(database.name + ".models")


class VersionStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def ids(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        found = [
            p.name
            for p in self.folder.iterdir()
            if _VERSION.match(p.name) and (p / "version.json").is_file()
        ]
        return sorted(found, key=lambda name: int(name[1:]))

    def meta(self, version: str) -> dict[str, Any]:
        path = self.folder / version / "version.json"
        if not _VERSION.match(version) or not path.is_file():
            raise VersionError(f"no model version {version!r}; see `umot model list`")
        return json.loads(path.read_text(encoding="utf-8"))

    def all(self) -> list[dict[str, Any]]:
        return [self.meta(version) for version in self.ids()]

    def current(self) -> str | None:
        pointer = self.folder / "CURRENT"
        if not pointer.is_file():
            return None
        name = pointer.read_text(encoding="utf-8").strip()
        return name if name in self.ids() else None

    def current_path(self) -> Path | None:
        name = self.current()
        return self.folder / name if name else None

    def add(self, write: Callable[[Path], None], meta: dict[str, Any]) -> str:
        """Write a new version with ``write(folder)`` and its metadata; returns its id."""
        self.folder.mkdir(parents=True, exist_ok=True)
        ids = self.ids()
        version = f"v{(int(ids[-1][1:]) if ids else 0) + 1:04d}"
        building = Path(tempfile.mkdtemp(prefix=f".{version}.{os.getpid()}.", dir=self.folder))
        try:
            write(building)
            meta = {**meta, "id": version}
            (building / "version.json").write_text(
                json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            building.chmod(0o755)
            building.rename(self.folder / version)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        return version

    def sweep(self) -> list[str]:
        """Remove what a killed retrain left: hidden build folders and pointer files
        (``.<what>.<pid>.…``) whose process is gone. Returns their names."""
        removed: list[str] = []
        if not self.folder.is_dir():
            return removed
        for path in self.folder.glob(".*"):
            pid = next((int(part) for part in path.name.split(".") if part.isdigit()), None)
            if pid is None or _alive(pid):
                continue
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path.name)
        return removed

    def use(self, version: str | None) -> None:
        """Make ``version`` the one in use (None: the bundled weights)."""
        if version is not None:
            self.meta(version)  # exists
        pointer = self.folder / "CURRENT"
        if version is None:
            pointer.unlink(missing_ok=True)
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".CURRENT.{os.getpid()}.", dir=self.folder)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(version + "\n")
        os.replace(temporary, pointer)

    def rollback(self) -> str | None:
        """Back to the version the current one was trained from; returns it (None: bundled)."""
        current = self.current()
        if current is None:
            raise VersionError("the bundled weights are in use; there is nothing to roll back")
        parent = self.meta(current).get("parent")
        self.use(parent if parent in self.ids() else None)
        return self.current()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True

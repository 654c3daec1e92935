"""The preset scenario files shipped in ``reeplan/scenarios/``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["list_presets", "preset_path", "presets_dir"]


def presets_dir() -> Path:
    """Folder of the preset scenario files shipped with the package."""
    return Path(str(resources.files("reeplan") / "scenarios"))


def list_presets() -> list[str]:
    """Names of the preset scenarios."""
    return sorted(p.stem for p in presets_dir().glob("*.yaml"))


def preset_path(name: str) -> Path | None:
    """Path of preset ``name`` (``None`` if there is none)."""
    path = presets_dir() / f"{name}.yaml"
    return path if path.is_file() else None

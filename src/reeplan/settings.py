"""Every default of reeplan in one place.

Defaults come, in order of precedence, from command options or keyword arguments, then
``REEPLAN_*`` environment variables (``REEPLAN_SAMPLES=2000``), then a TOML config file
(``reeplan.toml`` in the working folder, or the file named by ``REEPLAN_CONFIG``), then the
values below. Each setting has one meaning everywhere:

* ``samples``: Monte Carlo samples **per scenario** in the simulator, **per package** in the award
  appraisal, and the optimiser uses every simulated sample of every scenario it is given.
* ``seed``: the one random seed of a run; the simulator, the appraisal and the optimiser derive
  their streams from it, so ``reeplan run``, ``simulate``, ``finance`` and ``optimize`` agree for
  the same inputs and seed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from reeplan.errors import ReeError

__all__ = ["CONFIG_ENV", "Settings", "get_settings"]

CONFIG_ENV = "REEPLAN_CONFIG"
"""Environment variable naming the TOML config file (default ``./reeplan.toml`` if present)."""


class Settings(BaseSettings):
    """reeplan's defaults (validated; unknown keys in the config file are errors)."""

    model_config = SettingsConfigDict(env_prefix="REEPLAN_", extra="forbid", frozen=True,
                                      allow_inf_nan=False)

    year: int = Field(2025, ge=2022, le=2040)
    """Reference year of the exposure tables."""
    budget: float = Field(2.5e9, ge=0, le=1e12)
    """Award budget of the portfolio (USD of scored cost)."""
    samples: int = Field(1000, ge=1, le=200_000)
    """Monte Carlo samples per scenario (simulation) and per package (appraisal)."""
    seed: int = Field(20250404, ge=0, le=2**63 - 1)
    """Random seed of a run."""
    time_limit: float = Field(60.0, gt=0, le=86_400)
    """Wall-clock limit of one portfolio solve (seconds)."""
    mip_gap: float = Field(1e-4, ge=0, le=0.5)
    """Relative optimality gap at which a portfolio solve stops."""
    workers: int = Field(2, ge=1, le=256)
    """Local worker processes of the simulator (``--scheduler`` uses a Dask cluster instead)."""
    frontier_points: int = Field(6, ge=2, le=200)
    """Budgets on the frontier of the brief."""
    run_lease: float = Field(60.0, ge=0.5, le=86_400)
    """Seconds without a heartbeat after which a running run counts as ``stale`` (its process
    died); a running process beats every third of this."""
    featured_scenarios: tuple[str, ...] = ("april-2025-controls", "heavy-ree-embargo")
    """Scenarios whose headline numbers lead the brief."""
    price_model: str = "log_ou_jump"
    """Price model of the award appraisal (``log_ou_jump`` or ``gbm``)."""
    objective: Literal["tonnes", "value", "defense"] = "tonnes"
    """What the portfolio minimises: weighted tonnes of shortfall, million USD of downstream
    output at risk, or F-35-equivalent defense deliveries at risk."""

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings],
                                   init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Options, then the environment, then the TOML config file."""
        path = os.environ.get(CONFIG_ENV) or "reeplan.toml"
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if Path(path).is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


def get_settings(**overrides: object) -> Settings:
    """The settings with ``overrides`` (``None`` values are ignored: the default applies).

    Raises
    ------
    ReeError
        Naming the setting and what is wrong (from an option, the environment or the file).
    """
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(x) for x in first["loc"]) or "settings"
        msg = (f"--{name.replace('_', '-')} (or REEPLAN_{name.upper()}, or {name} in the config "
               f"file): {first['msg']}")
        raise ReeError(msg) from None

"""Disruption scenarios: the presets, the threat model, and user scenarios (validated)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from reeplan.api.deps import UserDep, WorkspaceDep
from reeplan.api.schemas import (
    SCENARIO_NAME,
    ScenarioCreate,
    ScenarioInfo,
    ScenarioPublic,
    ScenariosPublic,
)
from reeplan.api.services import custom_scenario, preset_infos, scenario_document
from reeplan.sim.scenario import Scenario

router = APIRouter(prefix="/api/scenarios", tags=["scenarios"])


@router.get("", response_model=ScenariosPublic)
def list_scenarios(user: UserDep) -> ScenariosPublic:
    """The preset scenarios and the threat model (``threats``)."""
    data = [ScenarioInfo(**s) for s in preset_infos()]
    return ScenariosPublic(data=data, count=len(data))


@router.get("/{name}", response_model=ScenarioPublic)
def get_scenario(user: UserDep, name: Annotated[str, Path(pattern=SCENARIO_NAME)]
                 ) -> ScenarioPublic:
    """A preset (includes resolved) or the threat model, with the JSON Schema of its form."""
    kind, title, doc, schema = scenario_document(name)
    return ScenarioPublic(name=name, title=title, kind=kind, definition=doc, json_schema=schema)


@router.post("/validate", response_model=ScenarioPublic)
def validate_scenario(body: ScenarioCreate, ws: WorkspaceDep, user: UserDep) -> ScenarioPublic:
    """Validate a user scenario with the scenario schema and the dataset's names (422 naming
    each bad field); returns it normalised. Simulate it with ``POST /api/simulations``."""
    sc = custom_scenario(body.definition, ws.dataset())
    return ScenarioPublic(name=sc.name, title=sc.title, kind="custom",
                          definition=sc.model_dump(mode="json", exclude_none=True),
                          json_schema=Scenario.model_json_schema())

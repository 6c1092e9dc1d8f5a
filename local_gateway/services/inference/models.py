"""Which models a key may see: the list of ``GET /v1/models`` and the one of ``GET /v1/models/{id}``.

Both answer from the same rule, so a model the list leaves out is one the lookup does not find:
the catalog's models the key's tier includes and, for live keys, whatever the developer's own
local server offers (``local/<name>``). A model above the key's tier is not found rather than
forbidden, as with any other resource the caller may not see.
"""

from __future__ import annotations

from local_gateway.providers.base import ModelInfo
from local_gateway.providers.local import PREFIX as LOCAL_PREFIX
from local_gateway.providers.local import LocalDiscovery
from local_gateway.services.accounts.keys import Principal
from local_gateway.services.accounts.tiers import tier_allows
from local_gateway.services.inference.catalog import Catalog
from mg.errors import NotFoundError


async def visible_models(catalog: Catalog, local: LocalDiscovery, principal: Principal) -> list[ModelInfo]:
    """Every model (chat and embedding) ``principal`` may use, catalog first."""
    models = catalog.available(principal.tier, kind=None)
    if not principal.is_test:
        models = [*models, *await local.models()]
    return models


async def find_visible_model(
    catalog: Catalog, local: LocalDiscovery, principal: Principal, model_id: str
) -> ModelInfo:
    """The model ``model_id`` names (an id or alias, any case) if ``principal`` may see it.

    Raises :class:`NotFoundError` for an id that does not exist, is above the key's tier, or is a
    local model asked for with a test key (test keys never leave the sandbox).
    """
    info = catalog.get(model_id)
    if info is not None and tier_allows(principal.tier, info.tier_minimum):
        return info
    if info is None and not principal.is_test and model_id.lower().startswith(LOCAL_PREFIX):
        found = await local.find(model_id)
        if found is not None:
            return found
    raise NotFoundError(
        f"The model '{model_id}' does not exist or is not available to this key.",
        remediation="List the models this key can use with GET /v1/models (mg models list).",
    )

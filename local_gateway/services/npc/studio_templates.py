"""The templates a developer (a studio) owns, beside the built-in ones.

A developer's template has an id (a slug, unique per developer, never a built-in's), and a
version that every change increases. Threads record the id and version they were made from and
go on reading that version's copy (:meth:`TemplateService.for_thread`) after the template is
changed or deleted. Versions are immutable, so their copies are cached in process for good.

A template id in a request resolves to the caller's template first, then to the built-in one;
another developer's template is never found (404 / 400 naming the field, as for an unknown id).
"""

from __future__ import annotations

import builtins
from collections import OrderedDict
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

from local_gateway.lazy import LazyModule
from local_gateway.services.accounts.keys import Principal
from local_gateway.services.core.clock import Clock
from local_gateway.services.inference.catalog import Catalog
from local_gateway.services.npc.template_params import TemplateInput
from local_gateway.services.npc.templates import Template, TemplateLibrary, has_tags
from local_gateway.store import templates as template_store
from local_gateway.store.db import Conflict, Database, Session
from local_gateway.store.templates import TemplateRecord
from mg.errors import ConflictError, InvalidRequestError, ModelNotFoundError, NotFoundError

if TYPE_CHECKING:
    from jsonschema import validators as jsonschema_validators
    from referencing import exceptions as referencing_exceptions
else:  # imported at first use: only structured output and schemas need it (see local_gateway.lazy)
    jsonschema_validators = LazyModule("jsonschema.validators")
    referencing_exceptions = LazyModule("referencing.exceptions")

TEMPLATES_MAX = 500
_COPIES_MAX = 4096
LIST_HINT = "List the templates with GET /v1/npc/templates (mg npc templates)."


def _template(record: TemplateRecord) -> Template:
    return Template(
        id=record.id,
        name=record.name,
        tags=tuple(record.tags),
        description=record.description,
        system_prompt=record.system_prompt,
        response_style=record.response_style,
        actions=record.actions,
        examples=record.examples,
        default_model=record.default_model,
        state_schema=record.state_schema,
        version=record.version,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def content_of(template: Template) -> dict[str, Any]:
    """The fields a developer writes (all but ``id``), as a template holds them."""
    return {
        "name": template.name,
        "tags": list(template.tags),
        "description": template.description,
        "system_prompt": template.system_prompt,
        "response_style": template.response_style,
        "default_model": template.default_model,
        "actions": template.actions,
        "examples": template.examples,
        "state_schema": template.state_schema,
    }


def check_state(
    template: Template | None, state: dict[str, Any], where: str = "state", *, named_by: str | None = None
) -> None:
    """A 400 naming the field when ``state`` does not match the template's state schema.

    An empty state is game state not set yet, which every schema accepts.
    """
    if template is None or template.state_schema is None or not state:
        return
    schema = template.state_schema
    which = f"template '{template.id}'" + (f" (version {template.version})" if template.version else "")
    try:
        errors = sorted(
            jsonschema_validators.validator_for(schema)(schema).iter_errors(state), key=lambda e: list(e.path)
        )
    except referencing_exceptions.Unresolvable as exc:
        raise InvalidRequestError(
            f"The state schema of {which} refers to {exc}, which cannot be resolved; fix the template."
        ) from exc
    if errors:
        path = ".".join(str(p) for p in errors[0].path)
        at = f"'{where}{'.' + path if path else ''}'"
        if named_by is not None:
            raise InvalidRequestError(
                f"'{named_by}' names {which}, whose state schema the thread's state does not match: "
                f"{at}: {errors[0].message}."
            )
        raise InvalidRequestError(f"{at} does not match the state schema of {which}: {errors[0].message}.")


class TemplateService:
    """Built-in templates and each developer's own: reading, resolving, writing."""

    def __init__(self, db: Database, clock: Clock, library: TemplateLibrary, catalog: Catalog) -> None:
        self.db = db
        self.clock = clock
        self.library = library
        self.catalog = catalog
        self._copies: OrderedDict[tuple[str, str, int], Template] = OrderedDict()

    # -- reading -------------------------------------------------------------------------------

    async def list(self, developer_id: str | None, tags: list[str] | None = None) -> list[Template]:
        """The built-ins, then the developer's own (anonymous callers: the built-ins only)."""
        own: list[Template] = []
        if developer_id is not None:
            async with self.db.read() as session:
                own = [_template(r) for r in await template_store.list_templates(session, developer_id)]
        return [*self.library.list(tags), *(t for t in own if has_tags(t, tags))]

    async def get(self, developer_id: str | None, template_id: str) -> Template:
        """The caller's template of that id, else the built-in one; 404 (naming them) if neither."""
        found = await self._find(developer_id, template_id)
        if found is None:
            choices = await self._choices(developer_id)
            raise NotFoundError(f"There is no NPC template '{template_id}'. {choices}", remediation=LIST_HINT)
        return found

    async def resolve(
        self, developer_id: str, template_id: str | None, where: str = "npc_template"
    ) -> Template | None:
        """The template a request names, or a 400 that names the field."""
        return (await self.resolve_many(developer_id, [(template_id, where)]))[0]

    async def resolve_many(
        self, developer_id: str, wanted: Sequence[tuple[str | None, str]]
    ) -> builtins.list[Template | None]:
        """Several at once (one query): ``(template id or None, the field that names it)`` each."""
        ids = {tid for tid, _ in wanted if tid is not None}
        if not ids:
            return [None] * len(wanted)
        async with self.db.read() as session:
            own = await template_store.get_templates(session, developer_id, ids)
        out: list[Template | None] = []
        for template_id, where in wanted:
            if template_id is None:
                out.append(None)
                continue
            record = own.get(template_id)
            found = _template(record) if record is not None else self.library.find(template_id)
            if found is None:
                choices = await self._choices(developer_id)
                raise InvalidRequestError(
                    f"'{where}' is {template_id!r}, which is not a template. {choices}", remediation=LIST_HINT
                )
            if found.version is not None:
                self._remember(developer_id, found)
            out.append(found)
        return out

    async def for_thread(
        self, developer_id: str, template_id: str | None, version: int | None
    ) -> Template | None:
        """The copy a thread was made from: that version of the developer's template, or the
        built-in (None when it no longer exists: the thread goes on with its own prompt)."""
        if template_id is None:
            return None
        if version is None:
            return self.library.find(template_id)
        key = (developer_id, template_id, version)
        cached = self._copies.get(key)
        if cached is not None:
            self._copies.move_to_end(key)
            return cached
        async with self.db.read() as session:
            record = await template_store.get_version(session, developer_id, template_id, version)
        if record is None:
            return None
        copy = _template(record)
        self._remember(developer_id, copy)
        return copy

    async def _find(self, developer_id: str | None, template_id: str) -> Template | None:
        if developer_id is not None:
            async with self.db.read() as session:
                record = await template_store.get_template(session, developer_id, template_id)
            if record is not None:
                return _template(record)
        return self.library.find(template_id)

    async def _choices(self, developer_id: str | None) -> str:
        builtin = ", ".join(self.library.ids)
        mine: list[str] = []
        if developer_id is not None:
            async with self.db.read() as session:
                mine = [r.id for r in await template_store.list_templates(session, developer_id)]
        if not mine:
            yours = "; you have none of your own" if developer_id is not None else ""
            return f"The templates are the built-in {builtin}{yours}."
        shown = ", ".join(mine[:20]) + (f" and {len(mine) - 20} more" if len(mine) > 20 else "")
        return f"The templates are the built-in {builtin}, and yours: {shown}."

    def _remember(self, developer_id: str, template: Template) -> None:
        assert template.version is not None
        self._copies[(developer_id, template.id, template.version)] = template
        if len(self._copies) > _COPIES_MAX:
            self._copies.popitem(last=False)

    # -- writing -------------------------------------------------------------------------------

    def _session(self, dry_run: bool) -> AbstractAsyncContextManager[Session]:
        return self.db.read() if dry_run else self.db.write()

    def _check_model(self, fields: dict[str, Any]) -> None:
        model = fields.get("default_model")
        if model is None:
            return
        info = self.catalog.get(model)
        if info is None or info.kind != "chat":
            raise ModelNotFoundError(
                f"'default_model' is {model!r}, which is not a chat model of the catalog.",
                remediation="See the models with GET /v1/models/catalog (mg models catalog).",
            )
        fields["default_model"] = info.id

    async def create(self, principal: Principal, given: TemplateInput, *, dry_run: bool = False) -> Template:
        """A new template of the caller's, at version 1 (or past the versions of a deleted one)."""
        dev, template_id = principal.developer_id, given.id
        assert template_id is not None
        if self.library.find(template_id) is not None:
            raise InvalidRequestError(
                f"'id' is {template_id!r}, the id of a built-in template; choose another id "
                f"(built-in ids: {', '.join(self.library.ids)}).",
                remediation=f"Start from the built-in with `mg npc template init NAME --from {template_id}`.",
            )
        fields = dict(given.fields)
        self._check_model(fields)
        try:
            async with self._session(dry_run) as session:
                existing = await template_store.get_template(session, dev, template_id)
                if existing is not None:
                    raise _duplicate(template_id, existing.version)
                if await template_store.count_templates(session, dev) >= TEMPLATES_MAX:
                    raise InvalidRequestError(
                        f"You have {TEMPLATES_MAX} templates, the most an account keeps; delete some first."
                    )
                version = await template_store.last_version(session, dev, template_id) + 1
                now = self.clock.now()
                if not dry_run:
                    await template_store.write_version(
                        session, dev, template_id, version, fields, now, new=True
                    )
        except Conflict as exc:
            # Another request created the same id between the check and the insert.
            raise _duplicate(template_id, None) from exc
        return Template(
            id=template_id, tags=tuple(fields["tags"]), version=version, created_at=now, updated_at=now,
            **{k: v for k, v in fields.items() if k != "tags"},
        )  # fmt: skip

    async def update(
        self,
        principal: Principal,
        template_id: str,
        given: TemplateInput,
        *,
        partial: bool,
        dry_run: bool = False,
    ) -> Template:
        """Replace (PUT) or change (PATCH, ``partial``) a template; a change makes a new version.

        An update that changes nothing keeps the version. With ``given.version`` the update
        applies only to that version (409 when the template has moved on since).
        """
        dev = principal.developer_id
        fields = dict(given.fields)
        try:
            async with self._session(dry_run) as session:
                if not dry_run and await template_store.lock_template(session, dev, template_id) is None:
                    raise await self._not_yours(dev, template_id)
                record = await template_store.get_template(session, dev, template_id)
                if record is None:
                    raise await self._not_yours(dev, template_id)
                if given.version is not None and given.version != record.version:
                    raise ConflictError(
                        f"Template '{template_id}' is at version {record.version}; "
                        f"this change was made to version {given.version}.",
                        remediation=f"Fetch version {record.version} (mg npc template {template_id}), "
                        "apply the change to it, and save again.",
                    )
                current = _template(record)
                content = {**content_of(current), **fields} if partial else fields
                if "default_model" in fields:
                    self._check_model(content)
                if content == content_of(current):
                    return current
                now = self.clock.now()
                version = record.version + 1
                if not dry_run:
                    await template_store.write_version(
                        session, dev, template_id, version, content, now, new=False
                    )
        except Conflict as exc:
            raise ConflictError(
                f"Template '{template_id}' was changed by another request at the same moment.",
                remediation="Fetch it again and repeat the change.",
            ) from exc
        return Template(
            id=template_id, tags=tuple(content["tags"]), version=version, created_at=current.created_at,
            updated_at=now, **{k: v for k, v in content.items() if k != "tags"},
        )  # fmt: skip

    async def delete(self, principal: Principal, template_id: str) -> None:
        """Remove the caller's template; threads made from it keep their copy."""
        async with self.db.write() as session:
            deleted = await template_store.delete_template(session, principal.developer_id, template_id)
        if not deleted:
            raise await self._not_yours(principal.developer_id, template_id)

    async def _not_yours(self, developer_id: str, template_id: str) -> Exception:
        if self.library.find(template_id) is not None:
            return InvalidRequestError(
                f"'{template_id}' is a built-in template, and built-ins cannot be changed.",
                remediation=f"Make your own from it: mg npc template init NAME --from {template_id}",
            )
        choices = await self._choices(developer_id)
        return NotFoundError(f"You have no NPC template '{template_id}'. {choices}", remediation=LIST_HINT)


def _duplicate(template_id: str, version: int | None) -> InvalidRequestError:
    at = f" (at version {version})" if version else ""
    return InvalidRequestError(
        f"'id' is {template_id!r}, and you already have a template with that id{at}.",
        remediation=f"Change it with PUT /v1/npc/templates/{template_id} (mg npc template update FILE), "
        "or choose another id.",
    )


__all__ = ["TEMPLATES_MAX", "TemplateService", "check_state", "content_of"]

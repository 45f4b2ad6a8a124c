"""A template read from an archive (`jobs.template_archive.ImportedTemplate`) -> the appliance
rows it becomes (`store.appliance_imports.NewAppliance`), and the words of an import that
cannot make it. The way back, rows -> TemplateFacts, is `api.templates.template_facts`: both
read the same fields, so a template exported, imported and exported again is the same.

The columns are checked against their one declaration (`models.ApplianceFields`), so a
template too long or empty where the store needs text is refused with the reason, never
cut or stored half. A bundle is named by (name, version) and resolved against the importer's
mySoftware when the import is recorded (`store.appliance_imports.accept_upload`); hammr's
`template create` of a template naming a bundle the user has not uploaded fails the same way
on the platform, which looks its bundles up the same way.
"""

from collections.abc import Sequence

from pydantic import ValidationError

from uforge_mock.jobs.template_archive import REFUSED, ImportedTemplate
from uforge_mock.store.appliance_imports import NewAppliance
from uforge_mock.store.models import ApplianceFields

# Where each checked column comes from in the template file, for a refusal's detail.
_SOURCES = {
    "name": "the stack's name",
    "version": "the stack's version",
    "description": "the stack's description",
    "distribution_name": "the os's name",
    "distribution_version": "the os's version",
    "arch_name": "the os's arch",
    "os_profile": "the os's profile",
}


class TemplateRefused(Exception):
    """A template that cannot become an appliance: `message` and `detail` as an
    ArchiveRefused has them (the job's error message, what is wrong)."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"{REFUSED}: {detail}")
        self.message = REFUSED
        self.detail = detail


def _quoted(text: str) -> str:
    shown = "".join(char if char.isprintable() else f"\\u{ord(char):04x}" for char in text[:200])
    return f'"{shown}"' + ("..." if len(text) > 200 else "")


def new_appliance(template: ImportedTemplate, *, imported: bool) -> NewAppliance:
    """The rows `template` becomes (`imported`: from an export's archive, hammr's `template
    import`; not from a template file, `template create`), or TemplateRefused."""
    values: dict[str, object] = {
        "name": template.name,
        "version": template.version,
        "description": template.description,
        "distribution_name": template.os.name,
        "distribution_version": template.os.version,
        "arch_name": template.os.arch,
        "os_profile": template.os.profile,
    }
    texts = [(key, value) for key, value in values.items() if isinstance(value, str)]
    texts += [("a bundle's name", b.name) for b in template.bundles]
    texts += [("a bundle's version", b.version) for b in template.bundles]
    for key, text in texts:
        # PostgreSQL text holds no NUL (and no lookup may name one).
        if "\x00" in text:
            raise TemplateRefused(f"{_SOURCES.get(key, key)} holds a NUL character")
    try:
        checked = ApplianceFields.model_validate({**values, "imported": imported})
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "the template"
        raise TemplateRefused(f"{_SOURCES.get(field, field)}: {first['msg']}") from None
    return NewAppliance(
        values=checked.model_dump(include={*values, "imported"}),
        bundles=tuple((bundle.name, bundle.version) for bundle in template.bundles),
        attributes=dict(template.attributes),
    )


def missing_bundles_detail(missing: Sequence[tuple[str, str]]) -> str:
    """The detail of an import whose template names mySoftware the user does not have."""
    named = ", ".join(f"{_quoted(name)} version {_quoted(version)}" for name, version in missing)
    noun = "bundle" if len(missing) == 1 else "bundles"
    return f"the template names the {noun} {named}, not in the user's software library"


def existing_template_detail(name: str, version: str, db_id: int) -> str:
    """The detail of an import of a template the user has already (without `force`)."""
    return (
        f"the template {_quoted(name)} version {_quoted(version)} exists already "
        f"(appliance {db_id}); import it with force to replace it"
    )

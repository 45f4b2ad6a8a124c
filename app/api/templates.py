"""Appliances between store and template file: an appliance's rows -> `TemplateFacts`, which
the template export's archive writes (`uforge_mock.jobs.template_archive`). The way back,
facts -> rows, is the template import's (`uforge_mock.api.template_imports`); both read the
same fields, so a template exported, imported and exported again describes the same
appliance."""

from uforge_mock.jobs.template_archive import TemplateBundle, TemplateFacts, TemplateOS
from uforge_mock.store.appliances import ApplianceRecord


def template_facts(appliance: ApplianceRecord) -> TemplateFacts:
    """The template file's facts of `appliance` as it is stored: its fields, its OS, its
    bundles by name and version, and the file's other keys an import kept."""
    return TemplateFacts(
        name=appliance.name,
        version=appliance.version,
        os=TemplateOS(
            name=appliance.distribution_name,
            version=appliance.distribution_version,
            arch=appliance.arch_name,
            profile=appliance.os_profile,
        ),
        description=appliance.description,
        bundles=tuple(
            TemplateBundle(name=bundle.name, version=bundle.version) for bundle in appliance.bundles
        ),
        attributes=appliance.extra,
    )

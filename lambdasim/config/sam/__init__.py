"""AWS SAM / CloudFormation templates → a draft scenario (``lambdasim import sam``).

:func:`import_template` reads a template (:mod:`.template`: a safe YAML/JSON loader that knows
CloudFormation's short tags), evaluates parameters, conditions and intrinsic functions
(:mod:`.intrinsics`), and translates functions (:mod:`.functions`), queues and streams
(:mod:`.resources`), event sources (:mod:`.events`), provisioned-concurrency auto scaling
(:mod:`.autoscaling`) and Lambda Managed Instances (:mod:`.managed`) into a scenario. What a
template cannot say (arrival rates, handler durations) becomes placeholders the user must set;
anything not understood is a warning naming the resource and property. The result validates
as a :class:`~lambdasim.config.Scenario`.

>>> import lambdasim.config.sam as sam
>>> imp = sam.import_template("template.yaml", parameters={"Stage": "prod"})  # doctest: +SKIP
>>> imp.warnings, imp.placeholders                                            # doctest: +SKIP
>>> text = imp.to_yaml()                    # the scenario, placeholders marked  # doctest: +SKIP
"""

from lambdasim.config.sam.importer import SamImport, import_template
from lambdasim.config.sam.template import Template, TemplateError, load_template

__all__ = ["SamImport", "Template", "TemplateError", "import_template", "load_template"]

"""Post-processing of the OpenAPI schema, so that client generators (openapi-python-client,
openapi-generator) make a usable client from it as it is.

- An id in a path is an integer everywhere: the routers' `lookup_value_regex = r"\\d+"` makes
  drf-spectacular declare a digit *string*, while the nested routes (`election_pk`) are integers.
- An inline enum keeps its Chinese labels in its description but gets no Chinese `title`:
  generators name the enum's type after the title (`ElectionsList阶段`); without one they name it
  after the parameter or the property (`ElectionsListStage`).
"""

from __future__ import annotations

from typing import Any

DIGITS = r"^\d+$"


def _integer_ids(parameters: list[dict[str, Any]]) -> None:
    for parameter in parameters:
        schema = parameter.get("schema", {})
        if (
            parameter.get("in") == "path"
            and schema.get("type") == "string"
            and schema.get("pattern") == DIGITS
        ):
            parameter["schema"] = {"type": "integer"}


def _english_enum_titles(node: Any) -> None:
    if isinstance(node, dict):
        title = node.get("title")
        if "enum" in node and isinstance(title, str) and not title.isascii():
            del node["title"]
        for value in node.values():
            _english_enum_titles(value)
    elif isinstance(node, list):
        for value in node:
            _english_enum_titles(value)


def for_generators(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    for item in result.get("paths", {}).values():
        _integer_ids(item.get("parameters", []))
        for operation in item.values():
            if isinstance(operation, dict):
                _integer_ids(operation.get("parameters", []))
    _english_enum_titles(result)
    return result

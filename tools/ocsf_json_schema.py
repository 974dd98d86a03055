"""Generate a JSON Schema (draft 2020-12) for one OCSF event class from the OCSF schema sources.

The OCSF schema (https://github.com/ocsf/ocsf-schema, Apache-2.0) is kept as JSON sources: a
dictionary of attributes and types, objects and event classes that extend each other and include
profiles. The OCSF server exports JSON Schemas from them, but this repository does not depend on a
running server: this tool reads a checkout (or ``git archive``) of the sources at a release tag and
writes the schema the tests validate ``-f ocsf`` events against:

    git -C ocsf-schema archive 1.8.0 | tar -x -C /tmp/ocsf-1.8.0
    python -m tools.ocsf_json_schema /tmp/ocsf-1.8.0 compliance_finding --profile cloud

How the sources become a schema (the rules the OCSF server applies):

- a class or object's attributes are those of what it ``extends``, then its ``$include`` files
  (profiles: their attributes are tagged with the profile), then its own, each merged key by key;
- an attribute's definition is the dictionary's, overridden key by key by the class or object's
  (enum values from both are kept: the dictionary gives ``0`` Unknown and ``99`` Other);
- attributes of a profile the event does not apply are left out; ``requirement: required`` makes
  the property required; ``constraints`` (``at_least_one``, ``just_one``) become ``anyOf`` /
  ``oneOf``, and an object inherits those of what it extends;
- a type is its base JSON type with the type's ``regex`` (as ``pattern``), ``max_len`` and
  ``range``; an integer attribute with an ``enum`` accepts only its listed values; an object
  attribute refers to ``$defs/<object>``; the generic ``object`` (``object_t``) accepts any properties
  and ``json_t`` any value;
- ``class_uid`` is the category's uid times 1000 plus the class's, ``type_uid`` the class uid
  times 100 plus an activity id; no other property is allowed (``additionalProperties: false``),
  so a misspelt attribute fails validation instead of disappearing in a SIEM.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

JsonObject = dict[str, Any]
_PRIMITIVES = {
    "string_t": "string",
    "integer_t": "integer",
    "long_t": "integer",
    "float_t": "number",
    "boolean_t": "boolean",
}
_HERE = Path(__file__).resolve().parents[1]
DEFAULT_TARGET = _HERE / "tests" / "schemas" / "ocsf"


def _load(path: Path) -> JsonObject:
    document: JsonObject = json.loads(path.read_text(encoding="utf-8"))
    return document


def _merge(base: JsonObject, override: JsonObject) -> JsonObject:
    """``override`` merged into ``base`` key by key (nested dictionaries merged, not replaced)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class Sources:
    """The OCSF schema sources of one release."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.version = str(_load(root / "version.json")["version"])
        dictionary = _load(root / "dictionary.json")
        self.dictionary: JsonObject = dictionary["attributes"]
        self.types: JsonObject = dictionary["types"]["attributes"]
        self.categories: JsonObject = _load(root / "categories.json")["attributes"]
        self.objects = {p.stem: _load(p) for p in sorted((root / "objects").glob("*.json"))}
        self.events = {
            document["name"]: document
            for document in (_load(p) for p in sorted((root / "events").rglob("*.json")))
            if "name" in document
        }

    def attributes(self, definition: JsonObject, kinds: dict[str, JsonObject]) -> JsonObject:
        """The attributes of a class or object: inherited, included, then its own."""
        inherited: JsonObject = {}
        parent = definition.get("extends")
        if isinstance(parent, str) and parent in kinds:
            inherited = self.attributes(kinds[parent], kinds)
        own = dict(definition.get("attributes", {}))
        for include in own.pop("$include", []):
            included = _load(self.root / include)
            profile = included.get("name") if included.get("meta") == "profile" else None
            for name, attribute in included.get("attributes", {}).items():
                tagged = {"profile": profile, **attribute} if profile else attribute
                inherited[name] = _merge(inherited.get(name, {}), tagged)
        for name, attribute in own.items():
            inherited[name] = _merge(inherited.get(name, {}), attribute)
        return inherited

    def constraints(self, definition: JsonObject) -> JsonObject:
        if "constraints" in definition:
            found: JsonObject = definition["constraints"]
            return found
        parent = definition.get("extends")
        if isinstance(parent, str) and parent in self.objects:
            return self.constraints(self.objects[parent])
        return {}


class Generator:
    def __init__(self, sources: Sources, profiles: frozenset[str]) -> None:
        self.sources = sources
        self.profiles = profiles
        self.defs: dict[str, JsonObject] = {}
        self._pending: list[str] = []

    def _type_schema(self, type_name: str) -> JsonObject:
        types = self.sources.types
        schema: JsonObject = {}
        name = type_name
        while name not in _PRIMITIVES:
            spec = types.get(name, {})
            regex = spec.get("regex")
            if regex and "pattern" not in schema and _compiles(regex):
                schema["pattern"] = regex
            if "max_len" in spec:
                schema.setdefault("maxLength", spec["max_len"])
            if "range" in spec:
                schema.setdefault("minimum", spec["range"][0])
                schema.setdefault("maximum", spec["range"][1])
            base = spec.get("type")
            if not isinstance(base, str):
                return schema  # json_t and anything else without a base type: any value
            name = base
        return {"type": _PRIMITIVES[name], **schema}

    def _attribute_schema(self, name: str, local: JsonObject) -> JsonObject:
        definition = _merge(self.sources.dictionary.get(name, {}), local)
        type_name = str(definition.get("type", "string_t"))
        if type_name in ("object_t", "object"):  # the generic object (``unmapped``): any properties
            item: JsonObject = {"type": "object"}
        elif type_name in self.sources.objects:
            item = {"$ref": f"#/$defs/{type_name}"}
            if type_name not in self.defs and type_name not in self._pending:
                self._pending.append(type_name)
        else:
            item = self._type_schema(type_name)
            enum = definition.get("enum")
            if enum and item.get("type") == "integer":
                item["enum"] = sorted(int(key) for key in enum)
        caption = definition.get("caption")
        if definition.get("is_array"):
            item = {"type": "array", "items": item}
        return {"title": caption, **item} if caption else item

    def _properties(self, attributes: JsonObject) -> tuple[JsonObject, list[str]]:
        properties: JsonObject = {}
        required: list[str] = []
        for name, attribute in sorted(attributes.items()):
            profile = attribute.get("profile")
            if profile is not None and profile not in self.profiles:
                continue
            properties[name] = self._attribute_schema(name, attribute)
            if attribute.get("requirement") == "required":
                required.append(name)
        return properties, required

    def _object(self, name: str) -> JsonObject:
        definition = self.sources.objects[name]
        properties, required = self._properties(self.sources.attributes(definition, self.sources.objects))
        schema: JsonObject = {
            "title": definition.get("caption", name),
            "type": "object",
            "properties": properties,
            "additionalProperties": False,
        }
        if required:
            schema["required"] = required
        constraints = self.sources.constraints(definition)
        if constraints.get("at_least_one"):
            schema["anyOf"] = [{"required": [n]} for n in constraints["at_least_one"]]
        if constraints.get("just_one"):
            schema["oneOf"] = [{"required": [n]} for n in constraints["just_one"]]
        return schema

    def event_class(self, name: str) -> JsonObject:
        definition = self.sources.events[name]
        attributes = self.sources.attributes(definition, self.sources.events)
        properties, required = self._properties(attributes)
        category = _category(definition, self.sources.events)
        category_uid = int(self.sources.categories[category]["uid"])
        class_uid = category_uid * 1000 + int(definition["uid"])
        activities = sorted(int(key) for key in attributes["activity_id"].get("enum", {}))
        properties["category_uid"] = {**properties["category_uid"], "const": category_uid}
        properties["category_uid"].pop("enum", None)
        properties["class_uid"] = {**properties["class_uid"], "const": class_uid}
        properties["class_uid"].pop("enum", None)
        properties["type_uid"] = {**properties["type_uid"], "enum": [class_uid * 100 + a for a in activities]}
        while self._pending:
            object_name = self._pending.pop(0)
            self.defs[object_name] = {}  # reserved: recursive references stop here
            self.defs[object_name] = self._object(object_name)
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://schema.ocsf.io/{self.sources.version}/classes/{name}",
            "title": f"OCSF {self.sources.version} {definition.get('caption', name)} ({class_uid})",
            "$comment": (
                f"Generated by tools/ocsf_json_schema.py from ocsf/ocsf-schema {self.sources.version}"
                f" with profiles: {', '.join(sorted(self.profiles)) or 'none'}. Apache-2.0."
            ),
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
            "$defs": dict(sorted(self.defs.items())),
        }


def _category(definition: JsonObject, events: dict[str, JsonObject]) -> str:
    while "category" not in definition or definition["category"] == "other":
        parent = definition.get("extends")
        if not isinstance(parent, str) or parent not in events:
            return str(definition.get("category", "other"))
        definition = events[parent]
    return str(definition["category"])


def _compiles(regex: str) -> bool:
    try:
        re.compile(regex)
    except re.error:
        return False
    return True


def generate(source: Path, class_name: str, profiles: frozenset[str]) -> tuple[str, JsonObject]:
    sources = Sources(source)
    return sources.version, Generator(sources, profiles).event_class(class_name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="a checkout or git archive of ocsf/ocsf-schema at a release tag")
    parser.add_argument("event_class", help="the class's name, e.g. compliance_finding")
    parser.add_argument("--profile", action="append", default=[], help="a profile the events apply (repeatable)")
    parser.add_argument("--target", type=Path, default=DEFAULT_TARGET)
    args = parser.parse_args()
    version, schema = generate(args.source, args.event_class, frozenset(args.profile))
    path = args.target / f"{args.event_class}-{version}.schema.json"
    path.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

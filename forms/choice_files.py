"""GeoJSON and XML choice files, read as Collect reads them (``select_one_from_file X.geojson``),
and XML attachments (``xml-external``) as the rows ``instance('X')/root/item`` reads."""
from __future__ import annotations

import json
from xml.etree.ElementTree import ParseError

from defusedxml import ElementTree

from .model import Choice


def geojson_choices(data, params: dict[str, str]) -> list[Choice]:
    """A GeoJSON FeatureCollection as choices, as Collect reads one: each feature's ``id`` (or its
    ``value`` parameter's property) is the name, its ``title`` (or ``label`` parameter's) property
    the label, its geometry the ``geometry`` column written as ODK writes points
    ("lat lon 0 0; ..."), and its other properties more columns."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(data.get("features"), list):
        raise ValueError("no FeatureCollection")
    value_col, label_col = params.get("value", "id"), params.get("label", "title")
    out = []
    for feature in data["features"]:
        props = feature.get("properties") if isinstance(feature, dict) else None
        props = {} if props is None and isinstance(feature, dict) else props
        if not isinstance(props, dict):
            raise ValueError("a feature's properties are not an object")
        value = props.get(value_col, feature.get("id") if value_col == "id" else None)
        if value in (None, ""):
            continue
        extra = {str(k): _cell(v) for k, v in props.items() if k not in (value_col, label_col)}
        extra["geometry"] = _odk_geometry(feature.get("geometry"))
        out.append(Choice(_cell(value), {"default": _cell(props.get(label_col)) or _cell(value)}, extra))
    return out


def _cell(value) -> str:
    if value is None:
        return ""
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def _odk_geometry(geometry) -> str:
    """GeoJSON [lon, lat] positions as ODK's "lat lon altitude accuracy" points, ';' between points."""
    coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    try:
        points = {"Point": lambda: [coords], "LineString": lambda: coords, "Polygon": lambda: coords[0]}[kind]()
    except KeyError:
        return ""  # no geometry, or one ODK does not read (a multi-part one)
    except (TypeError, IndexError):
        raise ValueError("a feature's coordinates are not positions") from None
    if not isinstance(points, list):
        raise ValueError("a feature's coordinates are not positions")
    try:
        return "; ".join(f"{p[1]} {p[0]} {p[2] if len(p) > 2 else 0} 0" for p in points)
    except (TypeError, IndexError):
        raise ValueError("a feature's coordinates are not positions") from None


def xml_choices(data: bytes, params: dict[str, str]) -> list[Choice]:
    """An XML choices file as Collect reads one (``select_one_from_file X.xml``): the root's
    child elements are the items, each item's child elements its columns; ``name`` (or the
    ``value`` parameter's column) is the choice's name and ``label`` (or the ``label``
    parameter's) its label. Read with a parser that refuses entity expansion, so a crafted
    file cannot blow up in memory. ValueError for a file that is not such XML."""
    try:
        root = ElementTree.fromstring(data)
    except (ParseError, ValueError) as exc:  # defusedxml's refusals are ValueErrors too
        raise ValueError(f"not XML items: {type(exc).__name__}") from None
    value_col, label_col = params.get("value", "name"), params.get("label", "label")
    out = []
    for item in root:
        columns = {child.tag: (child.text or "").strip() for child in item}
        value = columns.pop(value_col, "")
        if not value:
            continue
        label = columns.pop(label_col, "") or value
        out.append(Choice(value, {"default": label}, columns))
    return out


MAX_XML_ITEMS = 100_000  # an attachment is a lookup table, read whole with the form


def xml_items(data: bytes) -> list[dict]:
    """An ``xml-external`` attachment as the rows of ``instance('X')/root/item``: the document
    element must be ``root``, its children ``item`` elements, and each item's child elements
    its columns ({tag: text}). Any other shape is refused with a ValueError that says where
    (the expressions reach only ``/root/item[...]/column``; deeper paths and ``@attributes``
    are not read). Read with a parser that refuses entity expansion and DTDs."""
    try:
        root = ElementTree.fromstring(data, forbid_dtd=True)
    except (ParseError, ValueError) as exc:  # defusedxml's refusals are ValueErrors too
        raise ValueError(f"it is not well-formed XML without a DTD or entities ({type(exc).__name__})") from None
    if root.tag != "root":
        raise ValueError(f"its document element is <{_tag(root.tag)}>; Fieldbook reads <root> with <item> "
                         "elements, as instance('NAME')/root/item[...]/column")
    rows = []
    for k, item in enumerate(root, 1):
        if item.tag != "item":
            raise ValueError(f"element {k} under <root> is <{_tag(item.tag)}>, not <item>")
        columns = {}
        for child in item:
            if len(child):
                raise ValueError(f"<{_tag(child.tag)}> in item {k} holds elements; an item's columns must be text")
            columns[_tag(child.tag)] = (child.text or "").strip()
        rows.append(columns)
        if len(rows) > MAX_XML_ITEMS:
            raise ValueError(f"it has more than {MAX_XML_ITEMS:,} items")
    return rows


def _tag(tag) -> str:
    return str(tag)[:40]

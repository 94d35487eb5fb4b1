"""Column headers as form designers write them: 'label::English (en)', 'Relevance', 'bind:relevant'."""
from __future__ import annotations

_COLUMN_ALIASES = {
    "relevance": "relevant", "calculate": "calculation", "choice filter": "choice_filter",
    "read only": "read_only", "readonly": "read_only", "constraint message": "constraint_message",
    "jr:constraintmsg": "constraint_message", "required message": "required_message",
    "jr:requiredmsg": "required_message", "repeat count": "repeat_count", "jr:count": "repeat_count",
    "list name": "list_name", "value": "name", "instance name": "instance_name",
    "form id": "form_id", "form title": "form_title", "default language": "default_language",
    "id_string": "form_id",
}


def split_header(header: str) -> tuple[str, str | None]:
    """'label::English (en)' -> ('label', 'English (en)'); 'Relevance' -> ('relevant', None);
    the old 'bind:relevant' and 'control:appearance' spellings -> ('relevant', None) and so on."""
    if header.lower().startswith(("bind:", "control:")):
        header = header.split(":", 1)[1]
    if "::" in header:
        base, lang = header.split("::", 1)
    elif ":" in header and not header.lower().startswith("jr:"):
        base, lang = header.split(":", 1)
    else:
        base, lang = header, None
    base = base.strip().lower()
    base = _COLUMN_ALIASES.get(base, base).replace(" ", "_")
    return base, (lang.strip() if lang else None)

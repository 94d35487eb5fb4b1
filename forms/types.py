"""Every question type an XLSForm may name: what Fieldbook runs it as, or why it refuses it.

The spellings mirror the reference converter's question-type dictionary (old ones such as
``select one from X``, ``q int`` or ``get start time`` included), so a workbook written for
ODK or Kobo loads unchanged. A test compares this table with the converter's own, so a new
type there cannot slip through as "not supported" without a reason.
"""
from __future__ import annotations

# spelling (lower case, single spaces) -> the type Fieldbook runs it as
ALIASES: dict[str, str] = {
    # text and numbers
    "text": "text", "string": "text", "q string": "text", "add text prompt": "text",
    "phone number": "text",  # an input for a phone number, unlike the 'phonenumber' metadata
    "integer": "integer", "int": "integer", "q int": "integer", "add integer prompt": "integer",
    "percentage": "integer", "number of days in last month": "integer",
    "number of days in last six months": "integer", "number of days in last year": "integer",
    "decimal": "decimal", "q decimal": "decimal", "add decimal prompt": "decimal",
    "range": "range",
    "barcode": "barcode", "q barcode": "barcode", "add barcode prompt": "barcode",
    # dates and times
    "date": "date", "q date": "date", "add date prompt": "date",
    "time": "time",
    "datetime": "datetime", "date time": "datetime", "q date time": "datetime", "q datetime": "datetime",
    "add date time prompt": "datetime", "add datetime prompt": "datetime",
    # location: a point typed as "latitude longitude [altitude [accuracy]]"
    "geopoint": "geopoint", "gps": "geopoint", "location": "geopoint", "q geopoint": "geopoint",
    "q location": "geopoint", "add location prompt": "geopoint",
    # lines and shapes: points "latitude longitude [altitude [accuracy]]" separated by ';'
    "geotrace": "geotrace", "q geotrace": "geotrace", "geoshape": "geoshape", "q geoshape": "geoshape",
    # display, acknowledgement, computed
    "note": "note", "q note": "note", "add note prompt": "note",
    "acknowledge": "acknowledge", "trigger": "acknowledge", "q acknowledge": "acknowledge",
    "add acknowledge prompt": "acknowledge",
    "calculate": "calculate", "q calculate": "calculate", "add calculate prompt": "calculate",
    "hidden": "hidden",
    # media: the answer is the file's name; the file travels beside the record (forms/media.py)
    "image": "image", "photo": "image", "q image": "image", "q picture": "image", "add image prompt": "image",
    "add photo prompt": "image",
    "audio": "audio", "q audio": "audio", "add audio prompt": "audio",
    "video": "video", "q video": "video", "add video prompt": "video",
    "file": "file", "add file prompt": "file",
    # metadata the device fills in itself; a laptop has no SIM card, so those stay empty
    "start": "start", "start time": "start", "get start time": "start",
    "end": "end", "end time": "end", "get end time": "end",
    "today": "today", "get today": "today",
    "deviceid": "deviceid", "device id": "deviceid", "get device id": "deviceid", "imei": "deviceid",
    "uri:deviceid": "deviceid",
    "username": "username", "uri:username": "username",
    "email": "email", "uri:email": "email",
    "phonenumber": "phonenumber", "get phone number": "phonenumber", "uri:phonenumber": "phonenumber",
    "subscriberid": "subscriberid", "subscriber id": "subscriberid", "get subscriber id": "subscriberid",
    "uri:subscriberid": "subscriberid",
    "simserial": "simserial", "sim id": "simserial", "get sim id": "simserial", "uri:simserial": "simserial",
    "audit": "audit",
    # where the form was started, or where a question was answered: a laptop has no GPS, so these
    # stay empty (and the loader says so), as a phone without a location fix leaves them
    "start-geopoint": "start-geopoint", "background-geopoint": "background-geopoint",
    # declares the CSV attachment NAME.csv for instance('NAME') lookups; not a question
    "csv-external": "csv-external",
    # declares the XML attachment NAME.xml (a list of items: <root><item>...) for instance('NAME')
    "xml-external": "xml-external",
    # structure
    "begin group": "begin_group", "begin_group": "begin_group", "end group": "end_group", "end_group": "end_group",
    "begin repeat": "begin_repeat", "begin_repeat": "begin_repeat", "end repeat": "end_repeat",
    "end_repeat": "end_repeat", "begin looped group": "begin_repeat", "end looped group": "end_repeat",
    "begin lgroup": "begin_repeat", "end lgroup": "end_repeat",
}

# Select spellings: the first word(s) of the type, before the list name.
SELECT_ALIASES: dict[str, str] = {
    "select_one": "select_one", "select one": "select_one", "select one from": "select_one",
    "select1": "select_one", "q select1": "select_one", "select one using": "select_one",
    "add select one prompt using": "select_one",
    "select_multiple": "select_multiple", "select multiple": "select_multiple",
    "select all that apply": "select_multiple", "select all that apply from": "select_multiple",
    "select multiple from": "select_multiple", "q select": "select_multiple",
    "select multiple using": "select_multiple", "add select multiple prompt using": "select_multiple",
    "select_one_from_file": "select_one_from_file", "select one from file": "select_one_from_file",
    "select_multiple_from_file": "select_multiple_from_file",
    "select multiple from file": "select_multiple_from_file",
    "select_one_external": "select_one_external", "select one external": "select_one_external",
    # 'osm TAGS': an OpenStreetMap feature, which Collect takes from a mapping app as an .osm file;
    # here the .osm file made in a mapping tool is attached, like a file question's
    "osm": "osm",
    "rank": "rank",  # every choice of the list, put in order: the answer is their names, first to last
}
# The suffixes that add an "Other" choice and a text question for it.
OR_OTHER = ("or_other", "or specify other")

# Types Fieldbook cannot run yet, and what is missing, for `forms check` to say.
UNSUPPORTED: dict[str, str] = {
    "background-audio": "recording audio in the background is not supported",
    "begin loop": "write 'begin loop over LIST' with the list's name",
    "end loop": "'end loop' closes no 'begin loop over LIST'",
}

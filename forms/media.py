"""Photos, audio, video and files: what a media question accepts, and how its file travels.

A media answer is the file's name (``1732812345678.jpg``), as in ODK's and Kobo's
submissions; the file itself goes beside the record as ``attachment`` records, one
per part of at most ``PART_BYTES``:

    parts = attachment_parts(data, record=rid, question="photo", name="1732812345678.jpg")
    for fields in parts: store.save_record(ATTACHMENT_KIND, fields)       # each part is one change
    write_attachment(parts_read_back, fh)                                  # checks order, size, digest

Why parts: every record change is sealed and synced like any other, so a file is
encrypted at rest and in transit for free; a part is far under the 16 MiB limit of one
change, so a push or a USB bundle never goes over its limit however large the file,
an interrupted sync resumes at the next part not yet acknowledged, and reading or
writing a file holds one part in memory at a time.

Imports nothing of ours (forms/ never does); the store and the exporter call it.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from typing import BinaryIO, Collection, Iterable, Iterator

from .errors import FormError

ATTACHMENT_KIND = "attachment"
PART_BYTES = 1024 * 1024          # one change carries 1 MiB of the file (1.4 MB as base64 text)
MAX_FILE_BYTES = 64 * 1024 * 1024  # a larger file is refused when it is attached, with its size

# The media question types (after aliases) and the file name endings each accepts.
# Cameras, phones and recorders write these; a file question takes any ending.
EXTENSIONS: dict[str, frozenset[str] | None] = {
    "image": frozenset({"jpg", "jpeg", "png", "gif", "bmp", "webp", "heic", "heif", "tif", "tiff"}),
    "audio": frozenset({"mp3", "m4a", "aac", "wav", "ogg", "oga", "opus", "amr", "3gpp", "3ga", "flac", "webm"}),
    "video": frozenset({"mp4", "m4v", "mov", "3gp", "webm", "mkv", "avi", "mpeg", "mpg"}),
    "file": None,
    "osm": frozenset({"osm", "xml"}),  # an OpenStreetMap feature, as a mapping app saves it
}
MEDIA_TYPES = frozenset(EXTENSIONS)
MIME = {
    "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "bmp": "image/bmp",
    "webp": "image/webp", "heic": "image/heic", "heif": "image/heif", "tif": "image/tiff", "tiff": "image/tiff",
    "mp3": "audio/mpeg", "m4a": "audio/mp4", "aac": "audio/aac", "wav": "audio/wav", "ogg": "audio/ogg",
    "oga": "audio/ogg", "opus": "audio/opus", "amr": "audio/amr", "flac": "audio/flac",
    "mp4": "video/mp4", "m4v": "video/mp4", "mov": "video/quicktime", "3gp": "video/3gpp", "webm": "video/webm",
    "mkv": "video/x-matroska", "avi": "video/x-msvideo", "mpeg": "video/mpeg", "mpg": "video/mpeg",
    "pdf": "application/pdf", "csv": "text/csv", "txt": "text/plain", "osm": "application/xml",
    "xml": "application/xml",
}
# A stored name: no folder, no leading dot, a short ending; what attached_name makes always fits.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,150}$")


class MediaError(FormError):
    """A file that a media question cannot take, or attachment parts that do not make a whole file."""


def extension(file_name: str) -> str:
    return file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""


def check_name(kind: str, file_name: str) -> str:
    """``file_name`` as a media answer of ``kind``; ValueError when it is not one."""
    allowed = EXTENSIONS[kind]
    if not _NAME.match(file_name) or ".." in file_name:
        raise ValueError(file_name)
    if allowed is not None and extension(file_name) not in allowed:
        raise ValueError(file_name)
    return file_name


def check_file(kind: str, question: str, original_name: str, size: int) -> None:
    """Refuse, in words, a file that question ``question`` of type ``kind`` cannot take."""
    allowed = EXTENSIONS[kind]
    ending = extension(original_name)
    if allowed is not None and ending not in allowed:
        shown = f"a .{ending} file" if ending else "a file with no ending"
        raise MediaError(f"'{question}' takes {_WHAT[kind]} ({', '.join(sorted(allowed))}), not {shown}.")
    if size > MAX_FILE_BYTES:
        raise MediaError(f"The file for '{question}' is {size / 2**20:.1f} MiB; the most one answer can hold "
                         f"is {MAX_FILE_BYTES // 2**20} MiB.")
    if size == 0:
        raise MediaError(f"The file for '{question}' is empty.")


_WHAT = {"image": "a photo or picture", "audio": "a sound recording", "video": "a video", "file": "a file",
         "osm": "an OpenStreetMap file"}


def answered_names(fields: dict, media: Collection[str]) -> Iterator[str]:
    """The file names that a record's answers to the media questions ``media`` hold, in
    repeats too (a record's fields, as ``Session.record`` gives them)."""
    for name, value in fields.items():
        if isinstance(value, list):
            for entry in value:
                if isinstance(entry, dict):
                    yield from answered_names(entry, media)
        elif name in media and isinstance(value, str) and value:
            yield value


def attached_name(original_name: str, when: dt.datetime) -> str:
    """The name a file is stored under, as Collect names it: milliseconds since 1970, and the
    original ending (lower case). Nothing of the original name, which may name a person, is kept."""
    ending = extension(original_name)
    stamp = str(int(when.timestamp() * 1000))
    return f"{stamp}.{ending}" if ending and re.fullmatch(r"[a-z0-9]{1,8}", ending) else stamp


def attachment_parts(data: bytes | BinaryIO, *, record: str, question: str, name: str, size: int | None = None,
                     instance: Iterable[int] = ()) -> Iterator[dict]:
    """The fields of each ``attachment`` record for one file, part by part (a generator: a file
    read from ``data`` as a stream is never held whole). ``size`` is needed with a stream."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        size = len(data)
        chunks: Iterator[bytes] = (bytes(data[i:i + PART_BYTES]) for i in range(0, size, PART_BYTES))
    else:
        if size is None:
            raise ValueError("a stream needs its size")
        chunks = iter(lambda: data.read(PART_BYTES), b"")
    parts = max(1, -(-size // PART_BYTES))
    digest = hashlib.sha256()
    sent = 0
    for index, chunk in enumerate(chunks):
        digest.update(chunk)
        sent += len(chunk)
        last = index == parts - 1
        if sent > size or (last and sent != size):
            raise MediaError(f"The file for '{question}' changed while it was being read; attach it again.")
        yield {
            "record": record, "question": question, "instance": list(instance), "name": name,
            "mime": MIME.get(extension(name), "application/octet-stream"), "size": size,
            "part": index, "parts": parts, "data": base64.b64encode(chunk).decode("ascii"),
            # The whole file's digest travels with the last part, which the reader checks.
            **({"sha256": digest.hexdigest()} if last else {}),
        }
        if last:
            return
    if sent != size:
        raise MediaError(f"The file for '{question}' changed while it was being read; attach it again.")


def write_attachment(parts: Iterable[dict], out: BinaryIO) -> int:
    """Write a file from its parts, in order (one part in memory at a time); returns its size.
    MediaError when a part is missing, repeated, out of order, or the file's digest differs."""
    digest = hashlib.sha256()
    written, expected, name, total = 0, 0, None, None
    last: dict | None = None
    for part in parts:
        name = name or part.get("name")
        if part.get("part") != expected or part.get("name") != name:
            raise MediaError(f"Part {expected + 1} of the file {name} is missing; it has not arrived yet.")
        chunk = base64.b64decode(part["data"], validate=True)
        digest.update(chunk)
        out.write(chunk)
        written += len(chunk)
        expected += 1
        total, last = part.get("parts"), part
    if last is None:
        raise MediaError("The file has no parts yet; it has not arrived.")
    if expected != total:
        raise MediaError(f"The file {name} has {expected} of its {total} parts; the rest have not arrived yet.")
    if written != last.get("size") or digest.hexdigest() != last.get("sha256"):
        raise MediaError(f"The file {name} does not match what was attached (size or digest); it is damaged.")
    return written


def read_attachment(parts: Iterable[dict]) -> bytes:
    """A whole file from its parts (for showing a photo); see :func:`write_attachment`."""
    import io

    buffer = io.BytesIO()
    write_attachment(sorted(parts, key=lambda p: p.get("part", 0)), buffer)
    return buffer.getvalue()


class AttachmentFolder:
    """Write files from their parts, in whatever order the parts come, into ``folder/<record>/<name>``
    (the layout of ODK's and Kobo's exports: the sheet's cells hold the names). One part is in
    memory at a time: each is written at its place in a ``.part`` file, and a file is renamed to
    its name only once every part is there and its size and digest match.

        with AttachmentFolder(out_dir) as files:
            for fields in attachment records: files.add(fields)
        files.written, files.incomplete
    """

    def __init__(self, folder, records=None, *, private: bool = False) -> None:
        from pathlib import Path

        self.folder = Path(folder)
        # private: folders 0700 and files 0600 from their creation (a hub's export of people's photos).
        self.private = private
        # Only these records' files (None: every record's); a mapping {record id: names} keeps
        # only the files its answers still name (a photo replaced when a record was edited is
        # no longer the record's, even before its parts' deletes reach this replica).
        self.records = records
        self.written: list = []         # paths of complete files
        self.incomplete: list[str] = []  # "record/name" of files with parts still to arrive, or damaged
        self._files: dict[tuple[str, str], dict] = {}

    def __enter__(self) -> "AttachmentFolder":
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if kind is None:
            self.finish()
        else:
            self.abort()

    def _target(self, record: str, name: str):
        if not _NAME.match(name) or not re.fullmatch(r"[A-Za-z0-9_\-]{1,64}", record):
            raise MediaError("An attachment names a file or record that cannot be a file name; it was skipped.")
        return self.folder / record / name

    def add(self, part: dict) -> None:
        record, name = str(part.get("record", "")), str(part.get("name", ""))
        if self.records is not None and record not in self.records:
            return
        if isinstance(self.records, dict) and name not in self.records[record]:
            return
        target = self._target(record, name)
        state = self._files.get((record, name))
        if state is None:
            import os

            if self.private:
                self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
                target.parent.mkdir(mode=0o700, exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".part")
            os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if self.private else 0o666))
            state = self._files[(record, name)] = {"path": target, "partial": partial, "seen": set(),
                                                   "parts": part.get("parts"), "size": None, "sha256": None}
        index = int(part.get("part", -1))
        if not 0 <= index < int(state["parts"] or 0) or index in state["seen"]:
            return  # a part that does not belong (a repeat is harmless: same bytes)
        chunk = base64.b64decode(part["data"], validate=True)
        with state["partial"].open("r+b") as fh:
            fh.seek(index * PART_BYTES)
            fh.write(chunk)
        state["seen"].add(index)
        if "sha256" in part:
            state["size"], state["sha256"] = part.get("size"), part["sha256"]

    def finish(self) -> None:
        import os

        for (record, name), state in self._files.items():
            complete = len(state["seen"]) == state["parts"] and state["sha256"] is not None
            if complete and _file_matches(state["partial"], state["size"], state["sha256"]):
                os.replace(state["partial"], state["path"])
                self.written.append(state["path"])
            else:
                state["partial"].unlink(missing_ok=True)
                self.incomplete.append(f"{record}/{name}")

    def abort(self) -> None:
        for state in self._files.values():
            state["partial"].unlink(missing_ok=True)


def _file_matches(path, size: int | None, sha256: str) -> bool:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(PART_BYTES), b""):
            digest.update(chunk)
    return path.stat().st_size == size and digest.hexdigest() == sha256

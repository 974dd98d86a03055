"""Report files: a saved JSON report read back (:func:`read`, :func:`load`), and report files
written whole or not at all, all of them or none.

A pipeline publishes whatever is in its reports folder, also after a failed or cancelled step: a
report cut off half-way by an interrupt or a full disk would be published as if it were the
audit, and one format written while another failed would be published as the whole run. So:

- every report is rendered before anything is written (the caller passes the texts);
- a regular file (or a new one) is written to a temporary file beside it and renamed over it in
  one step; the existing file's permission bits (and, as root, its owner) are kept, a new file
  gets ``0666`` less the umask (as ``open`` would), never the ``0600`` of a bare temporary file;
- a symbolic link is followed: its target is written (atomically when the target is a regular
  file), the link itself stays a link;
- a character device or a FIFO (``-o /dev/stdout``, ``-o /dev/null``, a named pipe) is written
  through, never replaced: replacing ``/dev/null`` by a regular file as root would break the
  system. These streams cannot be taken back, so they are written after every temporary file is
  complete and before any rename;
- anything else (a directory, a socket, a block device) is refused with one line, before the
  audit starts when the CLI calls :func:`check_targets`;
- when one write or rename fails, the temporary files are removed, the files already renamed are
  put back as they were, and one :class:`OutputError` names the file.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import msgspec

from azaudit.errors import AzauditError
from azaudit.model import Finding
from azaudit.reports.document import SCHEMA_VERSION, ReportDocument
from azaudit.reports.model import Report


class ReportFileError(AzauditError):
    """A saved JSON report that cannot be read back."""


def read(path: Path, source: str) -> Report:
    """A report from a saved JSON file; an unreadable file is one clear line too."""
    try:
        # Bytes: the decoder checks the UTF-8 itself, where read_text's UnicodeDecodeError was a traceback.
        data = path.read_bytes()
    except OSError as exc:
        raise ReportFileError(
            f"cannot read {source}: {exc.strerror or exc}; give a JSON report of a run (-f json)"
        ) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ReportFileError(
            f"{source}: UTF-16 text, not a UTF-8 JSON report (PowerShell's > writes UTF-16: write it with -o FILE)"
        )
    return load(data, source)


class _Header(msgspec.Struct):
    """The one field read before the whole document: the rest is skipped, not built."""

    schema_version: Any = msgspec.UNSET


def load(text: str | bytes, source: str) -> Report:
    """A report from a saved JSON document, with one clear line when it is not one."""
    try:
        header = msgspec.json.decode(text, type=_Header)
    except msgspec.ValidationError:  # before DecodeError, its base class: JSON, but not an object
        raise ReportFileError(f"{source}: not an azaudit JSON report (expected an object)") from None
    except msgspec.DecodeError as exc:
        raise ReportFileError(f"{source}: not a JSON document ({exc})") from None
    if header.schema_version is msgspec.UNSET:
        # A SARIF or OCSF file, or another tool's JSON, given where a -f json report is expected
        raise ReportFileError(f"{source}: not an azaudit JSON report (no schema_version); write one with -f json")
    version = header.schema_version
    if version != SCHEMA_VERSION:
        raise ReportFileError(
            f"{source}: schema_version {version!r} is not {SCHEMA_VERSION}; write it with a matching azaudit version"
        )
    try:
        document = msgspec.json.decode(text, type=ReportDocument)
    except msgspec.ValidationError as exc:
        raise ReportFileError(f"{source}: not a valid azaudit report: {exc}") from None
    except msgspec.DecodeError as exc:  # invalid UTF-8 in a part the header's decode skipped
        raise ReportFileError(f"{source}: not a JSON document ({exc})") from None
    fixed = document.baseline.fixed if document.baseline is not None else ()
    undescribed = sorted({f.code for f in (*document.findings, *fixed)} - set(document.checks))
    if undescribed:
        # Every renderer reads a finding's check from the report itself: azaudit never writes a
        # finding without its check, so the file was edited or cut.
        named = ", ".join(repr(code[:40]) for code in undescribed[:3])
        raise ReportFileError(
            f"{source}: findings name check(s) {named} that the report's `checks` does not describe; "
            "not a report as azaudit wrote it"
        )
    return Report(
        run=document.run,
        checks=document.checks,
        findings=_shared(document.findings),
        errors=document.errors,
        notes=document.notes,
        baseline=document.baseline,
        runtime=None if document.runtime is msgspec.UNSET else document.runtime,
    )


def _shared(findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
    """``findings`` holding one copy of each repeated text: the decoder makes a new string for
    every occurrence, and one resource's id, name, type and subscription recur in each of its
    findings (as check codes, PASS messages and evidence do across resources). The merge of many
    shard reports holds all their findings at once: shared, they take about a third less memory."""
    seen: dict[str, str] = {}
    share = seen.setdefault
    for finding in findings:
        for name in _SHARED_FIELDS:
            value = getattr(finding, name)
            msgspec.structs.force_setattr(finding, name, share(value, value))
        evidence = finding.evidence
        if isinstance(evidence, dict):
            for key, value in list(evidence.items()):
                evidence[key] = share(value, value)
    return findings


_SHARED_FIELDS = ("code", "resource_id", "resource_name", "resource_type", "subscription_id", "message")


class OutputError(AzauditError):
    """A report file cannot be written; no report file was changed."""


KEEP = ""  # a replaced file whose previous content could not be kept aside


@dataclass
class _Target:
    given: Path  # as the user named it
    real: Path  # symbolic links followed (a stream keeps the path given: /dev/stdout names a pipe)
    mode: int | None  # S_IFMT of what is there now; None: nothing yet
    permissions: int  # for the new file
    identity: object  # the same for two paths naming the same file
    owner: tuple[int, int] | None = None  # uid and gid of the file replaced


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def _describe(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _target(path: Path, umask: int) -> _Target:
    try:
        info = os.stat(path)  # follows links, also the kernel's (/dev/stdout → /proc/self/fd/1 → a pipe)
    except FileNotFoundError:
        real = Path(os.path.realpath(path))  # a new file, or the missing target of a link
        if not real.parent.is_dir():
            raise OutputError(f"cannot write {path}: its folder {real.parent} does not exist") from None
        return _Target(path, real, None, 0o666 & ~umask, real)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    kind = stat.S_IFMT(info.st_mode)
    if not (stat.S_ISREG(kind) or stat.S_ISCHR(kind) or stat.S_ISFIFO(kind)):
        raise OutputError(f"cannot write {path}: it is {_describe(kind)}; name a file, a FIFO or a character device")
    if not stat.S_ISREG(kind):
        # A stream: written through as named; the same one twice (/dev/null) is the user's call.
        return _Target(path, path, kind, stat.S_IMODE(info.st_mode), object())
    real = Path(os.path.realpath(path))
    return _Target(path, real, kind, stat.S_IMODE(info.st_mode), (info.st_dev, info.st_ino), (info.st_uid, info.st_gid))


def check_targets(paths: Sequence[Path]) -> None:
    """Refuse, before any work, targets that can never be written: a directory, a socket, a block
    device, a missing folder, or two reports naming the same file."""
    seen: dict[object, Path] = {}
    umask = _umask()
    for path in paths:
        target = _target(path, umask)
        if target.identity in seen:
            raise OutputError(f"{seen[target.identity]} and {path} are the same file; give each report its own path")
        seen[target.identity] = path


# A report's text, whole or in pieces made as they are written (a large JSON report is never held
# whole: azaudit.render.json_document.chunks).
Text = str | Iterable[str]


def _write(stream: TextIO, text: Text) -> None:
    if isinstance(text, str):
        stream.write(text)
    else:
        for chunk in text:
            stream.write(chunk)


def _stream(target: _Target, text: str) -> None:
    # O_WRONLY without O_CREAT: the device or FIFO is written, never created or replaced.
    descriptor = os.open(target.real, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as stream:
        stream.write(text)


def write_reports(outputs: Sequence[tuple[Path, Text]]) -> None:
    """Write every ``(path, text)``, or none of them (see the module docstring). A text in pieces
    is made while its temporary file is written; one for a stream (which cannot be taken back)
    is made whole before any stream is written."""
    check_targets([path for path, _ in outputs])
    umask = _umask()
    targets = [(_target(path, umask), text) for path, text in outputs]
    temporaries: list[tuple[_Target, str]] = []  # (target, temporary path) of regular files
    replaced: list[tuple[_Target, str | None]] = []  # (target, backup of the previous file)
    current = targets[0][0] if targets else None
    try:
        for target, text in targets:
            current = target
            if target.mode is not None and not stat.S_ISREG(target.mode):
                continue
            handle, temporary = tempfile.mkstemp(
                prefix=f".{target.real.name}.", suffix=".partial", dir=target.real.parent
            )
            temporaries.append((target, temporary))
            os.chmod(temporary, target.permissions)
            if target.owner is not None:
                # root replacing another user's report keeps its owner; anyone else cannot, and the
                # file becomes theirs, as any rewrite of it would
                with contextlib.suppress(PermissionError):
                    os.chown(temporary, *target.owner)
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
                _write(stream, text)
        streams = [
            (target, text if isinstance(text, str) else "".join(text))
            for target, text in targets
            if target.mode is not None and not stat.S_ISREG(target.mode)
        ]
        for target, whole in streams:
            current = target
            _stream(target, whole)
        for target, temporary in temporaries:
            current = target
            backup = None
            if target.mode is not None:
                backup = f"{temporary}.previous"
                try:
                    os.link(target.real, backup)
                except OSError:
                    backup = KEEP  # no hard links here: a failure later cannot restore this one
            try:
                os.replace(temporary, target.real)
            except OSError:
                if backup:
                    Path(backup).unlink(missing_ok=True)  # the target is untouched
                raise
            replaced.append((target, backup))
    except BaseException as exc:
        _roll_back(temporaries, replaced)
        if isinstance(exc, OSError) and current is not None:
            raise OutputError(
                f"cannot write {current.given}: {exc.strerror or exc}; no report file was written"
            ) from None
        raise
    for _, backup in replaced:
        if backup is not None and backup != KEEP:
            Path(backup).unlink(missing_ok=True)


def _roll_back(temporaries: list[tuple[_Target, str]], replaced: list[tuple[_Target, str | None]]) -> None:
    """Put back what a failed :func:`write_reports` changed, as far as the file system lets us."""
    for target, backup in reversed(replaced):
        try:
            if backup is None:
                target.real.unlink(missing_ok=True)
            elif backup != KEEP and Path(backup).exists():
                os.replace(backup, target.real)
        except OSError:
            pass  # nothing better to do: the error that started the roll-back is reported
    for _, temporary in temporaries:
        Path(temporary).unlink(missing_ok=True)


def write_atomically(path: Path, text: Text) -> None:
    """Write one report (see :func:`write_reports`)."""
    write_reports([(path, text)])

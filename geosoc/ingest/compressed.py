"""Gzip and bzip2 text files (``.csv.gz``, ``.csv.bz2``) read as if they were plain.

Open-data downloads often ship compressed. A compressed file is recognised by its first
bytes (gzip ``1f 8b``, bzip2 ``BZh``), whatever its name, and streamed into a temporary
plain file (removed afterwards) with the bytes written counted against a cap, so a
decompression bomb stops at :data:`MAX_PLAIN_BYTES` instead of filling the disk. The module
uses the standard library only: ``geosoc ingest`` refuses a broken file without loading
pandas.
"""

from __future__ import annotations

import bz2
import gzip
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from geosoc.errors import GeosocError, InputFileError, Problem

#: Most bytes a compressed file may expand to (the plain-CSV size limit).
MAX_PLAIN_BYTES = 4 * 1024**3
#: Suffixes of compressed files, and how each is named in messages.
COMPRESSED_SUFFIXES = {".gz": "gzip", ".bz2": "bzip2"}
_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bzip2"}
_OPENERS = {"gzip": gzip.open, "bzip2": bz2.open}
_CHUNK = 1024**2


def compression_of(path: Path) -> str | None:
    """Return ``"gzip"`` or ``"bzip2"`` when the file's first bytes say so, else None."""
    try:
        with Path(path).open("rb") as handle:
            head = handle.read(3)
    except OSError:
        return None
    return next((name for magic, name in _MAGIC.items() if head.startswith(magic)), None)


def plain_name(path: str | Path) -> str:
    """Return the name without ``.gz``/``.bz2`` (``x-street.csv.gz`` -> ``x-street.csv``)."""
    name = Path(path).name
    for suffix in COMPRESSED_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def is_csv_name(path: str | Path) -> bool:
    """Return True for ``.csv``, ``.csv.gz`` and ``.csv.bz2`` names (any case)."""
    return plain_name(path).lower().endswith(".csv")


def renamed(err: GeosocError, temp: str | Path, shown: str | Path) -> GeosocError:
    """Return the same error naming ``shown`` wherever it named ``temp`` (a temporary copy)."""
    old, new = str(temp), str(shown)
    old_name, new_name = Path(old).name, Path(new).name.split("!")[-1]

    def fix(text: str | None) -> str | None:
        if text is None:
            return None
        text = text.replace(old, new)
        return text.replace(old_name, new_name) if old_name != new_name else text

    problems = [replace(p, file=fix(p.file), message=fix(p.message) or p.message)
                for p in err.problems]
    return type(err)(fix(err.summary) or err.summary, problems)


@contextmanager
def plain_text(path: str | Path, *, max_bytes: int = MAX_PLAIN_BYTES) -> Iterator[Path]:
    """Yield a plain (uncompressed) copy of ``path``, or ``path`` itself when not compressed.

    Errors raised inside the block that name the temporary copy are re-raised naming
    ``path`` (so a problem in ``rows.csv.gz`` says ``rows.csv.gz``, row and column).

    Raises
    ------
    InputFileError
        A truncated or corrupt compressed file, or one expanding past ``max_bytes``.
    """
    path = Path(path)
    kind = compression_of(path) if path.is_file() else None
    if kind is None:
        yield path
        return
    folder = Path(tempfile.mkdtemp(prefix="geosoc-plain-"))
    temp = folder / (plain_name(path) if plain_name(path) != path.name else path.name + ".txt")
    try:
        _expand(path, temp, kind, max_bytes)
        try:
            yield temp
        except GeosocError as err:
            raise renamed(err, temp, path) from err
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def read_head(path: Path, kind: str, size: int) -> bytes:
    """Return the first ``size`` decompressed bytes of a ``kind`` (gzip/bzip2) file.

    Raises
    ------
    InputFileError
        A truncated or corrupt file (as :func:`plain_text`).
    """
    try:
        with _OPENERS[kind](path, "rb") as src:
            return src.read(size)
    except (OSError, EOFError, zlib.error, ValueError) as err:
        raise _unreadable(path, kind, err) from err


def _unreadable(path: Path, kind: str, err: BaseException) -> InputFileError:
    return InputFileError(f"{path.name}: unreadable {kind} file", [Problem(
        f"the file starts like {kind} but could not be decompressed ({err})",
        file=str(path), fix="download the file again (it may be cut short), or "
        "decompress it yourself and ingest the plain CSV")])


def _expand(path: Path, temp: Path, kind: str, max_bytes: int) -> None:
    """Stream ``path`` decompressed into ``temp``, counting bytes against ``max_bytes``."""
    total = 0
    try:
        with _OPENERS[kind](path, "rb") as src, temp.open("wb") as out:
            while chunk := src.read(_CHUNK):
                total += len(chunk)
                if total > max_bytes:
                    raise InputFileError(f"{path.name}: too large once decompressed", [Problem(
                        f"the {kind} file expands past {max_bytes:,} bytes", file=str(path),
                        fix="split the data (for example by month) and ingest the parts")])
                out.write(chunk)
    except (OSError, EOFError, zlib.error, ValueError) as err:
        raise _unreadable(path, kind, err) from err

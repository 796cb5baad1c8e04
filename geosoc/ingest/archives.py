"""Safe unpacking of ``.zip`` inputs: no path traversal, no zip bombs.

Every member name is checked before anything is written, declared sizes and compression
ratios are checked against caps, and the bytes actually written are counted while
streaming (a forged header cannot get past the cap).
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from geosoc.errors import InputFileError, Problem

#: Most bytes an archive may unpack to, in total.
MAX_UNZIPPED_BYTES = 2 * 1024**3
#: Most members an archive may hold.
MAX_MEMBERS = 10_000
#: Members bigger than this must not compress better than :data:`MAX_RATIO`.
RATIO_CHECK_BYTES = 1024**2
#: Highest compression ratio accepted for a large member (CSV text reaches ~10-20:1).
MAX_RATIO = 200
_CHUNK = 1024**2


def _refuse(path: Path, message: str, fix: str) -> InputFileError:
    return InputFileError(
        f"refused to unpack {path.name}", [Problem(message, file=str(path), fix=fix)]
    )


def _check_members(path: Path, infos: list[zipfile.ZipInfo], max_bytes: int) -> None:
    """Raise :class:`InputFileError` listing unsafe member names, counts or sizes."""
    problems = []
    fix_names = "re-create the zip from the files themselves, with plain relative names"
    for info in infos:
        name = PurePosixPath(info.filename.replace("\\", "/"))
        if name.is_absolute() or ".." in name.parts or ":" in info.filename:
            problems.append(
                Problem(f"member '{info.filename}' would be written outside the target folder "
                        "(path traversal)", file=str(path), fix=fix_names)
            )
        elif (
            info.file_size > RATIO_CHECK_BYTES
            and info.file_size > MAX_RATIO * max(info.compress_size, 1)
        ):
            problems.append(
                Problem(f"member '{info.filename}' expands {info.file_size:,} bytes from "
                        f"{info.compress_size:,} (ratio over {MAX_RATIO}:1, a zip bomb?)",
                        file=str(path), fix="unzip it yourself and check what it contains")
            )
    if len(infos) > MAX_MEMBERS:
        problems.append(Problem(f"the archive holds {len(infos):,} members (limit "
                                f"{MAX_MEMBERS:,})", file=str(path),
                                fix="split it into smaller archives"))
    declared = sum(i.file_size for i in infos)
    if declared > max_bytes:
        problems.append(Problem(f"the archive would unpack to {declared:,} bytes (limit "
                                f"{max_bytes:,})", file=str(path),
                                fix="unpack it yourself and ingest the files you need"))
    if problems:
        raise InputFileError(f"refused to unpack {path.name}: unsafe archive", problems)


def extract_zip(path: Path, dest: Path, *, max_bytes: int = MAX_UNZIPPED_BYTES) -> list[Path]:
    """Unpack the zip ``path`` into ``dest`` safely and return the files written.

    Parameters
    ----------
    path : pathlib.Path
        The archive.
    dest : pathlib.Path
        An existing, empty folder.
    max_bytes : int
        Cap on the total bytes written (counted while streaming, not trusted from headers).

    Returns
    -------
    list of pathlib.Path
        The regular files written, in archive order.

    Raises
    ------
    InputFileError
        If the file is not a zip, a member name escapes ``dest``, the archive is too large
        or a member is suspiciously compressible (a zip bomb).
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise _refuse(path, f"not a readable zip archive ({err})",
                      "check the download finished, or unzip it and ingest the files") from err
    written: list[Path] = []
    total = 0
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        _check_members(path, infos, max_bytes)
        for info in infos:
            target = dest.joinpath(*PurePosixPath(info.filename.replace("\\", "/")).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, target.open("wb") as out:
                while chunk := src.read(_CHUNK):
                    total += len(chunk)
                    if total > max_bytes:
                        raise _refuse(path, f"unpacked data passed the {max_bytes:,}-byte limit "
                                      "(the archive headers understate its size)",
                                      "unzip it yourself and check what it contains")
                    out.write(chunk)
            written.append(target)
    return written


@contextmanager
def local_input(path: str | Path, *, max_bytes: int = MAX_UNZIPPED_BYTES) -> Iterator[Path]:
    """Yield a readable file or folder for ``path``, unpacking a ``.zip`` to a temp folder.

    Parameters
    ----------
    path : str or pathlib.Path
        A file, a folder, or a ``.zip`` archive (checked with :func:`extract_zip`).
    max_bytes : int
        Cap on unpacked bytes for an archive.

    Yields
    ------
    pathlib.Path
        ``path`` itself, or the temporary folder holding the unpacked archive (removed
        afterwards).
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(
            f"{path} does not exist",
            [Problem("no such file or folder", file=str(path), fix="check the path and spelling")],
        )
    if path.is_file() and path.suffix.lower() == ".zip":
        tmp = Path(tempfile.mkdtemp(prefix="geosoc-unzip-"))
        try:
            extract_zip(path, tmp, max_bytes=max_bytes)
            yield tmp
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    else:
        yield path

"""Explicit, frozen configuration loaded from a TOML file (never module-level globals).

A configuration is passed to whoever needs it, so two users of one Streamlit server cannot
leak settings into each other. Example ``geosoc.toml``::

    workspace = "workspace/geosoc.sqlite"
    harm_weights = "my_harm_weights.csv"    # optional: an edited copy of the default table
    asb_weight = 1.0                         # 0 or 1: count ASB as harm or not
    resolution = 9                           # default H3 resolution (7-10)
    partner_min_count = 5                    # partner suppression threshold (5 or more)
    audit_key_file = "/etc/geosoc/audit.key" # the server key (never inside a workspace)

    [map]
    tiles = "zoomstack.mbtiles"   # local raster tiles: .mbtiles, .pmtiles or {z}/{x}/{y} folder
                                  # ("" = none; or an internal tile server's URL template)
    attribution = ""
    context = "os_open_roads_greenspace.gpkg" # roads, rail, water, parks drawn under harm
    vector = "basemap.pmtiles"    # labelled vector base map: a cut made by `geosoc basemap`
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from geosoc.errors import ConfigError, Problem

DEFAULT_WORKSPACE = Path("workspace") / "geosoc.sqlite"


@dataclass(frozen=True)
class MapSettings:
    """Base map settings.

    Parameters
    ----------
    tiles : str or None
        A tile URL template of a tile server on the force's network
        (``https://…/{z}/{x}/{y}.png``), or ``None`` for none.
    tile_source : pathlib.Path or None
        A local raster tile source on the server (``.mbtiles``, ``.pmtiles`` or a folder of
        ``{z}/{x}/{y}`` images): the app serves its tiles from its own address and the packs
        embed them, so the base map works with no internet. With neither, boundaries and
        the context layers are the base.
    attribution : str
        Attribution text required by the tile provider.
    context : pathlib.Path or None
        A GeoPackage (or folder of layer files) of roads, railways, water and green space
        on the server (e.g. OS Open Roads + OS Open Greenspace), drawn under every harm layer
        so maps read without tiles; ``None``: none (the demo town brings its own).
    vector : pathlib.Path or None
        A PMTiles vector archive of the study area (a cut made by ``geosoc basemap``, which
        writes it here): drawn in the browser with street and place names, served from the
        app's own address and embedded in the packs. It need not exist yet (``geosoc
        basemap`` creates it); the maps then go on without it.
    """

    tiles: str | None = None
    attribution: str = ""
    context: Path | None = None
    tile_source: Path | None = None
    vector: Path | None = None


@dataclass(frozen=True)
class Settings:
    """Everything configurable about a geosoc installation.

    Parameters
    ----------
    workspace : pathlib.Path
        The workspace database file.
    harm_weights : pathlib.Path or None
        An edited harm-weight table; ``None`` uses the packaged
        ``geosoc/resources/harm_weights.csv``.
    asb_weight : float or None
        Override of the anti-social behaviour weight (0 or 1); ``None`` keeps the table's.
    resolution : int
        Default H3 resolution (7 to 10).
    partner_min_count : int
        Partner suppression threshold (counts below it are hidden); at least 5.
    map : MapSettings
        Base map settings.
    audit_key_file : pathlib.Path or None
        The server key file (keys the audit chain, signs user roles, seeds the cell key
        method); ``None`` uses ``$GEOSOC_AUDIT_KEY_FILE`` or the user config folder.
    """

    workspace: Path = DEFAULT_WORKSPACE
    harm_weights: Path | None = None
    asb_weight: float | None = None
    resolution: int = 9
    partner_min_count: int = 5
    map: MapSettings = field(default_factory=MapSettings)
    audit_key_file: Path | None = None


_KNOWN = {"workspace", "harm_weights", "asb_weight", "resolution", "partner_min_count", "map",
          "audit_key_file"}

#: Environment variable naming the server key file.
KEY_FILE_ENV = "GEOSOC_AUDIT_KEY_FILE"
#: Environment variable holding the server key itself (hex, at least 64 digits).
KEY_ENV = "GEOSOC_AUDIT_KEY"


#: Environment variable naming the settings file (read by the app, the CLI and the library).
CONFIG_ENV = "GEOSOC_CONFIG"


def _configured_key_file() -> Path | None:
    """Return ``audit_key_file`` of the settings file ``$GEOSOC_CONFIG``, if it names one.

    Only that one setting is read here (relative to the file's folder, as
    :func:`load_config` does), so the app, the CLI and the library resolve the same key
    whether or not they loaded the whole configuration.
    """
    name = os.environ.get(CONFIG_ENV)
    if not name:
        return None
    try:
        raw = tomllib.loads(Path(name).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ConfigError("cannot read the server key's location from the settings", [Problem(
            str(err), file=name, fix=f"fix or unset ${CONFIG_ENV}")]) from err
    value = raw.get("audit_key_file")
    return Path(name).parent / str(value) if value else None


def key_file_path(settings: Settings | None = None) -> Path:
    """Return where the server key lives, resolved the same way by every entry point.

    In order: ``settings.audit_key_file`` when settings are passed, else the
    ``audit_key_file`` of ``$GEOSOC_CONFIG`` (the file the app reads), else
    ``$GEOSOC_AUDIT_KEY_FILE``, else ``$XDG_CONFIG_HOME/geosoc/audit.key``
    (``~/.config/geosoc/audit.key``): beside the server's configuration, never inside a
    workspace, so whoever can write a workspace file cannot re-key its audit chain.
    """
    if settings is not None and settings.audit_key_file is not None:
        return Path(settings.audit_key_file)
    configured = _configured_key_file()
    if configured is not None:
        return configured
    if os.environ.get(KEY_FILE_ENV):
        return Path(os.environ[KEY_FILE_ENV])
    return config_home() / "geosoc" / "audit.key"


def config_home() -> Path:
    """Return ``$XDG_CONFIG_HOME``, else ``~/.config``: the OS user's own settings folder."""
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")


def key_source(settings: Settings | None = None) -> str:
    """Return where :func:`server_key` reads the key from, for messages."""
    return f"${KEY_ENV}" if os.environ.get(KEY_ENV) else str(key_file_path(settings))


def server_key(settings: Settings | None = None, *, create: bool = True) -> bytes:
    """Return the server key (32 bytes).

    Parameters
    ----------
    settings : Settings, optional
        Settings naming the key file (else ``$GEOSOC_CONFIG``'s, see :func:`key_file_path`).
    create : bool
        Create a missing key file (mode 0600, folder 0700). Opening an existing workspace
        passes ``False``: a lost key is reported, never silently replaced, because every
        signature in the workspace was made with it. A new workspace, the demo town and
        files named on the command line may create it.

    Returns
    -------
    bytes
        ``$GEOSOC_AUDIT_KEY`` when set, else the key file's contents.

    Raises
    ------
    ConfigError
        The key is malformed, missing (``create=False``) or cannot be written.
    """
    if os.environ.get(KEY_ENV):
        text, where = os.environ[KEY_ENV].strip(), f"${KEY_ENV}"
    else:
        path = key_file_path(settings)
        where = str(path)
        if not path.exists():
            if not create:
                raise ConfigError("the server key file is missing", [Problem(
                    "no key file here; it signs this workspace's users and audit log, so a "
                    "new one cannot check them", file=where,
                    fix="restore the key file from the server's backup (or point "
                        f"${KEY_FILE_ENV} or audit_key_file in ${CONFIG_ENV} at it); geosoc "
                        "creates a key only when a new workspace is created")])
            _create_key(path)
        text = path.read_text(encoding="ascii", errors="replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 32:
        raise ConfigError("the server key is malformed", [Problem(
            "the key must be at least 64 hexadecimal digits", file=where,
            fix="restore the key file from the server's backup")])
    return key


def _create_key(path: Path) -> None:
    """Write a new random key to ``path`` (0600) in a folder readable by its owner (0700)."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    except FileExistsError:
        pass
    except OSError as err:
        raise ConfigError("cannot create the server key", [Problem(
            str(err), file=str(path), fix=f"create the folder, or set {KEY_FILE_ENV}")]
        ) from err


def checkpoint_dir(settings: Settings | None = None) -> Path:
    """Return the folder of audit checkpoints: beside the key file, outside any workspace."""
    return key_file_path(settings).parent / "checkpoints"


def load_config(path: str | Path | None) -> Settings:
    """Read settings from a TOML file, reporting every problem at once.

    Parameters
    ----------
    path : str, pathlib.Path or None
        The TOML file; ``None`` returns the defaults.

    Returns
    -------
    Settings
        The validated settings. Relative paths are resolved against the file's folder.

    Raises
    ------
    ConfigError
        When the file cannot be read or any value is invalid (all problems listed).
    """
    if path is None:
        return Settings()
    path = Path(path)
    name = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"configuration file {name} not found",
                          [Problem("file does not exist", file=name,
                                   fix="check the path or omit it to use defaults")]) from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{name} is not valid TOML",
                          [Problem(str(err), file=name, fix="fix the TOML syntax")]) from None
    problems: list[Problem] = []

    def bad(key: str, message: str, fix: str) -> None:
        problems.append(Problem(message, file=name, column=key, fix=fix))

    for key in sorted(set(raw) - _KNOWN):
        known = ", ".join(sorted(_KNOWN))
        bad(key, f"unknown setting '{key}'", f"remove it; known settings: {known}")
    base = path.parent
    resolution = raw.get("resolution", 9)
    if not isinstance(resolution, int) or not 7 <= resolution <= 10:
        bad("resolution", f"resolution {resolution!r} is not an integer from 7 to 10",
            "use 7, 8, 9 or 10")
    min_count = raw.get("partner_min_count", 5)
    if not isinstance(min_count, int) or min_count < 5:
        bad("partner_min_count", f"partner_min_count {min_count!r} is below 5",
            "use 5 or more (DOMAIN.md section 6)")
    asb = raw.get("asb_weight")
    if asb is not None and asb not in (0, 1, 0.0, 1.0):
        bad("asb_weight", f"asb_weight {asb!r} must be 0 or 1", "use 0 (ASB not harm) or 1")
    map_raw = raw.get("map", {})
    if not isinstance(map_raw, dict):
        bad("map", "[map] must be a table", "write it as a [map] section")
        map_raw = {}
    tiles = map_raw.get("tiles") or None
    tile_source = None
    if tiles is not None and not isinstance(tiles, str):
        bad("map.tiles", f"tiles {tiles!r} is not text", "write a path or a URL template")
        tiles = None
    elif tiles is not None and "{z}" not in tiles:
        tile_source, tiles = base / tiles, None
        if not tile_source.exists():
            bad("map.tiles", f"tile source {tile_source.name!r} does not exist",
                "point it at an .mbtiles or .pmtiles file or a folder of {z}/{x}/{y} tiles "
                "(relative to the config file), or leave it empty for no tiles")
        elif not (tile_source.is_dir() or tile_source.suffix.lower() in (".mbtiles",
                                                                          ".pmtiles")):
            bad("map.tiles", f"tile source {tile_source.name!r} is not .mbtiles or .pmtiles",
                "use an .mbtiles or .pmtiles file, a folder of {z}/{x}/{y} tiles, or a URL "
                "template with {z}, {x} and {y}")
    elif tiles is not None and "{x}" not in tiles:
        bad("map.tiles", f"tiles {tiles!r} is not a tile URL template",
            "use a template with {z}, {x} and {y}, or leave it empty for no tiles")
    context = map_raw.get("context") or None
    if context is not None and not (base / str(context)).exists():
        bad("map.context", f"map context {context!r} does not exist",
            "point it at a GeoPackage or folder of roads/railways/water/greenspace layers")
    vector = map_raw.get("vector") or None
    if vector is not None and not str(vector).lower().endswith(".pmtiles"):
        bad("map.vector", f"vector base map {vector!r} is not a .pmtiles file",
            "name a .pmtiles file (`geosoc basemap` writes the study area's cut there)")
    if problems:
        raise ConfigError(f"{name} has {len(problems)} problem(s)", problems)
    weights = raw.get("harm_weights")
    return Settings(
        workspace=base / raw.get("workspace", str(DEFAULT_WORKSPACE)),
        harm_weights=base / weights if weights else None,
        asb_weight=None if asb is None else float(asb),
        resolution=resolution,
        partner_min_count=min_count,
        map=MapSettings(tiles=tiles, attribution=str(map_raw.get("attribution", "")),
                        context=base / str(context) if context else None,
                        tile_source=tile_source, vector=base / str(vector) if vector else None),
        audit_key_file=base / raw["audit_key_file"] if raw.get("audit_key_file") else None,
    )

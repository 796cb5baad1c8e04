"""The demo town's manifest: what was generated and the ground truth injected into it.

The manifest is the contract between the generator and the tests of every analysis module:
hotspot centres and kinds, the CHB site and its phase dates, the injected phase effects, the
control wards and the counts per source are all recorded here, so an analysis can be checked
against the truth it should recover.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from geosoc.errors import InputFileError, Problem

#: Name of the manifest file inside the demo directory.
MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class DemoManifest:
    """Everything generated for the demo town, with the injected ground truth.

    Parameters
    ----------
    generator_version : str
        Version of the generator; a different version means the data must be regenerated.
    seed : int
        Seed the town was generated from (same seed, same bytes).
    name : str
        Display name, always marked as fictional.
    crs : str
        CRS of every coordinate in the manifest and the boundary files (EPSG:4326).
    bounds : tuple of float
        ``(lon_min, lat_min, lon_max, lat_max)`` of the town outline, degrees.
    months : tuple of str
        First and last month of incident data, ``"YYYY-MM"``.
    lad : dict
        ``{"code", "name"}`` of the (fictional) local authority.
    force : str
        The police force name written in the police.uk files.
    files : dict
        Relative path (POSIX) -> ``{"bytes": int, "sha256": str}`` for every data file.
    counts : dict
        Rows per source (``"police"``, ``"council_asb"``, ``"fire"``, ``"health_ae"``),
        plus ``"police_no_location"``, ``"postcodes"``, ``"assets"``, ``"wards"``, ``"lsoas"``.
    unmatched_postcodes : int
        A&E rows whose postcode is deliberately absent from the postcode file.
    site : dict
        The CHB site: ``name``, ``ward_code``, ``geometry_wkt`` (EPSG:4326), ``phases``
        (name -> ``[first_month, last_month]``), ``ring_bands_m``.
    effects : dict
        Injected effects: multipliers per phase and the expected % change (counterfactual
        ratio) per phase and zone, the displacement share and how it is split between rings.
    hotspots : tuple of dict
        Each hotspot: ``id``, ``kind`` (persistent/emerging/fading), ``lon``, ``lat``,
        ``sigma_m``, ``monthly_mean_first``/``monthly_mean_last`` (expected events per month),
        ``ward_code``, ``lsoa_code``, ``h3_res8``, ``h3_res9``.
    truth : dict
        Derived ground truth: ``hotspot_lsoas`` (top 5% of LSOAs by expected harm per km²),
        ``top_cells_res9`` (the 20 H3 resolution-9 cells with the highest expected harm over
        all months, with ``expected_harm`` in CCHI days and ``expected_count``),
        ``hotspot_wards``, ``control_wards``, ``youth_gap`` (the hotspot left without youth
        provision and the radius in metres), ``category_shares`` (expected share of each
        police.uk crime type over the whole town and period, CHB effects included).
    """

    generator_version: str
    seed: int
    name: str
    crs: str
    bounds: tuple[float, float, float, float]
    months: tuple[str, str]
    lad: dict[str, str]
    force: str
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    unmatched_postcodes: int = 0
    site: dict[str, Any] = field(default_factory=dict)
    effects: dict[str, Any] = field(default_factory=dict)
    hotspots: tuple[dict[str, Any], ...] = ()
    truth: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """Return the manifest as indented, key-sorted JSON text (stable bytes)."""
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str, *, file: str | None = None) -> DemoManifest:
        """Build a manifest from JSON text written by :meth:`to_json`.

        Parameters
        ----------
        text : str
            The JSON text.
        file : str, optional
            Where the text came from, for error messages.

        Returns
        -------
        DemoManifest

        Raises
        ------
        InputFileError
            If the text is not JSON or lacks a required field.
        """
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as err:
            raise InputFileError(
                "demo manifest is not valid JSON",
                [Problem(str(err), file=file, row=err.lineno,
                         fix="delete the demo folder and run `geosoc demo` again")],
            ) from err
        names = {f.name for f in fields(cls)}
        required = {
            f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING
        }
        missing = sorted(required - set(raw))
        if missing:
            raise InputFileError(
                "demo manifest is incomplete",
                [Problem(f"field '{m}' is missing", file=file, column=m,
                         fix="delete the demo folder and run `geosoc demo` again")
                 for m in missing],
            )
        values = {k: v for k, v in raw.items() if k in names}
        values["bounds"] = tuple(values["bounds"])
        values["months"] = tuple(values["months"])
        values["hotspots"] = tuple(values.get("hotspots", ()))
        return cls(**values)

    @classmethod
    def read(cls, directory: str | Path) -> DemoManifest:
        """Read ``manifest.json`` from a demo directory.

        Parameters
        ----------
        directory : str or Path
            The demo directory.

        Returns
        -------
        DemoManifest
        """
        path = Path(directory) / MANIFEST_NAME
        return cls.from_json(path.read_text(encoding="utf-8"), file=str(path))

    def write(self, directory: str | Path) -> Path:
        """Write ``manifest.json`` into ``directory`` and return its path."""
        path = Path(directory) / MANIFEST_NAME
        path.write_text(self.to_json(), encoding="utf-8", newline="\n")
        return path

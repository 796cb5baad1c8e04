"""Point folium maps at locally served Leaflet/plugin files, and inline them for export.

:func:`localise` rewrites every element's ``default_js``/``default_css`` (the whole map tree,
both maps of a ``DualMap`` included) from the CDN URLs folium ships with to files fetched by
:mod:`geosoc.maps.vendor` and served by Streamlit under ``/app/static/vendor/``.
:func:`inline_assets` turns rendered map HTML into a standalone page with every script,
stylesheet, image and font inlined, so it opens from ``file://`` with zero requests.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from collections.abc import Iterator
from pathlib import Path

import folium
import folium.plugins
from branca.element import Element

from geosoc.maps.vendor import CDN_TO_LOCAL, DROPPED_URLS, PACKAGES, VENDOR_DIR, local_path

#: URL prefix Streamlit serves ``static/vendor/`` under (``server.enableStaticServing``).
STREAMLIT_VENDOR_URL = "/app/static/vendor"

_EXTERNAL_URL = re.compile(r"""(?:https?:)?//[^\s"'<>()]+""")
_EXTERNAL_REF = re.compile(r"""\b(?:src|href)\s*=\s*["']((?:https?:)?//[^"']+)["']""", re.I)
_SCRIPT_TAG = re.compile(r"""<script\b[^>]*\bsrc=["']([^"']+)["'][^>]*>\s*</script>""", re.I)
_LINK_TAG = re.compile(r"""<link\b[^>]*\bhref=["']([^"']+)["'][^>]*/?>""", re.I)
_CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+?)["']?\s*\)""")


class MissingAssetError(RuntimeError):
    """A map needs a CDN file geosoc has no local copy of (a folium upgrade or new plugin)."""


def local_url(cdn_url: str, base_url: str = STREAMLIT_VENDOR_URL) -> str:
    """Return the local URL serving the file behind a folium CDN URL.

    Parameters
    ----------
    cdn_url : str
        A URL from an element's ``default_js``/``default_css``.
    base_url : str
        Prefix the vendor folder is served under.

    Returns
    -------
    str
        ``<base_url>/<package folder>/<path>``.

    Raises
    ------
    MissingAssetError
        If the URL is not in :data:`geosoc.maps.vendor.CDN_TO_LOCAL`.
    """
    if cdn_url not in CDN_TO_LOCAL:
        raise MissingAssetError(
            f"no local copy of {cdn_url}: add it to geosoc.maps.vendor.CDN_TO_LOCAL"
        )
    spec, path = CDN_TO_LOCAL[cdn_url]
    return f"{base_url.rstrip('/')}/{PACKAGES[spec].folder}/{path}"


def walk_elements(root: Element) -> Iterator[Element]:
    """Yield ``root`` and every element below it, both maps of a ``DualMap`` included."""
    yield root
    if isinstance(root, folium.plugins.DualMap):
        yield from walk_elements(root.m1)
        yield from walk_elements(root.m2)
    for child in getattr(root, "_children", {}).values():
        yield from walk_elements(child)


#: ``folium.Map`` links only popups (jQuery) and ``Icon`` markers (Bootstrap, awesome-markers,
#: Font Awesome) need; :func:`localise` leaves them out of maps with neither (~450 kB less
#: to load in every map frame).
ICON_AND_POPUP_LINKS = frozenset({"jquery", "bootstrap", "awesome_markers", "bootstrap_css",
                                  "awesome_markers_font_css", "awesome_markers_css"})


def _needs_icon_links(root: Element) -> bool:
    return any(isinstance(e, folium.Popup | folium.Icon) for e in walk_elements(root))


def _localise_links(links: list[tuple[str, str]], base_url: str,
                    skip: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    out = []
    for name, url in links:
        if url in DROPPED_URLS or name in skip:
            continue
        out.append((name, url if not _EXTERNAL_URL.match(url) else local_url(url, base_url)))
    return out


def localise(root: Element, base_url: str = STREAMLIT_VENDOR_URL) -> Element:
    """Point every element of a map at local copies of its JavaScript and CSS, in place.

    Call it after the last layer is added and before rendering or ``st_folium``. Elements
    added later (e.g. a ``feature_group_to_add``) need their own call. Maps with no
    ``Popup`` or ``Icon`` also lose jQuery, Bootstrap and the marker-icon files they would
    never use (:data:`ICON_AND_POPUP_LINKS`).

    Parameters
    ----------
    root : branca.element.Element
        A ``folium.Map``, ``DualMap``, ``Figure`` or any layer.
    base_url : str
        Prefix the vendor folder is served under (default ``/app/static/vendor``).

    Returns
    -------
    branca.element.Element
        ``root`` itself (changed in place: folium maps are builders, not data).

    Raises
    ------
    MissingAssetError
        If an element needs a CDN file with no local copy.
    """
    skip = frozenset() if _needs_icon_links(root) else ICON_AND_POPUP_LINKS
    for element in walk_elements(root):
        for attribute in ("default_js", "default_css"):
            links = getattr(element, attribute, None)
            if links:
                setattr(element, attribute, _localise_links(list(links), base_url, skip))
    return root


def external_urls(html: str) -> list[str]:
    """List the distinct ``http(s)://`` and ``//`` URLs in ``src``/``href`` attributes.

    Parameters
    ----------
    html : str
        Rendered page.

    Returns
    -------
    list of str
        Sorted distinct URLs (empty for a fully offline page).
    """
    return sorted(set(_EXTERNAL_REF.findall(html)))


def _vendor_file(url: str, base_url: str, vendor_dir: Path) -> Path | None:
    if url in CDN_TO_LOCAL:
        return local_path(*CDN_TO_LOCAL[url], vendor_dir=vendor_dir)
    prefix = base_url.rstrip("/") + "/"
    if url.startswith(prefix):
        candidate = (vendor_dir / url.removeprefix(prefix)).resolve()
        if candidate.is_relative_to(vendor_dir.resolve()):
            return candidate
    return None


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix == ".woff2":
        mime = "font/woff2"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _inline_css(path: Path) -> str:
    css = path.read_text(encoding="utf-8")

    def replace(match: re.Match[str]) -> str:
        ref = match.group(1)
        if ref.startswith(("data:", "#")):
            return match.group(0)
        target = (path.parent / ref.split("?")[0].split("#")[0]).resolve()
        if not target.is_file():
            return "url()"
        return f'url("{_data_uri(target)}")'

    return _CSS_URL.sub(replace, css)


def inline_assets(
    html: str, *, vendor_dir: Path = VENDOR_DIR, base_url: str = STREAMLIT_VENDOR_URL
) -> str:
    """Inline every local (or known CDN) script and stylesheet of a rendered map page.

    Images and fonts the stylesheets refer to become ``data:`` URIs. The result opens from
    ``file://`` with no network requests.

    Parameters
    ----------
    html : str
        Output of ``map.get_root().render()`` (localised or not).
    vendor_dir : pathlib.Path
        Folder holding the fetched files (see :mod:`geosoc.maps.vendor`).
    base_url : str
        Prefix the localised links start with.

    Returns
    -------
    str
        Standalone HTML.

    Raises
    ------
    MissingAssetError
        If a referenced file is not in the vendor folder (run ``python -m geosoc.maps.vendor``),
        or an external script or stylesheet remains that geosoc has no copy of.
    """
    for url in DROPPED_URLS:
        html = re.sub(rf"""<link\b[^>]*href=["']{re.escape(url)}["'][^>]*/?>""", "", html)

    def file_for(url: str) -> Path:
        path = _vendor_file(url, base_url, vendor_dir)
        if path is None or not path.is_file():
            raise MissingAssetError(
                f"cannot inline {url}: run `python -m geosoc.maps.vendor` to fetch map assets"
            )
        return path

    def script(match: re.Match[str]) -> str:
        code = file_for(match.group(1)).read_text(encoding="utf-8")
        return "<script>" + re.sub(r"</(script)", r"<\\/\1", code, flags=re.I) + "</script>"

    def link(match: re.Match[str]) -> str:
        if "stylesheet" not in match.group(0).lower():
            return match.group(0)
        css = _inline_css(file_for(match.group(1)))
        return "<style>" + re.sub(r"</(style)", r"<\\/\1", css, flags=re.I) + "</style>"

    return _LINK_TAG.sub(link, _SCRIPT_TAG.sub(script, html))

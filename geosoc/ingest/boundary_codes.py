"""Checks on the *values* of a boundary file's code and name fields.

A boundary file can be read cleanly and still be wrong: the code and name fields swapped
(ward names taken as codes, and three wards called "Park" dissolved into one), a ward file
stored as LSOAs, or two different areas under one code. These checks look at the values:

- **GSS shape**: ONS codes are a letter and eight digits (``E05009288``). When most codes
  are not, and the name field holds GSS codes, the fields are swapped (an error with the
  flags that fix it); when the codes look like names (no digit), an error naming the fields
  that do hold codes. Other own codes (``beat 12A``...) are accepted with a note.
- **Area kind against the codes**: the code prefix says what an area is (``E05`` ward,
  ``E01`` LSOA, ``E02`` MSOA, ``E06``-``E09`` local authority...). Codes of another kind
  than ``--area-kind`` are an error naming the kind to give.
- **Duplicates**: features sharing a code *and* a name are the parts of one area (dissolved,
  as before); features sharing a code under different names are different areas and an
  error (never dissolved).
"""

from __future__ import annotations

import re

import pandas as pd

from geosoc.errors import Problem, SchemaError

#: A GSS code: country letter, then eight digits.
GSS = r"[EWSNK]\d{8}"
#: Area kind of each GSS prefix (entity code), for the kinds geosoc stores.
PREFIX_KINDS = {
    **{p: "ward" for p in ("E05", "W05", "S13", "N08")},
    **{p: "lsoa" for p in ("E01", "W01", "S01", "N21")},
    **{p: "MSOA" for p in ("E02", "W02", "S02")},
    **{p: "lad" for p in ("E06", "E07", "E08", "E09", "W06", "S12", "N09")},
    **{p: "county" for p in ("E10", "E11")},
    **{p: "region" for p in ("E12",)},
    **{p: "police force area" for p in ("E23", "W15")},
}
#: Kinds whose codes are GSS codes (checked against :data:`PREFIX_KINDS`).
GSS_KINDS = ("ward", "lsoa", "lad")
_EXAMPLE = {"ward": "E05009288", "lsoa": "E01000001", "lad": "E09000001"}


def _gss_share(values: pd.Series) -> float:
    text = values.astype(str).str.strip().str.upper()
    return float(text.str.fullmatch(GSS).mean()) if len(text) else 0.0


def check_code_values(raw: pd.DataFrame, code: str, name: str, kind: str, shown: str,
                      notes: list[str]) -> None:
    """Raise :class:`SchemaError` when the code values are names or of another area kind.

    Parameters
    ----------
    raw : pandas.DataFrame
        The features, with ``_code`` (stripped code text) and the name field ``name``.
    code, name : str
        The fields used as code and name (for messages and fixes).
    kind : str
        The area kind asked for (``--area-kind``).
    shown : str
        The file as named in messages.
    notes : list of str
        Receives a note when the codes are not GSS codes but plausibly the user's own.
    """
    codes = raw["_code"]
    if _gss_share(codes) < 0.5:
        if name != code and _gss_share(raw[name]) >= 0.5:
            raise SchemaError(f"{shown}: the code and name fields look swapped", [Problem(
                f"the code field '{code}' holds names (e.g. "
                + ", ".join(f"'{v}'" for v in codes.head(3)) + f") and the name field "
                f"'{name}' holds GSS codes (e.g. '{raw[name].iloc[0]}')", file=shown,
                column=code, fix=f"swap them: --code-field {name} --name-field {code} "
                f"(library: code_field='{name}', name_field='{code}')")])
        no_digit = ~codes.str.contains(r"\d", regex=True)
        if float(no_digit.mean()) >= 0.5:
            holders = [c for c in raw.columns if c not in (code, "_code", "_file", "_feature")
                       and pd.api.types.is_string_dtype(raw[c].dtype)
                       and _gss_share(raw[c].fillna("")) >= 0.5]
            raise SchemaError(f"{shown}: the area codes look like names", [Problem(
                f"the code field '{code}' holds names, not codes (e.g. "
                + ", ".join(f"'{v}'" for v in codes.head(3)) + "); different areas may "
                "share a name, so names cannot identify areas", file=shown, column=code,
                fix=(f"give the code field: --code-field {holders[0]}" if holders else
                     "give the field holding the area codes with --code-field FIELD")
                + " (library: code_field=...)")])
        if kind in GSS_KINDS:
            notes.append(f"{int((~codes.str.fullmatch(GSS)).sum()):,} area codes are not GSS "
                         f"codes (like {_EXAMPLE[kind]}): read as your own codes")
        return
    _check_kind(codes, kind, shown, code, notes)


def _check_kind(codes: pd.Series, kind: str, shown: str, field: str,
                notes: list[str]) -> None:
    """Raise when the GSS prefixes say the areas are another kind than ``kind``."""
    if kind not in GSS_KINDS:
        return
    prefixes = codes.str.upper().str[:3]
    kinds = prefixes.map(PREFIX_KINDS).fillna("other")
    counts = kinds[codes.str.upper().str.fullmatch(GSS)].value_counts()
    if counts.empty:
        return
    top = str(counts.index[0])
    if top == kind and len(counts) > 1:
        others = ", ".join(f"{int(n):,} {k}" for k, n in counts.iloc[1:].items())
        notes.append(f"besides {int(counts.iloc[0]):,} {kind} codes the file holds {others} "
                     "codes: check it is one kind of area")
    if top == kind or top == "other":
        return
    example = codes[kinds == top].iloc[0]
    fix = (f"store it with --area-kind {top} (library: kind='{top}')" if top in GSS_KINDS
           else f"these are {top} codes: store them with --area-kind custom, or use a "
           f"{kind} boundary file")
    raise SchemaError(f"{shown}: {top} codes, not {kind} codes", [Problem(
        f"{int(counts.iloc[0]):,} of {len(codes):,} codes in '{field}' are {top} codes "
        f"(e.g. {example}, prefix {example[:3]}), but --area-kind is {kind} "
        f"({kind} codes look like {_EXAMPLE[kind]})", file=shown, column="--area-kind",
        fix=fix)])


def shared_codes(raw: pd.DataFrame, name: str, shown: str, field: str) -> None:
    """Raise when features share a code under different names (different areas).

    Features sharing code *and* name (ignoring case and spaces) are parts of one area and
    are left for dissolving.
    """
    dup = raw["_code"].duplicated(keep=False).to_numpy()
    if not dup.any():
        return
    part = raw.loc[dup, ["_code", "_file", "_feature"]].copy()
    part["_name"] = raw.loc[dup, name].fillna("").astype(str).map(
        lambda s: re.sub(r"\s+", " ", s).strip().lower()).to_numpy()
    names = part.groupby("_code")["_name"].nunique()
    clash = names[names > 1].index
    if len(clash) == 0:
        return
    rows = part[part["_code"].isin(clash)].head(25)
    raw_names = raw.loc[rows.index, name].astype(str).to_numpy()
    raise SchemaError(f"{shown}: {len(clash):,} code(s) name different areas", [Problem(
        f"feature {int(n)} has code {c} ('{nm}'), which other features with another name "
        "also have", file=f, row=int(n), column=field,
        fix="give each area its own code (is --code-field the code field?); features of "
        "one area share code and name and are dissolved")
        for f, n, c, nm in zip(rows["_file"], rows["_feature"], rows["_code"], raw_names,
                               strict=True)])

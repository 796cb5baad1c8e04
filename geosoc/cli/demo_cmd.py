"""``geosoc demo``: generate the fictional demo town "Demoford" and say what was written."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from geosoc.cli import SUBCOMMANDS
from geosoc.synth import DEFAULT_SEED, DemoManifest, generate_demo_town


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``geosoc demo`` to the top-level parser."""
    parser = subparsers.add_parser(
        "demo", help=SUBCOMMANDS["demo"]
    )
    parser.add_argument("--out", type=Path, default=None,
                        help="folder to write (default: data/demo in the repository)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"random seed; the same seed gives identical files "
                             f"(default {DEFAULT_SEED})")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Generate the demo town into ``args.out`` and print a summary; return 0."""
    out = args.out
    if out is None:
        from geosoc.synth.demo import DEFAULT_DEMO_DIR

        out = DEFAULT_DEMO_DIR
    started = time.perf_counter()
    manifest = generate_demo_town(out, seed=args.seed)
    seconds = time.perf_counter() - started
    if args.json:
        print(json.dumps(summary(manifest, out, seconds), indent=2))
    else:
        print(describe(manifest, out, seconds))
    return 0


def summary(manifest: DemoManifest, out: Path, seconds: float) -> dict[str, object]:
    """Return the JSON summary of a generated demo."""
    return {
        "out": str(out),
        "name": manifest.name,
        "seed": manifest.seed,
        "generator_version": manifest.generator_version,
        "files": len(manifest.files),
        "bytes": sum(int(f["bytes"]) for f in manifest.files.values()),
        "counts": manifest.counts,
        "unmatched_postcodes": manifest.unmatched_postcodes,
        "site": {k: manifest.site[k] for k in ("name", "ward_code", "phases")},
        "seconds": round(seconds, 2),
    }


def describe(manifest: DemoManifest, out: Path, seconds: float) -> str:
    """Return a human-readable account of what was written."""
    info = summary(manifest, out, seconds)
    counts = manifest.counts
    folders: dict[str, int] = {}
    for name in manifest.files:
        top = name.split("/", 1)[0]
        folders[top] = folders.get(top, 0) + 1
    lines = [
        f"{manifest.name}: wrote {info['files']} files, {int(info['bytes']) / 1e6:.1f} MB "
        f"to {out} in {seconds:.1f} s (seed {manifest.seed}, generator "
        f"{manifest.generator_version})",
        "  " + ", ".join(f"{folder}/ {n} file(s)" for folder, n in sorted(folders.items())),
        f"  police incidents {counts['police']:,} ({counts['police_no_location']:,} without "
        f"location), {manifest.months[0]} to {manifest.months[1]}",
        f"  council ASB {counts['council_asb']:,}, deliberate fires {counts['fire']:,}, "
        f"A&E assaults {counts['health_ae']:,} ({manifest.unmatched_postcodes} with "
        "unmatched postcodes on purpose)",
        f"  {counts['wards']} wards, {counts['lsoas']} LSOAs, {counts['postcodes']:,} postcodes, "
        f"{counts['assets']} community assets",
        f"  CHB site: {manifest.site['name']} ({manifest.site['ward_code']}); phases "
        + ", ".join(f"{p} {a}..{b}" for p, (a, b) in manifest.site["phases"].items()),
        "  All places, people and records are fictional; ground truth is in manifest.json.",
    ]
    return "\n".join(lines)

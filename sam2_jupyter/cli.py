"""``sam2-jupyter propagate``: stored prompts over many stacks, from a shell or a job
script. A thin layer over :func:`sam2_jupyter.batch.propagate_many`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from .batch import DIRECTIONS, FORMATS, ModelSpec, propagate_many


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sam2-jupyter", description="SAM2 segmentation and tracking of image stacks."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser(
        "propagate",
        help="run stored prompts over stacks on dask (LocalCluster or a scheduler)",
        description="Propagate stored prompts through each STACK and write the results "
        "to OUT/<stack name>/. One failing stack is reported; the others go on. "
        "Exit status 1 if any stack failed.",
    )
    p.add_argument("stacks", nargs="+", metavar="STACK", help="TIFF, video, folder, Zarr ...")
    p.add_argument(
        "--prompts",
        required=True,
        help="prompts CSV (ours or a napari Points CSV) for all stacks, or a folder of "
        "<stack name>.csv",
    )
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--model", default="tiny", help="tiny, small, base_plus, large")
    p.add_argument("--version", default="2.1", help="SAM 2.1 or 2.0")
    p.add_argument("--checkpoint", help="a local .pt file (no download)")
    p.add_argument("--model-dir", help="where weights are downloaded on first use")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")
    p.add_argument("--image-size", type=int, help="model input size (default 1024)")
    p.add_argument("--untrained", action="store_true", help="random weights (tests, no download)")
    p.add_argument("--memory-mode", default="low", choices=["normal", "low", "super-low"])
    p.add_argument(
        "--formats",
        default="tiff,tracks",
        help=f"comma-separated, from: {', '.join(FORMATS)} (default tiff,tracks)",
    )
    p.add_argument("--direction", default="both", choices=DIRECTIONS)
    p.add_argument("--axes", help="axis letters of the stacks, e.g. TYX (default: guessed)")
    p.add_argument("--scheduler", help="address of a running dask scheduler (else local)")
    p.add_argument("--workers", type=int, help="local workers (default: one per GPU, else 2)")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    model = ModelSpec(
        name=args.model,
        version=args.version,
        checkpoint=args.checkpoint,
        model_dir=args.model_dir,
        device=args.device,
        image_size=args.image_size,
        untrained=args.untrained,
    )
    try:
        results = propagate_many(
            args.stacks,
            args.prompts,
            args.out,
            model,
            client=args.scheduler,
            n_workers=args.workers,
            memory_mode=args.memory_mode,
            formats=formats,
            direction=args.direction,
            overwrite=args.overwrite,
            open_kwargs={"axes": args.axes} if args.axes else None,
            progress=not args.quiet,
        )
    except (ValueError, FileNotFoundError) as exc:
        print(f"sam2-jupyter: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([r.as_dict() for r in results], indent=1))
    else:
        for r in results:
            if r.ok:
                print(
                    f"ok      {r.stack}: {r.frames} frames, objects {r.objects}, {r.seconds:.1f} s"
                )
            else:
                print(f"FAILED  {r.stack}: {r.error.splitlines()[0] if r.error else ''}")
    failed = sum(not r.ok for r in results)
    if failed:
        print(f"{failed} of {len(results)} stacks failed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The command line: ``sam2-jupyter propagate`` runs stored prompts over many stacks
(a thin layer over :func:`sam2_jupyter.batch.propagate_many`); ``sam2-jupyter
annotate STACK`` serves the annotator alone as a web page (:mod:`sam2_jupyter.app`)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from ._words import plural
from .batch import DIRECTIONS, ModelSpec, propagate_many
from .exports.formats import FORMATS


def _model_options(parser: argparse.ArgumentParser) -> None:
    """Which model (a SAM2 or EdgeTAM) and where it runs, for every command."""
    parser.add_argument("--model", default="tiny", help="tiny, small, base_plus, large, edgetam")
    parser.add_argument(
        "--checkpoint", help="a local weights file, no download (.pt; EdgeTAM: .safetensors)"
    )
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")
    parser.add_argument("--image-size", type=int, help="model input size (default 1024)")
    parser.add_argument(
        "--untrained", action="store_true", help="random weights (tests, no download)"
    )


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
    _model_options(p)
    p.add_argument("--version", default="2.1", help="SAM 2.1 or 2.0")
    p.add_argument("--model-dir", help="where weights are downloaded on first use")
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
    a = sub.add_parser(
        "annotate",
        help="the annotator alone as a web page (no code), for one stack",
        description="Serve the annotator on STACK as a web page (Voilà: no code cells). "
        "Binds to 127.0.0.1 and asks for a token, like Jupyter; on a remote machine use "
        "an SSH tunnel: ssh -L 8866:127.0.0.1:8866 host. Work is autosaved as in a "
        "notebook and resumed when the same data is opened again.",
    )
    a.add_argument("stack", metavar="STACK", help="TIFF, video, folder, Zarr ...")
    _model_options(a)
    a.add_argument("--memory", default="normal", choices=["normal", "low", "super-low"])
    a.add_argument("--port", type=int, default=8866)
    a.add_argument("--ip", default="127.0.0.1", help="address to bind (default: this machine only)")
    a.add_argument(
        "--token",
        help="the access token (default: a new random one, which unlike this option's "
        "value no other user of the machine can see in ps)",
    )
    a.add_argument("--no-token", action="store_true", help="no token (only with the default --ip)")
    return parser


def annotate(args: argparse.Namespace) -> int:
    from .app import AppOptions, serve

    token = "" if args.no_token else args.token
    stack = str(Path(args.stack).expanduser().resolve())
    options = AppOptions(
        stack=stack,
        model=args.model,
        memory_mode=args.memory,
        checkpoint=args.checkpoint,
        device=args.device,
        image_size=args.image_size,
        untrained=args.untrained,
        port=args.port,
        ip=args.ip,
        workdir=str(Path.cwd()),
        **({} if token is None else {"token": token}),
    )
    return serve(options)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "annotate":
        return annotate(args)
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
                    f"ok      {r.stack}: {plural(r.frames, 'frame')}, objects {r.objects}, "
                    f"{r.seconds:.1f} s"
                )
            else:
                print(f"FAILED  {r.stack}: {r.error.splitlines()[0] if r.error else ''}")
    failed = sum(not r.ok for r in results)
    if failed:
        print(f"{failed} of {plural(len(results), 'stack')} failed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

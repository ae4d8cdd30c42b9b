"""Stored prompts run over many stacks on ``dask.distributed``.

What runs where, and what travels:

* the client sends each worker a stack *path*, a prompts *path*, an output folder
  and a small model description (a few hundred bytes): never pixels. Workers
  therefore need the data on a filesystem they can read (the shared storage every
  HPC cluster and JupyterHub has);
* a worker loads the model once per process (then reuses it for every stack it
  gets), opens the stack lazily, runs a :class:`~sam2_jupyter.Session` with the
  prompts (batched per object and frame, as ``load_prompts`` does), propagates and
  writes the exports next to each other in ``<out>/<stack name>/``;
* only a :class:`StackResult` comes back (paths, counts, timings, or the error).

One failing stack (unreadable file, bad prompts, out of memory) is reported in its
result and the others go on. With GPUs, run one worker per GPU: a worker picks
``cuda:<worker number modulo the GPU count>``, so a ``LocalCluster`` with as many
workers as GPUs spreads the stacks over them; on a cluster (dask-jobqueue,
dask-gateway) give each worker one GPU and it uses ``cuda:0``.
"""

from __future__ import annotations

import contextlib
import time
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .engine.propagation import DIRECTIONS
from .exports.formats import FORMATS, format_named


@dataclass(frozen=True)
class ModelSpec:
    """How a worker loads the model: the arguments of :func:`~sam2_jupyter.load_model`."""

    name: str = "tiny"
    version: str = "2.1"
    checkpoint: str | None = None
    model_dir: str | None = None
    device: str = "auto"
    image_size: int | None = None
    untrained: bool = False
    seed: int = 0


@dataclass
class StackResult:
    """What one stack's job reports back to the client."""

    stack: str
    ok: bool
    outputs: dict[str, str] = field(default_factory=dict)
    frames: int = 0
    objects: list[int] = field(default_factory=list)
    seconds: float = 0.0
    worker: str = ""
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_MODELS: dict[tuple[ModelSpec, str], Any] = {}


def _worker_device(spec: ModelSpec) -> str:
    """One GPU per worker: a LocalCluster's worker k takes GPU k modulo the count."""
    import torch

    if spec.device != "auto" or not torch.cuda.is_available():
        return spec.device
    n = torch.cuda.device_count()
    with contextlib.suppress(ImportError, ValueError):
        from distributed import get_worker

        return f"cuda:{int(get_worker().name) % n}"
    return "cuda:0"


def _model(spec: ModelSpec) -> Any:
    import warnings

    from .models import UntrainedModelWarning, load_model

    device = _worker_device(spec)
    key = (spec, device)
    if key not in _MODELS:
        with warnings.catch_warnings():
            if spec.untrained:
                warnings.simplefilter("ignore", UntrainedModelWarning)
            _MODELS[key] = load_model(
                spec.name,
                spec.version,
                checkpoint=spec.checkpoint,
                model_dir=spec.model_dir,
                device=device,
                image_size=spec.image_size,
                untrained=spec.untrained,
                seed=spec.seed,
                progress=False,
            )
    return _MODELS[key]


def prompts_for(stack: str | Path, prompts: str | Path) -> Path:
    """The prompts of one stack: ``prompts`` itself, or ``<prompts>/<stack name>.csv``
    when ``prompts`` is a folder."""
    p = Path(prompts)
    if p.is_dir():
        return p / f"{stack_name(stack)}.csv"
    return p


def stack_name(stack: str | Path) -> str:
    name = Path(stack).name
    for suffix in (".ome.tiff", ".ome.tif", ".ome.zarr", ".tiff", ".tif", ".zarr"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return Path(name).stem or name


def run_stack(
    stack: str,
    prompts: str,
    out: str,
    model: ModelSpec,
    memory_mode: str = "low",
    formats: Sequence[str] = ("tiff", "tracks"),
    direction: str = "both",
    overwrite: bool = False,
    open_kwargs: dict[str, Any] | None = None,
    threads: int | None = None,
) -> StackResult:
    """One stack, start to finish, on whichever machine runs it. Never raises: a
    failure comes back as ``ok=False`` with the error, so the other stacks go on."""
    from . import Session, open_stack

    t0 = time.perf_counter()
    result = StackResult(stack=str(stack), ok=False, worker=_worker_name())
    try:
        if threads:
            import torch

            torch.set_num_threads(int(threads))
        folder = Path(out) / stack_name(stack)
        folder.mkdir(parents=True, exist_ok=True)
        session = Session(open_stack(stack, **(open_kwargs or {})), _model(model), memory_mode)
        session.load_prompts(prompts_for(stack, prompts))  # ours or napari's CSV
        frames = session.run_propagation(direction=direction, progress=False)
        outputs: dict[str, str] = {}
        for fmt in formats:
            outputs[fmt] = str(_export(session, fmt, folder, overwrite))
        result.ok = True
        result.outputs = outputs
        result.frames = len(set(frames))
        result.objects = session.label_ids
    except Exception as exc:  # reported to the client, never raised
        result.error = f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, (OSError, ValueError)):
            result.error += "\n" + traceback.format_exc(limit=3)
    result.seconds = time.perf_counter() - t0
    return result


def _export(session: Any, fmt: str, folder: Path, overwrite: bool) -> Path:
    """One format, under its batch name in the stack's folder (``labels.tif``, ...)."""
    return session.export(fmt, folder / format_named(fmt).filename, overwrite=overwrite)


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().name)
    except (ImportError, ValueError):
        return "local"


def propagate_many(
    stacks: Iterable[str | Path],
    prompts: str | Path,
    out: str | Path,
    model: ModelSpec | None = None,
    *,
    client: Any = None,
    n_workers: int | None = None,
    memory_mode: str = "low",
    formats: Sequence[str] = ("tiff", "tracks"),
    direction: str = "both",
    overwrite: bool = False,
    open_kwargs: dict[str, Any] | None = None,
    progress: bool = True,
) -> list[StackResult]:
    """Run the stored ``prompts`` over every stack on a dask cluster.

    Parameters
    ----------
    stacks
        Paths anything :func:`~sam2_jupyter.open_stack` opens.
    prompts
        A prompts CSV (ours, or a napari Points CSV) for every stack, or a folder
        holding ``<stack name>.csv`` per stack.
    out
        Results go to ``<out>/<stack name>/`` (``labels.tif``, ``tracks.csv``, ...).
    client
        Any ``distributed.Client`` (dask-jobqueue on HPC, dask-gateway on
        JupyterHub, a scheduler address). None: a LocalCluster of ``n_workers``
        processes (default: one per GPU, else two), closed afterwards.
    memory_mode
        Default "low": memory stays bounded however long the stacks are.
    formats
        Names in :data:`sam2_jupyter.exports.formats.FORMATS`: ``tiff``,
        ``overlay``, ``tracks``, ``ctc``, ``coco``, ``ome-zarr``, ``prompts``.
    direction
        "forward", "reverse" or "both" (from the earliest prompted frame).
    """
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ValueError(f"unknown format(s) {bad}; choose from {', '.join(FORMATS)}")
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    from distributed import Client, LocalCluster, as_completed

    model = model or ModelSpec()
    stacks = [str(Path(s).expanduser()) for s in stacks]
    missing = [s for s in stacks if not prompts_for(s, prompts).is_file()]
    if missing:
        raise FileNotFoundError(
            "no prompts file for: " + ", ".join(f"{s} ({prompts_for(s, prompts)})" for s in missing)
        )
    Path(out).mkdir(parents=True, exist_ok=True)
    own = None  # a cluster made here, closed here
    made = client is None or isinstance(client, str)  # so is a client made here
    if client is None:
        own = LocalCluster(
            n_workers=n_workers or _default_workers(), threads_per_worker=1, processes=True
        )
        client = Client(own)
    elif isinstance(client, str):
        client = Client(client)
    try:
        threads = 1 if own is not None else None
        futures = client.map(
            run_stack,
            stacks,
            [str(prompts_for(s, prompts)) for s in stacks],
            out=str(out),
            model=model,
            memory_mode=memory_mode,
            formats=tuple(formats),
            direction=direction,
            overwrite=overwrite,
            open_kwargs=open_kwargs,
            threads=threads,
            pure=False,
        )
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[StackResult | None] = [None] * len(futures)
        bar = _bar(len(futures), progress)
        for future in as_completed(futures):
            i = index[future.key]
            try:
                results[i] = future.result()
            except Exception as exc:  # the worker died (killed, out of host memory)
                results[i] = StackResult(stacks[i], False, error=f"worker lost: {exc}")
            bar.update(1)
            failed = sum(1 for r in results if r is not None and not r.ok)
            bar.set_postfix(failed=failed)
        bar.close()
        return [r for r in results if r is not None]
    finally:
        if made:
            client.close()
        if own is not None:
            own.close()


def _default_workers() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 2


def _bar(total: int, show: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="stack", desc="propagate", disable=not show)

"""Generated microscopy stand-ins: a fluorescence time-lapse and a 3D nuclei stack.

They replace the real sample data when it cannot be downloaded (no network, as in CI,
or ``offline=True``), so demos and tests still show something worth clicking on:
nuclei with inner texture and soft edges under a blurred optical response and
Poisson (shot) noise, 16-bit like a camera or a confocal. Everything is drawn from
one seeded generator, so the same arguments always give the same pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Photon counts -> grey levels, and the camera's offset: the values look like a
# 16-bit sCMOS/EMCCD recording, not like a normalised float image.
_GAIN = 12.0
_OFFSET = 100.0


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, ...], sigma: float) -> np.ndarray:
    """Gaussian-filtered white noise scaled to unit standard deviation (a texture)."""
    from scipy import ndimage as ndi

    field = ndi.gaussian_filter(rng.standard_normal(shape, dtype=np.float32), sigma)
    return field / max(float(field.std()), 1e-6)


def _to_camera(rng: np.random.Generator, photons: np.ndarray, read_noise: float) -> np.ndarray:
    """Shot noise (Gaussian with variance equal to the mean: Poisson at these counts,
    and several times faster to draw), read noise, gain and offset -> uint16."""
    lam = np.clip(photons, 0, None).astype(np.float32)
    noise = rng.standard_normal(lam.shape, dtype=np.float32)
    counts = lam + np.sqrt(lam + read_noise * read_noise) * noise
    return np.clip(_OFFSET + _GAIN * counts, 0, 65535).astype(np.uint16)


@dataclass
class _Cell:
    """One nucleus of the time-lapse: position and velocity in pixels, semi-axes,
    orientation, photon brightness, its own chromatin texture, and its fate."""

    y: float
    x: float
    vy: float
    vx: float
    ry: float
    rx: float
    angle: float
    brightness: float
    texture: np.ndarray
    divide_at: int | None = None
    drift: tuple[float, float] = (0.0, 0.0)


def _texture(rng: np.random.Generator, size: int) -> np.ndarray:
    """Chromatin-like texture of a nucleus: fine speckle, coarse domains and a few
    darker nucleoli, as a multiplicative factor around 1."""
    fine = _smooth_noise(rng, (size, size), 1.0)
    coarse = _smooth_noise(rng, (size, size), 3.5)
    tex = 1.0 + 0.18 * fine + 0.14 * coarse
    yy, xx = np.mgrid[:size, :size].astype(np.float32) - size / 2
    for _ in range(int(rng.integers(1, 4))):
        cy, cx = rng.uniform(-size / 5, size / 5, 2)
        r = rng.uniform(size / 16, size / 10)
        tex *= 1.0 - 0.35 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))
    return tex.astype(np.float32)


def _new_cell(rng: np.random.Generator, y: float, x: float, radius: float) -> _Cell:
    ry = radius * rng.uniform(0.85, 1.1)
    rx = radius * rng.uniform(1.0, 1.35)
    size = math.ceil(max(ry, rx) * 2.6) + 4
    return _Cell(
        y=y,
        x=x,
        vy=float(rng.normal(0, 0.4)),
        vx=float(rng.normal(0, 0.4)),
        ry=ry,
        rx=rx,
        angle=float(rng.uniform(0, math.pi)),
        brightness=float(rng.uniform(38, 82)),
        texture=_texture(rng, size),
    )


def _place(
    rng: np.random.Generator, shape: tuple[int, int], n: int, radius: float, margin: float
) -> list[tuple[float, float]]:
    """Up to ``n`` centres at least ``2.3 * radius`` apart (rejection sampling)."""
    h, w = shape
    points: list[tuple[float, float]] = []
    for _ in range(n * 60):
        if len(points) == n:
            break
        y, x = rng.uniform(margin, h - margin), rng.uniform(margin, w - margin)
        if all((y - py) ** 2 + (x - px) ** 2 > (2.3 * radius) ** 2 for py, px in points):
            points.append((y, x))
    return points


def _render_cell(frame: np.ndarray, cell: _Cell, scale_r: float, scale_b: float) -> None:
    """Add one nucleus (soft-edged, domed, textured ellipse) to ``frame`` in place."""
    ry, rx = cell.ry * scale_r, cell.rx * scale_r
    half = math.ceil(max(ry, rx) * 1.4) + 2
    cy, cx = round(cell.y), round(cell.x)
    y0, y1 = max(cy - half, 0), min(cy + half + 1, frame.shape[0])
    x0, x1 = max(cx - half, 0), min(cx + half + 1, frame.shape[1])
    if y0 >= y1 or x0 >= x1:
        return
    dy = np.arange(y0, y1, dtype=np.float32)[:, None] - cell.y
    dx = np.arange(x0, x1, dtype=np.float32)[None, :] - cell.x
    c, s = math.cos(cell.angle), math.sin(cell.angle)
    u = c * dx + s * dy  # along the long axis
    v = -s * dx + c * dy
    r = np.sqrt((u / rx) ** 2 + (v / ry) ** 2)
    edge = 1.0 / (1.0 + np.exp((r - 1.0) * 9.0))
    dome = 0.7 + 0.3 * np.sqrt(np.clip(1.0 - r * r, 0.0, 1.0))
    size = cell.texture.shape[0]
    ti = np.clip(np.rint(v / scale_r + size / 2).astype(np.int64), 0, size - 1)
    tj = np.clip(np.rint(u / scale_r + size / 2).astype(np.int64), 0, size - 1)
    tex = cell.texture[ti, tj]
    frame[y0:y1, x0:x1] += cell.brightness * scale_b * edge * dome * tex


def _divide(rng: np.random.Generator, mother: _Cell) -> list[_Cell]:
    """Two daughters on either side of the mother along its long axis, moving apart."""
    c, s = math.cos(mother.angle), math.sin(mother.angle)
    daughters = []
    for sign in (-1.0, 1.0):
        d = _new_cell(
            rng,
            mother.y + sign * s * mother.rx * 0.6,
            mother.x + sign * c * mother.rx * 0.6,
            0.8 * math.sqrt(mother.ry * mother.rx),
        )
        d.vy, d.vx = sign * s * 1.6, sign * c * 1.6
        d.angle = mother.angle
        d.brightness = mother.brightness * 1.1
        daughters.append(d)
    return daughters


def fluorescence_timelapse(
    n_frames: int = 40, shape: tuple[int, int] = (256, 256), *, n_cells: int = 14, seed: int = 0
) -> np.ndarray:
    """A 2D fluorescence time-lapse of labelled nuclei (T, Y, X), uint16.

    Nuclei are textured, soft-edged ellipses that wander (a persistent random walk
    with mutual repulsion, so they rarely overlap). Three of them round up, brighten
    and divide into two daughters that move apart; two drift out of the field of
    view and are gone before the end. The frames are blurred by a Gaussian optical
    response and get Poisson shot noise plus camera read noise, so a threshold or a
    SAM2 click behaves as on real data.

    Parameters
    ----------
    n_frames
        Number of time points (at least 4, so that divisions and exits fit).
    shape
        (height, width) in pixels.
    n_cells
        Nuclei in the first frame (fewer if they do not fit without overlapping).
    seed
        Seed of the random generator: the same arguments give the same stack.

    Returns
    -------
    numpy.ndarray
        ``(n_frames, *shape)`` uint16, axes TYX.
    """
    from scipy import ndimage as ndi

    if n_frames < 4:
        raise ValueError(f"n_frames must be at least 4, got {n_frames}")
    rng = np.random.default_rng(seed)
    h, w = shape
    radius = max(4.0, min(h, w) / 19)
    cells = [
        _new_cell(rng, y, x, radius) for y, x in _place(rng, shape, n_cells, radius, 2 * radius)
    ]
    # Fates: the first three divide at spread-out times, the two nearest an edge leave.
    for k, cell in enumerate(cells[:3]):
        cell.divide_at = max(2, int(n_frames * (0.3 + 0.2 * k)))
    dist = [(min(c.y, h - c.y, c.x, w - c.x), i) for i, c in enumerate(cells)]
    for frac, (_, i) in zip((0.45, 0.8), sorted(dist)[:2], strict=False):
        c = cells[i]
        c.divide_at = None
        to_edge = {(-1.0, 0.0): c.y, (1.0, 0.0): h - c.y, (0.0, -1.0): c.x, (0.0, 1.0): w - c.x}
        direction = min(to_edge, key=lambda k: to_edge[k])
        speed = (to_edge[direction] + 2.5 * radius) / (frac * n_frames)
        c.drift = (direction[0] * speed, direction[1] * speed)
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    background = 8.0 + 3.0 * (yy / h) + 2.0 * np.sin(xx / w * math.pi)
    frames = np.empty((n_frames, h, w), dtype=np.uint16)
    for t in range(n_frames):
        born: list[_Cell] = []
        for cell in cells:
            if cell.divide_at == t:
                born.extend(_divide(rng, cell))
            else:
                born.append(cell)
        cells = born
        _move(rng, cells, radius)
        frame = background.copy()
        for cell in cells:
            left = None if cell.divide_at is None else cell.divide_at - t
            mitotic = left is not None and 0 < left <= 3
            # Before dividing a nucleus rounds up, shrinks and condenses (brighter).
            _render_cell(frame, cell, 0.75 if mitotic else 1.0, 1.8 if mitotic else 1.0)
        frame = ndi.gaussian_filter(frame, 1.0)
        frames[t] = _to_camera(rng, frame, read_noise=1.5)
    return frames


def _move(rng: np.random.Generator, cells: list[_Cell], radius: float) -> None:
    """One step of a persistent random walk with soft repulsion between nuclei."""
    for i, a in enumerate(cells):
        fy = fx = 0.0
        for j, b in enumerate(cells):
            if i == j:
                continue
            dy, dx = a.y - b.y, a.x - b.x
            d2 = dy * dy + dx * dx + 1e-3
            if d2 < (2.4 * radius) ** 2:
                f = 0.8 * (2.4 * radius - math.sqrt(d2)) / (2.4 * radius)
                fy, fx = fy + f * dy / math.sqrt(d2), fx + f * dx / math.sqrt(d2)
        a.vy = 0.85 * a.vy + 0.4 * float(rng.normal()) + fy
        a.vx = 0.85 * a.vx + 0.4 * float(rng.normal()) + fx
        a.y += a.vy + a.drift[0]
        a.x += a.vx + a.drift[1]
        a.angle += 0.03 * float(rng.normal())


def nuclei_3d(
    shape: tuple[int, int, int] = (60, 256, 256), *, n_nuclei: int = 30, seed: int = 0
) -> np.ndarray:
    """A confocal-like Z-stack through a monolayer of nuclei (Z, Y, X), uint16.

    Flattened ellipsoids packed side by side at about the same height, each with
    chromatin texture and darker nucleoli; one or two are small and bright
    (condensed, as in mitosis). The optical response is longer along Z than in the
    plane, deeper planes are dimmer, and the counts carry Poisson noise: slicing
    through Z, nuclei appear, grow, shrink and vanish, as in ``cells3d``.

    Parameters
    ----------
    shape
        (planes, height, width).
    n_nuclei
        Nuclei to place (fewer if they do not fit).
    seed
        Seed of the random generator.

    Returns
    -------
    numpy.ndarray
        ``shape`` uint16, axes ZYX.
    """
    from scipy import ndimage as ndi

    rng = np.random.default_rng(seed)
    nz, h, w = shape
    radius = max(4.0, min(h, w) / 12)
    volume = np.zeros(shape, dtype=np.float32)
    texture = 1.0 + 0.22 * _smooth_noise(rng, shape, 1.3)
    z_mid = nz * 0.5
    for k, (y, x) in enumerate(_place(rng, (h, w), n_nuclei, radius * 1.05, 0)):
        condensed = k < 2
        r = radius * (0.6 if condensed else rng.uniform(0.85, 1.15))
        ry, rx = r * rng.uniform(0.8, 1.0), r * rng.uniform(1.0, 1.25)
        rz = max(2.0, nz * (0.12 if condensed else rng.uniform(0.13, 0.18)))
        cz = z_mid + rng.normal(0, nz * 0.04)
        angle = rng.uniform(0, math.pi)
        bright = rng.uniform(40, 70) * (1.9 if condensed else 1.0)
        zs = slice(max(int(cz - rz * 1.4), 0), min(int(cz + rz * 1.4) + 1, nz))
        ys = slice(max(int(y - r * 1.6), 0), min(int(y + r * 1.6) + 1, h))
        xs = slice(max(int(x - r * 1.6), 0), min(int(x + r * 1.6) + 1, w))
        dz, dy, dx = np.ogrid[zs, ys, xs]
        dz, dy, dx = dz - cz, dy - y, dx - x
        c, s = math.cos(angle), math.sin(angle)
        u, v = c * dx + s * dy, -s * dx + c * dy
        rr = np.sqrt((u / rx) ** 2 + (v / ry) ** 2 + (dz / rz) ** 2).astype(np.float32)
        blob = bright / (1.0 + np.exp((rr - 1.0) * 8.0))
        for _ in range(int(rng.integers(1, 3))):  # nucleoli: darker pockets
            oz, oy, ox = rng.normal(0, [rz * 0.2, r * 0.3, r * 0.3])
            across = ((dy - oy) ** 2 + (dx - ox) ** 2) / (r * 0.22) ** 2
            dist2 = (dz - oz) ** 2 / (rz * 0.3) ** 2 + across
            blob *= 1.0 - 0.4 * np.exp(-dist2)
        volume[zs, ys, xs] += blob
    volume *= texture
    volume *= np.exp(-np.arange(nz, dtype=np.float32) / (nz * 2.5))[:, None, None]
    volume = ndi.gaussian_filter(volume, (1.6, 0.9, 0.9)) + 4.0
    return _to_camera(rng, volume, read_noise=1.0)

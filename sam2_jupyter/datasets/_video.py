"""A generated short natural-looking video: a panning landscape with moving objects.

It stands in for a real clip when none can be fetched: a textured meadow under a
sky with clouds and hills, seen by a camera that pans slowly, with a shaded red ball
that bounces along the grass (with its shadow), a blue cart that drives the other
way and passes in front of a green ball, and a yellow kite that sways in the sky.
Smooth, anti-aliased edges, Lambert shading and a little sensor noise make the
objects look solid, so they are what one clicks on. Seeded and deterministic.
"""

from __future__ import annotations

import math

import numpy as np

_SKY_TOP = np.array([0.38, 0.58, 0.86], dtype=np.float32)
_SKY_LOW = np.array([0.78, 0.86, 0.95], dtype=np.float32)
_HILLS = np.array([0.30, 0.42, 0.40], dtype=np.float32)
_GRASS = np.array([0.30, 0.52, 0.18], dtype=np.float32)
_SOIL = np.array([0.45, 0.36, 0.20], dtype=np.float32)


def _noise(
    rng: np.random.Generator, shape: tuple[int, int], sigma: tuple[float, float]
) -> np.ndarray:
    from scipy import ndimage as ndi

    field = ndi.gaussian_filter(rng.standard_normal(shape, dtype=np.float32), sigma)
    return field / max(float(field.std()), 1e-6)


def _landscape(rng: np.random.Generator, h: int, width: int) -> tuple[np.ndarray, int]:
    """The world behind the objects, wider than a frame (the camera pans over it),
    as float RGB in 0..1, and the row of the horizon."""
    horizon = int(h * 0.42)
    yy = np.arange(h, dtype=np.float32)[:, None, None]
    img = np.empty((h, width, 3), dtype=np.float32)
    # Sky: a vertical gradient with soft clouds.
    t = np.clip(yy / max(horizon, 1), 0, 1)
    img[:] = _SKY_TOP * (1 - t) + _SKY_LOW * t
    clouds = np.clip(_noise(rng, (h, width), (h / 14, h / 6)) - 0.4, 0, None)[..., None]
    img = img * (1 - 0.35 * clouds) + 0.35 * clouds
    # Hills: a wavy silhouette just above the horizon, shaded by a coarse texture.
    xs = np.arange(width, dtype=np.float32)
    ridge = horizon - h * (0.06 + 0.04 * np.sin(xs / width * 5.1) + 0.02 * np.sin(xs / width * 17))
    hills = (yy[..., 0] >= ridge[None, :]) & (yy[..., 0] < horizon)
    shade = 1 + 0.12 * _noise(rng, (h, width), (3, 6))
    img[hills] = (_HILLS * shade[hills][:, None]).astype(np.float32)
    # Meadow: grass with streaks and soil patches, brighter and coarser near the camera.
    depth = np.clip((yy[..., 0] - horizon) / max(h - horizon, 1), 0, 1)
    blades = _noise(rng, (h, width), (0.8, 2.5))
    patches = _noise(rng, (h, width), (h / 10, h / 5))
    soil = np.clip(patches - 0.8, 0, 1)[..., None]
    ground = _GRASS * (1 - soil) + _SOIL * soil
    ground = ground * (0.75 + 0.35 * depth[..., None]) * (1 + 0.18 * blades[..., None])
    img[horizon:] = ground[horizon:]
    return np.clip(img, 0, 1), horizon


def _soft_disk(dy: np.ndarray, dx: np.ndarray, r: float) -> np.ndarray:
    """Coverage of a disk of radius ``r``: 1 inside, 0 outside, a 1 px ramp between."""
    return np.clip(r + 0.5 - np.sqrt(dy * dy + dx * dx), 0, 1)


def _window(
    frame: np.ndarray, cy: float, cx: float, half: int
) -> tuple[slice, slice, np.ndarray, np.ndarray]:
    h, w = frame.shape[:2]
    y0, y1 = max(int(cy) - half, 0), min(int(cy) + half + 1, h)
    x0, x1 = max(int(cx) - half, 0), min(int(cx) + half + 1, w)
    dy = np.arange(y0, y1, dtype=np.float32)[:, None] - cy
    dx = np.arange(x0, x1, dtype=np.float32)[None, :] - cx
    return slice(y0, max(y1, y0)), slice(x0, max(x1, x0)), dy, dx


def _shadow(frame: np.ndarray, cy: float, cx: float, rx: float, ry: float, strength: float) -> None:
    ys, xs, dy, dx = _window(frame, cy, cx, int(rx * 1.6) + 2)
    if dy.size and dx.size:
        d = np.sqrt((dx / rx) ** 2 + (dy / ry) ** 2)
        frame[ys, xs] *= (1 - strength * np.clip(1.2 - d, 0, 1))[..., None]


def _ball(frame: np.ndarray, cy: float, cx: float, r: float, color: np.ndarray) -> None:
    """A Lambert-shaded sphere lit from the upper left, with a specular highlight."""
    ys, xs, dy, dx = _window(frame, cy, cx, int(r) + 2)
    if not (dy.size and dx.size):
        return
    cover = _soft_disk(dy, dx, r)[..., None]
    nz = np.sqrt(np.clip(1 - (dx * dx + dy * dy) / (r * r), 0, 1))
    light = np.array([-0.5, -0.6, 0.62], dtype=np.float32)  # (x, y, z), towards the viewer
    lambert = np.clip((dx / r) * light[0] + (dy / r) * light[1] + nz * light[2], 0, 1)
    spec = np.clip(lambert, 0, 1) ** 24
    rgb = color * (0.25 + 0.85 * lambert)[..., None] + 0.6 * spec[..., None]
    frame[ys, xs] = frame[ys, xs] * (1 - cover) + np.clip(rgb, 0, 1) * cover


def _cart(frame: np.ndarray, cy: float, cx: float, length: float, height: float) -> None:
    """A blue box with rounded corners, a lighter window band and two dark wheels."""
    wheel = height * 0.28
    for off in (-0.3, 0.3):
        wy, wx = cy + height / 2, cx + off * length
        ys, xs, dy, dx = _window(frame, wy, wx, int(wheel) + 2)
        if dy.size and dx.size:
            cover = _soft_disk(dy, dx, wheel)[..., None]
            hub = _soft_disk(dy, dx, wheel * 0.35)[..., None]
            rgb = np.float32(0.08) + 0.35 * hub * np.array([0.7, 0.7, 0.7], dtype=np.float32)
            frame[ys, xs] = frame[ys, xs] * (1 - cover) + rgb * cover
    ys, xs, dy, dx = _window(frame, cy, cx, int(length / 2) + 2)
    if not (dy.size and dx.size):
        return
    rr = height * 0.25
    qy = np.clip(np.abs(dy) - (height / 2 - rr), 0, None)
    qx = np.clip(np.abs(dx) - (length / 2 - rr), 0, None)
    inside = np.abs(dy) <= height / 2 + 1
    cover = (np.clip(rr + 0.5 - np.sqrt(qy * qy + qx * qx), 0, 1) * inside)[..., None]
    vert = np.clip(0.5 - dy / height, 0, 1)  # lit from above
    body = np.array([0.12, 0.25, 0.70], dtype=np.float32) * (0.55 + 0.6 * vert)[..., None]
    band = ((dy > -height * 0.35) & (dy < -height * 0.05) & (np.abs(dx) < length * 0.38))[..., None]
    body = np.where(band, np.array([0.65, 0.80, 0.92], dtype=np.float32), body)
    frame[ys, xs] = frame[ys, xs] * (1 - cover) + body * cover


def _kite(frame: np.ndarray, cy: float, cx: float, size: float, tilt: float) -> None:
    """A yellow diamond with a darker cross, tilted by ``tilt`` radians."""
    ys, xs, dy, dx = _window(frame, cy, cx, int(size) + 2)
    if not (dy.size and dx.size):
        return
    c, s = math.cos(tilt), math.sin(tilt)
    u, v = c * dx + s * dy, -s * dx + c * dy
    d = np.abs(u) / (size * 0.6) + np.abs(v) / size
    cover = np.clip((1 - d) * size * 0.6 + 0.5, 0, 1)[..., None]
    shade = (0.8 + 0.25 * np.clip(-v / size, -1, 1))[..., None]
    rgb = np.array([0.95, 0.80, 0.15], dtype=np.float32) * shade
    cross = ((np.abs(u) < 0.8) | (np.abs(v) < 0.8))[..., None]
    rgb = np.where(cross, rgb * 0.55, rgb)
    frame[ys, xs] = frame[ys, xs] * (1 - cover) + rgb * cover


def natural_video(
    n_frames: int = 40, shape: tuple[int, int] = (256, 256), *, seed: int = 0
) -> np.ndarray:
    """A short RGB video of a meadow scene with four moving objects (T, Y, X, C), uint8.

    Parameters
    ----------
    n_frames
        Number of frames (at least 2).
    shape
        (height, width) in pixels.
    seed
        Seed of the textures and the sensor noise: the same arguments give the same
        video.

    Returns
    -------
    numpy.ndarray
        ``(n_frames, *shape, 3)`` uint8, axes TYXC.
    """
    if n_frames < 2:
        raise ValueError(f"n_frames must be at least 2, got {n_frames}")
    rng = np.random.default_rng(seed)
    h, w = shape
    pan = max(w // 4, 8)  # the camera moves this far over the whole clip
    world, horizon = _landscape(rng, h, w + pan)
    out = np.empty((n_frames, h, w, 3), dtype=np.uint8)
    scale = min(h, w) / 256
    for t in range(n_frames):
        p = t / (n_frames - 1)
        off = round(p * pan)
        frame = world[:, off : off + w].copy()
        # Kite: sways across the sky, far away (moves with the landscape, slowly).
        _kite(
            frame,
            h * 0.2 + 8 * scale * math.sin(p * 6.0),
            w * (0.25 + 0.5 * p),
            17 * scale,
            0.35 * math.sin(p * 9.0),
        )
        # Green ball: rolls slowly to the right on the far meadow, behind the cart.
        gy, gx, gr = horizon + (h - horizon) * 0.42, w * (0.35 + 0.25 * p), 16 * scale
        _shadow(frame, gy + gr * 0.9, gx + gr * 0.3, gr * 1.1, gr * 0.3, 0.45)
        _ball(frame, gy, gx, gr, np.array([0.25, 0.75, 0.30], dtype=np.float32))
        # Blue cart: drives right to left in the foreground, in front of the green ball.
        cy, cx = horizon + (h - horizon) * 0.55, w * (1.05 - 0.85 * p)
        _shadow(frame, cy + 22 * scale, cx + 6 * scale, 50 * scale, 8 * scale, 0.5)
        _cart(frame, cy, cx, 84 * scale, 34 * scale)
        # Red ball: bounces from left to right close to the camera.
        ground = h - 22 * scale
        bounce = abs(math.sin(p * math.pi * 3.0)) * (h - horizon) * 0.45
        ry, rx, rr = ground - 20 * scale - bounce, w * (0.08 + 0.8 * p), 20 * scale
        _shadow(frame, ground, rx + 4 * scale, rr * (1.1 - 0.3 * bounce / h), rr * 0.3, 0.5)
        _ball(frame, ry, rx, rr, np.array([0.85, 0.12, 0.10], dtype=np.float32))
        frame += rng.normal(0, 0.012, frame.shape).astype(np.float32)
        out[t] = np.clip(frame * 255 + 0.5, 0, 255).astype(np.uint8)
    return out

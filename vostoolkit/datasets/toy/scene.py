"""Procedural toy videos: textured shapes moving over textured backgrounds.

A :class:`ToyScene` is a list of :class:`ToyObject` plus a background; it is
rendered at any (fractional) time ``t`` measured in *stored* frames, so a
YouTube-VOS style split can store every 5th frame while ``valid_all_frames``
renders the frames in between from the same scene.

What makes the data learnable but not trivial:

* each category has its own shape and texture (disc: rings, square:
  checkerboard, triangle: stripes, star: dots) in per-instance colours;
* objects translate (bouncing off the borders), rotate, scale, stretch and
  wobble (a moving radial deformation);
* objects occlude each other (a depth order; velocities are biased so that
  pairs cross), enter late (pop in) and leave through a border;
* the background is a low-frequency colour field with gratings, noise and
  plain (untextured) distractor blobs, panned over time; frames get a
  global brightness flicker and sensor noise.
"""
import math
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import cv2
import numpy as np

CATEGORIES = ('disc', 'square', 'triangle', 'star')
_NUM_VERTICES = 72
_SHIFT = 4  # fixed-point bits of cv2.fillPoly coordinates


@dataclass
class ToyObject:
    """One object's appearance and motion (time in stored frames)."""
    obj_id: int
    category: int
    radius: float
    start: Tuple[float, float]
    velocity: Tuple[float, float]
    bounce: bool
    t_in: float
    depth: float
    colors: Tuple[Tuple[float, ...], Tuple[float, ...]]
    angle0: float = 0.0
    spin: float = 0.0
    aspect: float = 1.0
    aspect_amp: float = 0.0
    scale_amp: float = 0.0
    freq: float = 0.3
    phase: float = 0.0
    wobble_amp: float = 0.0
    wobble_lobes: int = 3
    wobble_speed: float = 0.5
    tex_freq: float = 2.5


@dataclass
class ToyScene:
    """A whole video: frame size, background and objects."""
    height: int
    width: int
    objects: List[ToyObject]
    background: np.ndarray  # (H + 2m, W + 2m, 3) float32 BGR
    margin: int
    pan: Tuple[float, float]
    flicker: Tuple[float, float]  # amplitude, phase of brightness change
    noise_seed: int
    noise_std: float = 2.0
    extra: dict = field(default_factory=dict)


def _fold(x: float, lo: float, hi: float) -> float:
    """Reflect ``x`` into [lo, hi] (a bounce off both walls)."""
    span = hi - lo
    if span <= 0:
        return (lo + hi) / 2
    y = (x - lo) % (2 * span)
    return lo + (y if y <= span else 2 * span - y)


def object_pose(obj: ToyObject, t: float, h: int, w: int):
    """Centre (x, y), scale, aspect and angle of ``obj`` at time ``t``."""
    dt = t - obj.t_in
    x = obj.start[0] + obj.velocity[0] * dt
    y = obj.start[1] + obj.velocity[1] * dt
    if obj.bounce:
        m = 0.5 * obj.radius
        x, y = _fold(x, m, w - 1 - m), _fold(y, m, h - 1 - m)
    osc = math.sin(2 * math.pi * obj.freq * t + obj.phase)
    scale = obj.radius * (1 + obj.scale_amp * osc)
    aspect = obj.aspect * (1 + obj.aspect_amp * math.cos(
        2 * math.pi * obj.freq * t + 1.7 * obj.phase))
    return (x, y), scale, aspect, obj.angle0 + obj.spin * t


def _radial(category: int, phi: np.ndarray) -> np.ndarray:
    """Unit-size radius of a category's outline at angles ``phi``."""
    if category == 0:  # disc
        return np.ones_like(phi)
    if category == 1:  # square with the disc's area
        return 0.886 / np.maximum(np.abs(np.cos(phi)), np.abs(np.sin(phi)))
    if category == 2:  # equilateral triangle
        sector = np.mod(phi + math.pi / 2, 2 * math.pi / 3) - math.pi / 3
        return 1.3 * 0.5 / np.cos(sector)
    return 1.05 * (0.72 + 0.28 * np.cos(5 * phi))  # star


def object_polygon(obj: ToyObject, t: float, h: int, w: int) -> np.ndarray:
    """(K, 2) float outline of ``obj`` at time ``t`` in pixel coordinates."""
    (cx, cy), scale, aspect, angle = object_pose(obj, t, h, w)
    phi = np.linspace(0, 2 * math.pi, _NUM_VERTICES, endpoint=False)
    r = _radial(obj.category, phi) * (1 + obj.wobble_amp * np.sin(
        obj.wobble_lobes * phi + obj.wobble_speed * t + obj.phase))
    sa = math.sqrt(aspect)
    u, v = r * np.cos(phi) * scale * sa, r * np.sin(phi) * scale / sa
    ca, sn = math.cos(angle), math.sin(angle)
    return np.stack([cx + ca * u - sn * v, cy + sn * u + ca * v], axis=1)


def _fill(poly: np.ndarray, h: int, w: int) -> np.ndarray:
    mask = np.zeros((h, w), np.uint8)
    pts = np.round(poly * (1 << _SHIFT)).astype(np.int32)
    cv2.fillPoly(mask, [pts], 1, lineType=cv2.LINE_8, shift=_SHIFT)
    return mask.astype(bool)


def _texture(obj: ToyObject, t: float, h: int, w: int, ys: np.ndarray,
             xs: np.ndarray) -> np.ndarray:
    """(P, 3) float BGR colours of ``obj`` at pixels (ys, xs)."""
    (cx, cy), scale, aspect, angle = object_pose(obj, t, h, w)
    dx, dy = xs - cx, ys - cy
    ca, sn = math.cos(angle), math.sin(angle)
    sa = math.sqrt(aspect)
    u = (ca * dx + sn * dy) / (scale * sa)  # object-local, unit radius
    v = (-sn * dx + ca * dy) * sa / scale
    f = obj.tex_freq
    if obj.category == 0:  # concentric rings
        pat = np.floor(np.hypot(u, v) * f * 1.4) % 2
    elif obj.category == 1:  # checkerboard
        pat = (np.floor((u + 4) * f) + np.floor((v + 4) * f)) % 2
    elif obj.category == 2:  # stripes along the object's axis
        pat = np.floor((u + 4) * f * 1.2) % 2
    else:  # polka dots
        fu, fv = np.mod(u * f, 1) - 0.5, np.mod(v * f, 1) - 0.5
        pat = (fu * fu + fv * fv < 0.09).astype(np.float64)
    c1, c2 = np.asarray(obj.colors[0]), np.asarray(obj.colors[1])
    shade = (1 - 0.12 * v)[:, None]  # light from above
    return (c1[None] * pat[:, None] + c2[None] * (1 - pat[:, None])) * shade


def render_ids(scene: ToyScene, t: float) -> np.ndarray:
    """(H, W) uint8 visible object ids at time ``t`` (0 background)."""
    return _render(scene, t, with_image=False)[1]


def render_frame(scene: ToyScene, t: float,
                 noise_key: Optional[int] = None
                 ) -> Tuple[np.ndarray, np.ndarray]:
    """Render time ``t``.

    Returns:
        tuple: (H, W, 3) uint8 BGR frame and (H, W) uint8 visible ids.
    """
    img, ids = _render(scene, t, with_image=True, noise_key=noise_key)
    return img, ids


def _render(scene: ToyScene, t: float, with_image: bool,
            noise_key: Optional[int] = None):
    h, w = scene.height, scene.width
    ids = np.zeros((h, w), np.uint8)
    img = None
    if with_image:
        m = scene.margin
        ox = int(round(min(max(m + scene.pan[0] * t, 0), 2 * m)))
        oy = int(round(min(max(m + scene.pan[1] * t, 0), 2 * m)))
        img = scene.background[oy:oy + h, ox:ox + w].copy()
    for obj in sorted(scene.objects, key=lambda o: o.depth):  # back first
        if t < obj.t_in - 1e-9:
            continue
        mask = _fill(object_polygon(obj, t, h, w), h, w)
        if not mask.any():
            continue
        ids[mask] = obj.obj_id
        if with_image:
            ys, xs = np.nonzero(mask)
            img[ys, xs] = _texture(obj, t, h, w, ys.astype(np.float64),
                                   xs.astype(np.float64))
    if not with_image:
        return None, ids
    amp, phase = scene.flicker
    img = img * (1 + amp * math.sin(0.9 * t + phase))
    key = int(round(t * 1000)) if noise_key is None else noise_key
    noise_rng = np.random.default_rng([scene.noise_seed, key])
    img = img + noise_rng.normal(0, scene.noise_std, img.shape)
    return np.clip(img + 0.5, 0, 255).astype(np.uint8), ids


def amodal_mask(scene: ToyScene, obj: ToyObject, t: float) -> np.ndarray:
    """(H, W) bool full shape of ``obj`` at time ``t`` (occluded parts
    included; empty before the object enters)."""
    h, w = scene.height, scene.width
    if t < obj.t_in - 1e-9:
        return np.zeros((h, w), bool)
    return _fill(object_polygon(obj, t, h, w), h, w)


def amodal_area(scene: ToyScene, obj: ToyObject, t: float) -> int:
    """Pixels of ``obj``'s full shape inside the frame at time ``t``."""
    return int(amodal_mask(scene, obj, t).sum())

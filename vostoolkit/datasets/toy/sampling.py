"""Random toy scenes, drawn deterministically from a numpy Generator."""
import colorsys
import math
from typing import List, Tuple

import cv2
import numpy as np

from .scene import (ToyObject, ToyScene, amodal_area, object_pose,
                    render_ids)

# Per scene kind: probabilities of the motion modes of non-first objects.
# davis: every object is on the first frame (semi-supervised protocol);
# vos / vis: objects may enter late (pop in) and leave through a border.
_MODES = {
    'davis': (('stay', 'leave'), (0.8, 0.2)),
    'vos': (('stay', 'enter', 'leave', 'enter_leave'),
            (0.4, 0.3, 0.15, 0.15)),
    'vis': (('stay', 'enter', 'leave', 'enter_leave'),
            (0.4, 0.3, 0.15, 0.15)),
}
_REACH = 2.0  # an object is fully outside when its centre is 2 radii out


def _color(rng: np.random.Generator, hue: float, sat: Tuple[float, float],
           val: Tuple[float, float]) -> Tuple[float, float, float]:
    r, g, b = colorsys.hsv_to_rgb(hue % 1.0, rng.uniform(*sat),
                                  rng.uniform(*val))
    return (255.0 * b, 255.0 * g, 255.0 * r)


def make_background(rng: np.random.Generator, h: int, w: int,
                    margin: int) -> np.ndarray:
    """(H + 2m, W + 2m, 3) float32 textured background."""
    hh, ww = h + 2 * margin, w + 2 * margin
    base = rng.uniform(50, 190, (3, 4, 3))
    base = 0.55 * base + 0.45 * base.mean(-1, keepdims=True)  # desaturate
    img = cv2.resize(base.astype(np.float32), (ww, hh),
                     interpolation=cv2.INTER_CUBIC)
    yy, xx = np.mgrid[0:hh, 0:ww].astype(np.float32)
    for _ in range(2):  # faint gratings
        theta, period = rng.uniform(0, math.pi), rng.uniform(5, 16)
        wave = np.sin(2 * math.pi * (xx * math.cos(theta) + yy * math.sin(
            theta)) / period + rng.uniform(0, 2 * math.pi))
        tint = rng.uniform(0.6, 1.2, 3).astype(np.float32)
        img += rng.uniform(5, 14) * wave[..., None] * tint
    for _ in range(int(rng.integers(0, 3))):  # plain distractor blobs
        canvas = np.zeros((hh, ww), np.float32)
        centre = (int(rng.uniform(0, ww)), int(rng.uniform(0, hh)))
        axes = tuple(int(rng.uniform(0.06, 0.15) * min(h, w)) + 1
                     for _ in range(2))
        cv2.ellipse(canvas, centre, axes, float(rng.uniform(0, 180)), 0, 360,
                    1.0, -1)
        canvas = cv2.GaussianBlur(canvas, (3, 3), 0)[..., None]
        col = np.asarray(_color(rng, rng.uniform(), (0.2, 0.6), (0.4, 0.8)),
                         np.float32)
        img = img * (1 - canvas) + col * canvas
    noise = cv2.GaussianBlur(
        rng.normal(0, 6, (hh, ww)).astype(np.float32), (3, 3), 0)
    img += noise[..., None]
    return np.clip(img, 0, 255).astype(np.float32)


def _sample_object(rng: np.random.Generator, mode: str, category: int,
                   h: int, w: int, num_frames: int) -> ToyObject:
    s = min(h, w)
    radius = rng.uniform(0.12, 0.2) * s
    late = mode in ('enter', 'enter_leave') and num_frames > 2
    t_in = float(rng.integers(1, max(2, num_frames // 2 + 1))) if late else 0.
    start = (rng.uniform(radius, w - 1 - radius),
             rng.uniform(radius, h - 1 - radius))
    speed, ang = rng.uniform(0.012, 0.05) * s, rng.uniform(0, 2 * math.pi)
    velocity = (speed * math.cos(ang), speed * math.sin(ang))
    leaves = mode in ('leave', 'enter_leave')
    if leaves:
        last = num_frames - 1
        lo = min(max(t_in + 2, 0.5 * last), last)
        t_exit = rng.uniform(lo, last) if last > t_in else t_in + 1
        reach = _REACH * radius
        along = (rng.uniform(0, w), rng.uniform(0, h))
        target = [(-reach, along[1]), (w - 1 + reach, along[1]),
                  (along[0], -reach), (along[0], h - 1 + reach)]
        tx, ty = target[int(rng.integers(4))]
        dt = max(t_exit - t_in, 1.0)
        velocity = ((tx - start[0]) / dt, (ty - start[1]) / dt)
    hue = rng.uniform()
    colors = (_color(rng, hue, (0.6, 1.0), (0.75, 1.0)),
              _color(rng, hue + rng.uniform(0.35, 0.65), (0.5, 1.0),
                     (0.2, 0.5)))
    return ToyObject(
        obj_id=0, category=category, radius=radius, start=start,
        velocity=velocity, bounce=not leaves, t_in=t_in,
        depth=rng.uniform(), colors=colors,
        angle0=rng.uniform(0, 2 * math.pi), spin=rng.uniform(-0.12, 0.12),
        aspect=rng.uniform(0.75, 1.3), aspect_amp=rng.uniform(0, 0.15),
        scale_amp=rng.uniform(0, 0.15), freq=rng.uniform(0.05, 0.2),
        phase=rng.uniform(0, 2 * math.pi), wobble_amp=rng.uniform(0, 0.08),
        wobble_lobes=int(rng.integers(2, 5)),
        wobble_speed=rng.uniform(0.2, 0.8), tex_freq=rng.uniform(2.0, 3.0))


def _bias_crossing(rng: np.random.Generator, objs: List[ToyObject], h: int,
                   w: int, num_frames: int) -> None:
    """Aim one bouncing object at another so that they occlude."""
    movers = [o for o in objs if o.bounce]
    if len(objs) < 2 or not movers or rng.uniform() > 0.6:
        return
    b = movers[int(rng.integers(len(movers)))]
    a = [o for o in objs if o is not b][int(rng.integers(len(objs) - 1))]
    t0 = max(a.t_in, b.t_in) + 1
    if t0 >= num_frames - 1:
        return
    t_meet = rng.uniform(t0, num_frames - 1)
    (ax, ay), _, _, _ = object_pose(a, t_meet, h, w)
    dt = t_meet - b.t_in
    vel = ((ax - b.start[0]) / dt, (ay - b.start[1]) / dt)
    if math.hypot(*vel) <= 0.08 * min(h, w):
        b.velocity = vel


def _valid(scene: ToyScene, num_frames: int, kind: str) -> bool:
    """The scene's objects show usable first masks and stay visible."""
    h, w = scene.height, scene.width
    ids = np.stack([render_ids(scene, float(t)) for t in range(num_frames)])
    min_px = max(8, int(0.002 * h * w))
    if kind != 'davis' and not ids[0].any():
        return False
    for obj in scene.objects:
        area = (ids == obj.obj_id).reshape(num_frames, -1).sum(1)
        first = int(math.ceil(obj.t_in - 1e-9))
        if kind == 'davis' and first != 0:
            return False
        if first >= num_frames or area[first] < max(
                min_px, 0.4 * amodal_area(scene, obj, float(first))):
            return False
        if (area > 0).sum() < min(2, num_frames - first):
            return False
        if obj.bounce and (area[first:] > 0).mean() < 0.5:
            return False
    return True


def sample_scene(rng: np.random.Generator, height: int, width: int,
                 num_frames: int, kind: str = 'vis', num_categories: int = 3,
                 max_objects: int = 4, max_tries: int = 60) -> ToyScene:
    """Draw a valid toy scene.

    Args:
        rng (np.random.Generator): the only source of randomness.
        height (int): frame height H.
        width (int): frame width W.
        num_frames (int): stored frames T (time runs over [0, T - 1]).
        kind (str): 'davis' (all objects on frame 0), 'vos' or 'vis'.
        num_categories (int): shape categories used (3 or 4).
        max_objects (int): 1 to this many objects.
        max_tries (int): scenes drawn before giving up; the object count
            limit shrinks every ``max_tries // 3`` failures.

    Returns:
        ToyScene: object ids are 1..N in order of first appearance.
    """
    if kind not in _MODES:
        raise ValueError(f'kind must be one of {sorted(_MODES)}, got {kind!r}')
    modes, probs = _MODES[kind]
    limit = max_objects
    for attempt in range(max_tries):
        if attempt and attempt % max(1, max_tries // 3) == 0:
            limit = max(1, limit - 1)
        n = int(rng.integers(1, limit + 1))
        objs = []
        for k in range(n):
            mode = ('stay' if rng.uniform() < 0.8 else 'leave') if k == 0 \
                else str(rng.choice(modes, p=probs))
            objs.append(_sample_object(rng, mode, int(rng.integers(
                num_categories)), height, width, num_frames))
        _bias_crossing(rng, objs, height, width, num_frames)
        objs.sort(key=lambda o: o.t_in)  # stable: ids follow appearance
        for i, obj in enumerate(objs):
            obj.obj_id = i + 1
        margin = int(math.ceil(0.8 * max(num_frames - 1, 1))) + 1
        scene = ToyScene(
            height=height, width=width, objects=objs,
            background=make_background(rng, height, width, margin),
            margin=margin, pan=tuple(rng.uniform(-0.8, 0.8, 2)),
            flicker=(rng.uniform(0, 0.08), rng.uniform(0, 2 * math.pi)),
            noise_seed=int(rng.integers(2**31)))
        if _valid(scene, num_frames, kind):
            return scene
    raise RuntimeError(f'no valid toy scene in {max_tries} tries for '
                       f'{height}x{width}x{num_frames} ({kind})')

"""Draw the prompt pictures of the live demo (notebook 10) with matplotlib.

One cartoon face per emotion, written to ``data/images/categories/<emotion>/face.png``;
a second picture (a small scene: a plain clock, sun and balloons, a rain cloud over a
wilted flower, a thunderstorm) for each of the four emotions of the shipped model
(neutral, happy, sad, angry) as ``scene.png``, so a session shows each of them twice;
and the calibration picture ``data/images/calibration.png`` (a speech bubble, shown
while the student reads a sentence in a normal voice). The drawings are made from
circles, arcs and polygons only (no font, no photo), so they belong to this project
and carry its licence (see ``data/images/README.md``). Re-running the script rewrites
the same files byte for byte; every picture stays well under 30 kB.

Usage::

    python scripts/make_prompt_images.py [--out data/images/categories] [--size 360]

A teacher who prefers photos or other drawings simply drops ``.png``/``.jpg`` files into
the emotion folders; nothing here needs to run for that.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import patches  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

#: Face colour and background colour per emotion.
COLOURS = {
    "neutral": ("#f3d36b", "#e9eef2"),
    "calm": ("#a8dba8", "#e3f2fd"),
    "happy": ("#ffd43b", "#fff3bf"),
    "sad": ("#8fb3e0", "#dde6f0"),
    "angry": ("#f25c54", "#ffe3e3"),
    "fearful": ("#c5b3e6", "#ece6f5"),
    "disgust": ("#9bc53d", "#eef5dc"),
    "surprised": ("#ffa94d", "#fff0e0"),
}


def _arc(ax, cx, cy, w, h, start, end, lw=6, colour="#222"):
    ax.add_patch(patches.Arc((cx, cy), w, h, theta1=start, theta2=end, lw=lw, color=colour,
                             capstyle="round"))


def _line(ax, xs, ys, lw=6, colour="#222"):
    ax.plot(xs, ys, lw=lw, color=colour, solid_capstyle="round")


def _eyes(ax, kind="dot", dy=0.0):
    for cx in (-0.33, 0.33):
        if kind == "dot":
            ax.add_patch(patches.Circle((cx, 0.2 + dy), 0.09, color="#222"))
        elif kind == "wide":
            ax.add_patch(patches.Circle((cx, 0.22 + dy), 0.15, facecolor="white", edgecolor="#222", lw=4))
            ax.add_patch(patches.Circle((cx, 0.22 + dy), 0.06, color="#222"))
        elif kind == "closed":
            _arc(ax, cx, 0.22 + dy, 0.26, 0.16, 200, 340)
        elif kind == "smile":
            _arc(ax, cx, 0.16 + dy, 0.26, 0.22, 20, 160)
        elif kind == "squint":
            _line(ax, [cx - 0.12, cx + 0.12], [0.2 + dy, 0.2 + dy])


def _brows(ax, tilt, height=0.45):
    """Eyebrows; tilt > 0 lowers the inner ends (anger), tilt < 0 raises them (worry)."""
    for side in (-1, 1):
        inner, outer = side * 0.15, side * 0.48
        _line(ax, [inner, outer], [height - tilt, height + tilt])


def draw_face(emotion: str, size_px: int = 360):
    """Return a matplotlib figure with the cartoon face for ``emotion``."""
    face, background = COLOURS[emotion]
    fig, ax = _canvas(background, size_px)
    ax.add_patch(patches.Circle((0, 0), 0.95, facecolor=face, edgecolor="#222", lw=6))

    if emotion == "neutral":
        _eyes(ax, "dot")
        _line(ax, [-0.3, 0.3], [-0.4, -0.4])
    elif emotion == "calm":
        _eyes(ax, "closed")
        _arc(ax, 0, -0.3, 0.6, 0.25, 200, 340)
        for cx in (-0.55, 0.55):
            ax.add_patch(patches.Ellipse((cx, -0.12), 0.22, 0.12, color="#f4a6a6", alpha=0.7))
    elif emotion == "happy":
        _eyes(ax, "smile")
        ax.add_patch(patches.Wedge((0, -0.2), 0.5, 190, 350, facecolor="#7a1f1f", edgecolor="#222", lw=5))
        ax.add_patch(patches.Wedge((0, -0.2), 0.5, 190, 350, width=0.12, facecolor="white",
                                   edgecolor="none"))
    elif emotion == "sad":
        _eyes(ax, "dot", dy=-0.02)
        _brows(ax, -0.08, 0.42)
        _arc(ax, 0, -0.6, 0.7, 0.45, 30, 150)
        ax.add_patch(patches.Ellipse((-0.36, -0.05), 0.1, 0.2, color="#4dabf7"))
    elif emotion == "angry":
        _eyes(ax, "dot")
        _brows(ax, 0.1, 0.38)
        ax.add_patch(patches.FancyBboxPatch((-0.35, -0.52), 0.7, 0.16, boxstyle="round,pad=0.02",
                                            facecolor="white", edgecolor="#222", lw=5))
        for x in np.linspace(-0.23, 0.23, 4):
            _line(ax, [x, x], [-0.52, -0.36], lw=3)
    elif emotion == "fearful":
        _eyes(ax, "wide")
        _brows(ax, -0.1, 0.55)
        xs = np.linspace(-0.35, 0.35, 9)
        _line(ax, xs, -0.45 + 0.05 * np.where(np.arange(9) % 2 == 0, 1, -1))
        ax.add_patch(patches.Ellipse((0.72, 0.45), 0.12, 0.22, color="#74c0fc"))
    elif emotion == "disgust":
        _eyes(ax, "squint")
        _brows(ax, 0.05, 0.42)
        _line(ax, [-0.35, -0.1, 0.1, 0.35], [-0.38, -0.5, -0.35, -0.48])
        ax.add_patch(patches.Ellipse((0.05, -0.58), 0.22, 0.2, facecolor="#e64980", edgecolor="#222", lw=3))
    elif emotion == "surprised":
        _eyes(ax, "wide")
        for cx in (-0.33, 0.33):
            _arc(ax, cx, 0.48, 0.3, 0.2, 20, 160)
        ax.add_patch(patches.Ellipse((0, -0.45), 0.3, 0.38, facecolor="#5c1a1a", edgecolor="#222", lw=5))
    else:  # pragma: no cover - only the eight emotions above are drawn
        raise ValueError(f"no drawing for {emotion!r}")
    return fig


def _canvas(background: str, size_px: int):
    dpi = 100
    fig = plt.figure(figsize=(size_px / dpi, size_px / dpi), dpi=dpi, facecolor=background)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-1.1, 1.1)
    ax.set_ylim(-1.1, 1.1)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def _cloud(ax, cx, cy, colour, scale=1.0):
    for dx, dy, r in [(-0.35, 0.0, 0.28), (0.0, 0.12, 0.36), (0.35, 0.0, 0.28), (0.0, -0.08, 0.3)]:
        ax.add_patch(patches.Circle((cx + dx * scale, cy + dy * scale), r * scale, facecolor=colour,
                                    edgecolor="none"))


def draw_scene(emotion: str, size_px: int = 360):
    """Return a figure with the second picture (a scene, no face) for ``emotion``."""
    backgrounds = {"neutral": "#eceff1", "happy": "#a5d8ff", "sad": "#ced4da", "angry": "#343a40"}
    fig, ax = _canvas(backgrounds[emotion], size_px)
    if emotion == "neutral":  # a plain wall clock
        ax.add_patch(patches.Circle((0, 0), 0.85, facecolor="white", edgecolor="#495057", lw=8))
        for k in range(12):
            a = 2 * np.pi * k / 12
            _line(ax, [0.68 * np.cos(a), 0.78 * np.cos(a)], [0.68 * np.sin(a), 0.78 * np.sin(a)],
                  lw=4, colour="#495057")
        _line(ax, [0, 0], [0, 0.55], lw=7, colour="#212529")
        _line(ax, [0, 0.4], [0, 0], lw=9, colour="#212529")
        ax.add_patch(patches.Circle((0, 0), 0.06, color="#212529"))
    elif emotion == "happy":  # sun and balloons
        ax.add_patch(patches.Rectangle((-1.1, -1.1), 2.2, 0.45, color="#8ce99a"))
        ax.add_patch(patches.Circle((-0.45, 0.45), 0.32, color="#ffd43b"))
        for k in range(10):
            a = 2 * np.pi * k / 10
            _line(ax, [-0.45 + 0.42 * np.cos(a), -0.45 + 0.58 * np.cos(a)],
                  [0.45 + 0.42 * np.sin(a), 0.45 + 0.58 * np.sin(a)], lw=5, colour="#fab005")
        for x, y, c in [(0.35, 0.35, "#ff6b6b"), (0.65, 0.5, "#cc5de8"), (0.55, 0.1, "#339af0")]:
            _line(ax, [x, 0.45], [y - 0.2, -0.75], lw=2, colour="#495057")
            ax.add_patch(patches.Ellipse((x, y), 0.3, 0.38, color=c))
    elif emotion == "sad":  # a rain cloud over a wilted flower
        _cloud(ax, 0, 0.55, "#868e96")
        for x, y in [(-0.5, 0.05), (-0.2, -0.1), (0.15, 0.0), (0.45, -0.15), (-0.35, -0.35),
                     (0.3, -0.45)]:
            ax.add_patch(patches.Ellipse((x, y), 0.06, 0.14, color="#4dabf7"))
        ax.add_patch(patches.Rectangle((-1.1, -1.1), 2.2, 0.3, color="#adb5bd"))
        _arc(ax, 0.25, -0.8, 0.5, 0.9, 90, 180, lw=5, colour="#5c940d")
        ax.add_patch(patches.Ellipse((0.02, -0.45), 0.22, 0.14, angle=-40, color="#e599f7"))
    elif emotion == "angry":  # a red thundercloud with lightning
        _cloud(ax, 0, 0.45, "#c92a2a")
        ax.add_patch(patches.Polygon([(0.0, 0.15), (-0.25, -0.35), (-0.02, -0.3), (-0.2, -0.95),
                                      (0.3, -0.15), (0.06, -0.2), (0.22, 0.15)],
                                     closed=True, facecolor="#ffd43b", edgecolor="#f08c00", lw=3))
        for x in (-0.7, 0.7):
            _line(ax, [x, x - 0.15], [0.05, -0.45], lw=4, colour="#ff8787")
    else:  # pragma: no cover - scenes exist for the four demo emotions only
        raise ValueError(f"no scene for {emotion!r}")
    return fig


#: The emotions that get a second picture (the shipped model's four).
SCENES = ("neutral", "happy", "sad", "angry")


def draw_calibration(size_px: int = 360):
    """Return a figure with the calibration picture: a speech bubble with lines of text."""
    fig, ax = _canvas("#f1f3f5", size_px)
    ax.add_patch(patches.FancyBboxPatch((-0.85, -0.35), 1.7, 1.1, boxstyle="round,pad=0.08",
                                        facecolor="white", edgecolor="#1864ab", lw=7))
    ax.add_patch(patches.Polygon([(-0.45, -0.42), (-0.75, -0.9), (-0.1, -0.42)], closed=True,
                                 facecolor="white", edgecolor="#1864ab", lw=7))
    ax.add_patch(patches.Rectangle((-0.5, -0.47), 0.35, 0.12, color="white"))  # join the tail
    for k, length in enumerate([1.3, 1.1, 1.25, 0.7]):
        y = 0.5 - 0.25 * k
        _line(ax, [-0.65, -0.65 + length], [y, y], lw=9, colour="#adb5bd")
    return fig


def _save(fig, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # No metadata: the files stay identical from run to run.
    fig.savefig(path, dpi=100, facecolor=fig.get_facecolor(), metadata={"Software": None})
    plt.close(fig)
    print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "data" / "images" / "categories")
    parser.add_argument("--size", type=int, default=360, help="width and height in pixels")
    args = parser.parse_args(argv)
    for emotion in COLOURS:
        _save(draw_face(emotion, args.size), args.out / emotion / "face.png")
    for emotion in SCENES:
        _save(draw_scene(emotion, args.size), args.out / emotion / "scene.png")
    _save(draw_calibration(args.size), args.out.parent / "calibration.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Synthetic US-style licence plates for training and testing the plate reader.

`render_plate_sample(rng)` draws a random plate string in a common US format, renders a
plate around it (state name, slogan, stickers, frame, bolts) with a system font, places it
in a scene, warps it in perspective and crops it the way a detector would (tight or
padded), then degrades it (blur, noise, JPEG, night/IR, dirt, shadows). Labels follow the
US agency convention: letter O is written as digit 0. Deterministic for a given
`numpy.random.Generator`. Pillow, OpenCV and numpy only.
"""

from __future__ import annotations

import glob
import string
from functools import lru_cache

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from alpr.recognition.interfaces import Image

CHARSET = "0123456789ABCDEFGHIJKLMNPQRSTUVWXYZ"  # no O: US agencies write it as 0
LETTERS = string.ascii_uppercase
DIGITS = string.digits


def _split(text: str, sep: str = "|") -> tuple[str, ...]:
    return tuple(text.split(sep))


# L = letter, D = digit, X = either, _ = a gap on the plate (not in the label); :weight.
FORMATS = tuple(
    (spec.replace("_", " "), int(weight))
    for spec, weight in (
        item.split(":")
        for item in _split(
            "DLLLDDD:6 LLL_DDDD:5 LLLDDDD:3 DDD_LLL:4 LLL_DDD:4 DDDLLL:2 LLLDDD:2 DLL_DDDD:1 "
            "DDDDDD:2 LL_DDDDD:1 DDD_DDDD:1 D_LLL_DDD:1 DD_LLL_D:1 LLL-DDDD:1 DDD-LLL:1 "
            "DL_DDDDD:1 DDDDDDL:1 DDLDDDL:1 LDDDDD:1 XXXXXXX:2 XXXXXX:2 XXXXX:1 XXXX:1 "
            "XXXXXXXX:1 LLLLLLL:1",
            " ",
        )
    )
)
STATES = _split(
    "ALABAMA|ALASKA|ARIZONA|California|COLORADO|Connecticut|DELAWARE|Florida|GEORGIA|"
    "IDAHO|ILLINOIS|Indiana|IOWA|KANSAS|Kentucky|MAINE|Maryland|MICHIGAN|MINNESOTA|"
    "MISSOURI|MONTANA|NEVADA|New Jersey|NEW MEXICO|NEW YORK|NORTH DAKOTA|OHIO|Oregon|"
    "Texas|UTAH|VIRGINIA|Washington|WISCONSIN|WYOMING|Pennsylvania|HAWAII"
)
SLOGANS = _split(
    "THE FIRST STATE|LAND OF LINCOLN|SHOW-ME STATE|FAMOUS POTATOES|LAND OF ENCHANTMENT|"
    "PEACE GARDEN STATE|Sunshine State|EMPIRE STATE|GARDEN STATE|visitPA.com|"
    "THE LONE STAR STATE|GREAT LAKES|dmv.ca.gov|EXPLORE MINNESOTA|AMERICA'S DAIRYLAND|"
    "Live Free or Die|GRAND CANYON STATE"
)
FONT_GLOBS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans*Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
    "/usr/share/fonts/truetype/liberation*/LiberationSans*-Bold.ttf",
    "/usr/share/fonts/truetype/liberation*/LiberationMono-Bold.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSansBold.ttf",
    # More Debian font packages (fonts-croscore, fonts-roboto-unhinted, fonts-open-sans,
    # fonts-freefont-ttf): condensed bold faces are what most US plates use.
    "/usr/share/fonts/truetype/croscore/Arimo-Bold.ttf",
    "/usr/share/fonts/truetype/croscore/Cousine-Bold.ttf",
    "/usr/share/fonts/truetype/freefont/FreeMonoBold.ttf",
    "/usr/share/fonts/truetype/open-sans/OpenSans-CondBold.ttf",
    "/usr/share/fonts/truetype/open-sans/OpenSans-Bold.ttf",
    "/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Bold.ttf",
    "/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Regular.ttf",
    "/usr/share/fonts/truetype/roboto/unhinted/RobotoTTF/Roboto-Bold.ttf",
)
SMALL_FONT_GLOBS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif*.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans*.ttf",
)

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
RGB = tuple[int, int, int]


def normalize_label(text: str) -> str:
    """A plate string as the reader outputs it: A–Z and 0–9 only, letter O as digit 0."""
    return "".join(c for c in text.upper().replace("O", "0") if c in CHARSET)


@lru_cache(maxsize=2)
def _font_paths(small: bool) -> tuple[str, ...]:
    found = sorted({p for g in (SMALL_FONT_GLOBS if small else FONT_GLOBS) for p in glob.glob(g)})
    return tuple(found)


@lru_cache(maxsize=512)
def _font(path: str, size: int) -> Font:
    if path:
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)  # Pillow's bundled font: works on bare CI machines


def _pick_font(rng: np.random.Generator, size: float, small: bool = False) -> Font:
    paths = (*_font_paths(small), "")  # "" = Pillow's default font, always available
    return _font(paths[int(rng.integers(len(paths)))], max(6, int(size)))


def random_plate_text(rng: np.random.Generator) -> str:
    """A plate as printed: letters (O included), digits, maybe a space or dash gap."""
    weights = np.array([w for _, w in FORMATS], dtype=float)
    pattern = FORMATS[int(rng.choice(len(FORMATS), p=weights / weights.sum()))][0]
    out = []
    for c in pattern:
        if c == "L":
            out.append(LETTERS[int(rng.integers(26))])
        elif c == "D":
            out.append(DIGITS[int(rng.integers(10))])
        elif c == "X":
            pool = LETTERS + DIGITS
            out.append(pool[int(rng.integers(len(pool)))])
        else:
            out.append(c if rng.random() < 0.7 else "")
    return "".join(out)


def _color(rng: np.random.Generator, lo: int, hi: int) -> RGB:
    r, g, b = (int(v) for v in rng.integers(lo, hi, 3))
    return r, g, b


def _palette(rng: np.random.Generator) -> tuple[RGB, RGB, RGB]:
    """Plate background, main text colour, accent colour."""
    dark_text = ((20, 30, 110), (10, 10, 10), (120, 20, 20), (20, 80, 30), (60, 20, 80))
    r = rng.random()
    if r < 0.7:  # light plate, dark text (most US plates)
        bg = _color(rng, 190, 256)
        if rng.random() < 0.4:  # tinted
            tint = _color(rng, 150, 256)
            bg = (min(255, tint[0] + 40), min(255, tint[1] + 40), min(255, tint[2] + 40))
        fg = dark_text[int(rng.integers(len(dark_text)))]
        fg = tuple(int(np.clip(c + rng.integers(-15, 16), 0, 255)) for c in fg)  # type: ignore[assignment]
    elif r < 0.85:  # dark plate, light text (Delaware, old California)
        bg = _color(rng, 0, 90)
        fg = (240, 210, 60) if rng.random() < 0.5 else _color(rng, 200, 256)
    else:  # colourful: yellow, blue or sky backgrounds
        bg = ((240, 200, 40), (120, 180, 230), (250, 240, 150), (200, 230, 250))[
            int(rng.integers(4))
        ]
        fg = dark_text[int(rng.integers(len(dark_text)))]
    accent = _color(rng, 0, 200)
    return bg, fg, accent


def _fit_text(
    text: str, font: Font, color: RGB, box_w: int, box_h: int, squeeze: float
) -> PILImage.Image:
    """Render text on a transparent layer and scale it into box_w x box_h."""
    left, top, right, bottom = font.getbbox(text)
    w, h = max(1, int(right - left)), max(1, int(bottom - top))
    layer = PILImage.new("RGBA", (w + 4, h + 4), (0, 0, 0, 0))
    ImageDraw.Draw(layer).text((2 - left, 2 - top), text, font=font, fill=(*color, 255))
    scale = min(box_w / layer.width / squeeze, box_h / layer.height)
    size = (max(1, int(layer.width * scale * squeeze)), max(1, int(layer.height * scale)))
    return layer.resize(size, PILImage.Resampling.BILINEAR)


def _paste_center(plate: PILImage.Image, layer: PILImage.Image, cx: float, cy: float) -> None:
    plate.alpha_composite(layer, (int(cx - layer.width / 2), int(cy - layer.height / 2)))


def _draw_emblem(
    rng: np.random.Generator, draw: ImageDraw.ImageDraw, cx: int, cy: int, r: int, colour: RGB
) -> None:
    """A separator or emblem between character groups: disc, star, heart-like, bar, dot."""
    fill = (*colour, 255)
    kind = int(rng.integers(5))
    if kind == 0:
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
    elif kind == 1:  # five-pointed star
        points = [
            (
                cx + (r if i % 2 == 0 else r * 0.45) * np.sin(np.pi * i / 5),
                cy - (r if i % 2 == 0 else r * 0.45) * np.cos(np.pi * i / 5),
            )
            for i in range(10)
        ]
        draw.polygon(points, fill=fill)
    elif kind == 2:  # heart-like: two discs over a triangle
        h = r // 2
        draw.ellipse([cx - r, cy - r, cx, cy], fill=fill)
        draw.ellipse([cx, cy - r, cx + r, cy], fill=fill)
        draw.polygon([(cx - r, cy - h // 2), (cx + r, cy - h // 2), (cx, cy + r)], fill=fill)
    elif kind == 3:  # dash
        draw.rectangle([cx - r, cy - max(1, r // 4), cx + r, cy + max(1, r // 4)], fill=fill)
    else:  # small dot
        q = max(1, r // 2)
        draw.ellipse([cx - q, cy - q, cx + q, cy + q], fill=fill)


def render_plate(rng: np.random.Generator, text: str, width: int = 240) -> Image:
    """A flat, front-on plate (RGB uint8), about 2:1."""
    height = int(width / rng.uniform(1.85, 2.2))
    bg, fg, accent = _palette(rng)
    plate = PILImage.new("RGBA", (width, height), (*bg, 255))
    draw = ImageDraw.Draw(plate)
    if rng.random() < 0.5:  # a gradient or a scenic band
        for y in range(height):
            k = y / height
            shade = tuple(
                int(np.clip(c * (1 - 0.3 * k * rng.uniform(0.9, 1.1)), 0, 255)) for c in bg
            )
            draw.line([(0, y), (width, y)], fill=(*shade, 255))
    for _ in range(int(rng.integers(0, 4))):  # scenery blobs, emblems behind the text
        x, y = int(rng.integers(0, width)), int(rng.integers(height // 3, height))
        r = int(rng.integers(8, height // 2))
        col = tuple(int(0.7 * c + 0.3 * a) for c, a in zip(bg, _color(rng, 0, 256), strict=True))
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(*col, 255))
    # main characters
    main_h = height * rng.uniform(0.4, 0.55)
    cy = height * rng.uniform(0.5, 0.58)
    font = _pick_font(rng, main_h * 1.3)
    shown = text
    if rng.random() < 0.3 and " " in text:  # an emblem in the gap (NM, MD, CA dash)
        shown = text.replace(" ", "   ")
    layer = _fit_text(
        shown, font, fg, int(width * rng.uniform(0.72, 0.92)), int(main_h), rng.uniform(0.75, 1.15)
    )
    _paste_center(plate, layer, width / 2 + rng.uniform(-0.04, 0.04) * width, cy)
    if shown != text:
        _draw_emblem(rng, draw, width // 2, int(cy), int(main_h * rng.uniform(0.2, 0.4)), accent)
    # state name at top, slogan at bottom
    if rng.random() < 0.9:
        state = STATES[int(rng.integers(len(STATES)))]
        col = accent if rng.random() < 0.6 else fg
        layer = _fit_text(
            state,
            _pick_font(rng, height * 0.2, small=True),
            col,
            int(width * rng.uniform(0.35, 0.75)),
            int(height * rng.uniform(0.12, 0.22)),
            1.0,
        )
        _paste_center(plate, layer, width / 2, height * rng.uniform(0.1, 0.17))
    if rng.random() < 0.7:
        slogan = SLOGANS[int(rng.integers(len(SLOGANS)))]
        layer = _fit_text(
            slogan,
            _pick_font(rng, height * 0.1, small=True),
            fg,
            int(width * rng.uniform(0.3, 0.65)),
            int(height * rng.uniform(0.07, 0.12)),
            1.0,
        )
        _paste_center(plate, layer, width / 2, height * rng.uniform(0.87, 0.93))
    # registration stickers in the corners
    for _ in range(int(rng.integers(0, 3))):
        sw, sh = int(width * rng.uniform(0.08, 0.14)), int(height * rng.uniform(0.12, 0.22))
        sx = int(
            rng.choice([rng.integers(2, width // 8), rng.integers(width * 7 // 8 - sw, width - sw)])
        )
        sy = int(
            rng.choice(
                [rng.integers(2, height // 6), rng.integers(height * 3 // 4 - sh // 2, height - sh)]
            )
        )
        col = _color(rng, 0, 256)
        draw.rectangle([sx, sy, sx + sw, sy + sh], fill=(*col, 255))
        label = str(int(rng.integers(0, 100))).zfill(2) if rng.random() < 0.5 else "JUN"
        small = _fit_text(
            label,
            _pick_font(rng, sh, small=True),
            (255 - col[0], 255 - col[1], 255 - col[2]),
            sw - 2,
            sh - 2,
            1.0,
        )
        _paste_center(plate, small, sx + sw / 2, sy + sh / 2)
    if rng.random() < 0.6:  # embossed rim / frame
        t = int(rng.integers(1, max(2, width // 40)))
        rim = fg if rng.random() < 0.5 else _color(rng, 0, 256)
        draw.rounded_rectangle(
            [0, 0, width - 1, height - 1], radius=width // 25, outline=(*rim, 255), width=t
        )
    if rng.random() < 0.6:  # bolts
        r = max(2, width // 60)
        for bx in (width * 0.22, width * 0.78):
            for by in (height * 0.1, height * 0.9) if rng.random() < 0.5 else (height * 0.1,):
                draw.ellipse([bx - r, by - r, bx + r, by + r], fill=(*_color(rng, 80, 230), 255))
    return np.asarray(plate.convert("RGB"), dtype=np.uint8)


def _background(rng: np.random.Generator, h: int, w: int) -> NDArray[np.uint8]:
    base = np.array(_color(rng, 0, 256), dtype=np.float32)
    noise = cv2.resize(
        rng.normal(0, rng.uniform(5, 50), (max(2, h // 16), max(2, w // 16), 3)).astype(np.float32),
        (w, h),
    )
    img = np.clip(base + noise, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:  # a frame or bumper edge
        y = int(rng.integers(0, h))
        cv2.line(img, (0, y), (w, y), _color(rng, 0, 256), int(rng.integers(2, 12)))
    return np.asarray(img, dtype=np.uint8)


def degrade(rng: np.random.Generator, img: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Camera-like damage: shadow, dirt, night/IR lighting, noise, blur, low resolution, JPEG."""
    out = img.astype(np.float32)
    h, w = out.shape[:2]
    if rng.random() < 0.3:  # shadow across part of the plate
        pts = np.array(
            [
                [rng.integers(0, w), 0],
                [rng.integers(0, w), h],
                [w if rng.random() < 0.5 else 0, h],
                [w if rng.random() < 0.5 else 0, 0],
            ],
            np.int32,
        )
        mask = np.zeros((h, w), np.float32)
        cv2.fillPoly(mask, [pts], 1.0)
        out *= 1 - rng.uniform(0.3, 0.7) * mask[..., None]
    if rng.random() < 0.25:  # dirt
        for _ in range(int(rng.integers(1, 8))):
            cv2.circle(
                out,
                (int(rng.integers(0, w)), int(rng.integers(0, h))),
                int(rng.integers(1, max(2, h // 8))),
                _color(rng, 40, 140),
                -1,
            )
    # lighting: contrast, brightness, gamma; night and IR
    mode = rng.random()
    if mode < 0.15:  # IR: grey, bright plate, sometimes inverted-ish
        g = out.mean(axis=2, keepdims=True)
        out = (np.repeat(g, 3, axis=2) * rng.uniform(0.8, 1.6)).astype(np.float32)
        if rng.random() < 0.2:
            out = 255 - out
    elif mode < 0.3:  # night: dark and low contrast
        out = out * rng.uniform(0.15, 0.5)
    elif mode < 0.4:
        out = np.repeat(out.mean(axis=2, keepdims=True), 3, axis=2)
    contrast = rng.uniform(0.4, 1.2)
    out = (out - out.mean()) * contrast + out.mean() + rng.uniform(-40, 40)
    out = 255 * (np.clip(out, 0, 255) / 255) ** rng.uniform(0.6, 1.6)
    out += rng.normal(0, rng.uniform(0, 14), out.shape)
    res = np.clip(out, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        k = int(rng.choice([3, 5]))
        res = cv2.GaussianBlur(res, (k, k), rng.uniform(0.3, 1.5))
    if rng.random() < 0.15:  # motion blur
        k = int(rng.integers(3, 9))
        kernel = np.zeros((k, k), np.float32)
        kernel[k // 2, :] = 1.0 / k
        res = cv2.filter2D(res, -1, kernel)
    if rng.random() < 0.5:  # low resolution: small plate far away
        f = rng.uniform(0.3, 0.85)
        small = cv2.resize(
            res, (max(8, int(w * f)), max(4, int(h * f))), interpolation=cv2.INTER_AREA
        )
        res = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.5:
        ok, buf = cv2.imencode(".jpg", res, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(15, 90))])
        if ok:
            res = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return np.asarray(res, dtype=np.uint8)


def render_plate_sample(rng: np.random.Generator) -> tuple[Image, str]:
    """A detector-like crop of a synthetic plate (BGR uint8) and its label (O written as 0)."""
    printed = random_plate_text(rng)
    plate = render_plate(rng, printed, width=int(rng.integers(160, 280)))
    ph, pw = plate.shape[:2]
    # scene: the plate placed in the middle of a larger background, then warped
    sh, sw = int(ph * 1.6), int(pw * 1.5)
    scene = _background(rng, sh, sw)
    ox, oy = (sw - pw) // 2, (sh - ph) // 2
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], dtype=np.float32)
    jitter = rng.uniform(-0.06, 0.06, (4, 2)) * np.array([pw, ph], dtype=np.float32)
    angle = np.deg2rad(rng.normal(0, 4))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
    center = np.array([pw / 2, ph / 2], dtype=np.float32)
    dst = ((src - center + jitter) @ rot.T + center + np.array([ox, oy], np.float32)).astype(
        np.float32
    )
    matrix = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(plate, matrix, (sw, sh))
    mask = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), matrix, (sw, sh))
    scene = np.where(mask[..., None] > 127, warped, scene)
    # crop around the plate's quad the way a detector would: tight, clipped or padded
    x0, y0 = dst.min(axis=0)
    x1, y1 = dst.max(axis=0)
    bw, bh = x1 - x0, y1 - y0
    mx = rng.uniform(-0.04, 0.15, 2) * bw
    my = rng.uniform(-0.06, 0.2, 2) * bh
    cx0, cy0 = int(max(0, x0 - mx[0])), int(max(0, y0 - my[0]))
    cx1, cy1 = int(min(sw, x1 + mx[1])), int(min(sh, y1 + my[1]))
    crop = np.ascontiguousarray(scene[cy0:cy1, cx0:cx1])
    out_w = int(rng.integers(70, 330))
    out_h = max(12, int(out_w * crop.shape[0] / max(1, crop.shape[1])))
    small = np.asarray(cv2.resize(crop, (out_w, out_h), interpolation=cv2.INTER_AREA), np.uint8)
    bgr = cv2.cvtColor(degrade(rng, small), cv2.COLOR_RGB2BGR)
    return np.ascontiguousarray(bgr, dtype=np.uint8), normalize_label(printed)

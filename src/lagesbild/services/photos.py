"""A resident's photo: read with a bound, decoded (JPEG, PNG, HEIC/HEIF where pillow-heif is
installed), turned upright and re-encoded as a plain JPEG without EXIF or any other metadata
(no GPS position, no camera, no time), scaled down to a size a moderator needs."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from lagesbild.errors import ValidationError

MAX_BYTES = 10 * 1024 * 1024  # what a resident may send
MAX_SIDE = 2048  # the longest side kept: enough to see what it shows
MAX_PIXELS = 60_000_000  # a decompression bomb stops here, not in memory
ACCEPTED = ("JPEG", "PNG", "HEIF")

try:  # HEIC from phones: pillow-heif registers an opener if it is installed
    from pillow_heif import register_heif_opener

    register_heif_opener()
except ImportError:  # pragma: no cover - the project installs it; JPEG and PNG still work
    pass


def reencode(data: bytes) -> tuple[bytes, int, int]:
    """(JPEG bytes without metadata, width, height) of an uploaded photo; ValidationError
    naming the field `photo` when it is too large or not a JPEG, PNG or HEIC image."""
    if len(data) > MAX_BYTES:
        raise ValidationError("photo", "the photo is larger than 10 MB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            if img.format not in ACCEPTED:
                raise ValidationError("photo", "expected a JPEG, PNG or HEIC photo")
            if img.width * img.height > MAX_PIXELS:
                raise ValidationError("photo", "the photo has too many pixels")
            img.load()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        if isinstance(exc, ValidationError):
            raise
        raise ValidationError("photo", "expected a JPEG, PNG or HEIC photo") from None
    img = ImageOps.exif_transpose(img)  # upright as taken, before the EXIF goes
    img.thumbnail((MAX_SIDE, MAX_SIDE))
    if img.mode not in ("RGB", "L"):
        background = Image.new("RGB", img.size, "white")  # transparency on white
        rgba = img.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        img = background
    clean = Image.new(img.mode, img.size)  # pixels only: no info, no EXIF, no ICC, no XMP
    clean.paste(img)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue(), clean.width, clean.height


async def read_bounded(upload, limit: int = MAX_BYTES) -> bytes:
    """An UploadFile's bytes, read in chunks and stopped one byte past `limit`, so a huge file
    is never taken into memory whole."""
    chunks, size = [], 0
    while True:
        chunk = await upload.read(64 * 1024)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise ValidationError("photo", "the photo is larger than 10 MB")
        chunks.append(chunk)
    return b"".join(chunks)

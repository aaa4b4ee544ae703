#!/usr/bin/python3
"""Regenerate the small image fixtures of tests/unit/test_image.c (run from any folder).

Every file is a few hundred bytes to a few KB. The upright reference is a 48 x 32 picture of
four flat quadrants (red, green, blue, yellow from top-left, clockwise) with a white mark in
the top-left corner, so any wrong rotation or mirror is visible in the pixels.
"""
import io
import os
import struct
import zlib

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))


def path(name):
    return os.path.join(HERE, name)


def upright():
    im = Image.new("RGB", (48, 32))
    px = im.load()
    for y in range(32):
        for x in range(48):
            left, top = x < 24, y < 16
            if top and left:
                c = (220, 30, 30)
            elif top:
                c = (30, 200, 30)
            elif left:
                c = (220, 220, 30)
            else:
                c = (30, 30, 220)
            if x < 8 and y < 8:
                c = (255, 255, 255)
            px[x, y] = c
    return im


# EXIF orientation n: the stored pixels are the upright picture with the inverse of the
# transform a viewer applies (EXIF 2.3, tag 0x0112).
STORE = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,   # viewer rotates 90 deg clockwise
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,  # viewer rotates 90 deg anticlockwise
}


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(w, h):
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 16)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat)
            + png_chunk(b"IEND", b""))


def main():
    up = upright()
    up.save(path("upright.png"))
    for n, t in STORE.items():
        stored = up if t is None else up.transpose(t)
        exif = Image.Exif()
        exif[0x0112] = n
        stored.save(path("orient%d.jpg" % n), quality=95, subsampling=0, exif=exif.tobytes())

    open(path("empty.jpg"), "wb").close()
    with open(path("text.jpg"), "w") as f:
        f.write("This is a text file, not a photo.\n")

    buf = io.BytesIO()
    up.save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    with open(path("truncated.jpg"), "wb") as f:
        f.write(data[: len(data) * 2 // 3])
    # Cut inside the entropy-coded data of a bigger picture: decodes partly, then ends.
    buf = io.BytesIO()
    up.resize((96, 64)).save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    with open(path("truncated-scan.jpg"), "wb") as f:
        f.write(data[: len(data) * 3 // 4])
    buf = io.BytesIO()
    up.save(buf, "PNG")
    data = buf.getvalue()
    with open(path("truncated.png"), "wb") as f:
        f.write(data[: len(data) // 2])

    with open(path("huge.png"), "wb") as f:
        f.write(png_header_only(100000, 100000))
    with open(path("wide.png"), "wb") as f:
        f.write(png_header_only(20000, 8))
    with open(path("megapixels.png"), "wb") as f:
        f.write(png_header_only(12000, 12000))

    # Colour types. Each has a known pixel at (0, 0) and (47, 31).
    grey = Image.new("L", (48, 32), 100)
    grey.putpixel((47, 31), 200)
    grey.save(path("grey.png"))
    grey.save(path("grey.jpg"), quality=95)

    pal = up.convert("P", palette=Image.Palette.ADAPTIVE, colors=8)
    pal.save(path("palette.png"))

    rgb16 = Image.new("I;16", (48, 32), 0x8080)  # 16-bit grey, 0x8080 -> 128
    rgb16.putpixel((47, 31), 0xffff)
    rgb16.save(path("grey16.png"))

    alpha = Image.new("RGBA", (48, 32), (0, 0, 0, 0))  # transparent -> white
    for y in range(16):
        for x in range(24):
            alpha.putpixel((x, y), (200, 0, 0, 255))
    alpha.putpixel((47, 31), (0, 0, 0, 128))  # half black over white -> ~127
    alpha.save(path("alpha.png"))

    cmyk = Image.new("CMYK", (48, 32), (0, 255, 255, 0))  # red
    cmyk.save(path("cmyk.jpg"), quality=95)

    up.save(path("lossless.webp"), lossless=True)
    alpha.save(path("alpha.webp"), lossless=True)
    buf = io.BytesIO()
    up.save(buf, "WEBP", quality=80)
    data = buf.getvalue()
    with open(path("truncated.webp"), "wb") as f:
        f.write(data[: len(data) // 2])


if __name__ == "__main__":
    main()

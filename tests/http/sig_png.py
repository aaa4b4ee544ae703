#!/usr/bin/python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""A signature as a PNG, base64 on stdout, for the consent tests (issue 12.3): a white W x H
picture with a dark diagonal stroke, or all white with "blank". Standard library only.

usage: sig_png.py W H [blank]"""
import base64
import struct
import sys
import zlib


def chunk(kind, data):
    c = struct.pack(">I", len(data)) + kind + data
    return c + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)


def main():
    w, h = int(sys.argv[1]), int(sys.argv[2])
    blank = len(sys.argv) > 3 and sys.argv[3] == "blank"
    rows = []
    for y in range(h):
        row = bytearray(b"\x00")
        for x in range(w):
            ink = not blank and abs(x * h - y * w) < 2 * w
            row += b"\x10\x24\x3e" if ink else b"\xff\xff\xff"
        rows.append(bytes(row))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b"")
    print(base64.b64encode(png).decode())


main()

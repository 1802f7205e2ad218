"""A CPython stand-in for MicroPython's `framebuf` module, pixel-exact with the real one.

The device's display code (steadydose.screens) draws into a `framebuf.FrameBuffer` (the SSD1306 driver is
one); the simulator and the tests run that same code on this class. Every method follows MicroPython
1.29's extmod/modframebuf.c step for step (clipping, Bresenham line, text, scroll, blit), and the font is
MicroPython's built-in one (font_petme128_8x8: 8 bytes a character for ASCII 32..127, one byte a column,
least significant bit at the top). tests/test_screens.py renders into the real module inside the
`micropython` binary and checks the bytes are identical.

Formats: MONO_VLSB (what the SSD1306 uses: a byte is 8 pixels down a column), MONO_HLSB and MONO_HMSB
(a byte is 8 pixels across). The other format constants exist so code that names them imports, but
constructing a buffer in them raises ValueError here.

Beyond MicroPython (test and simulator helpers):
    fb.clipped          pixels drawing calls tried to put outside the buffer (0 on a screen that fits;
                        text counts every pixel of a character cell that falls outside)
    fb.clip_log         the calls that were clipped: (method, args) tuples
    fb.buf, fb.width, fb.height, fb.format, fb.stride
    display(width=128, height=64)       a fresh MONO_VLSB FrameBuffer on its own bytearray
    frame_to_text(fb)                   rows of '#' and '.' (readable snapshots and diffs)
    frame_to_png(fb_or_bytes, path, scale=4)   an image of the display (Pillow)
"""

from __future__ import annotations

from pathlib import Path

MONO_VLSB = 0
MVLSB = MONO_VLSB
RGB565 = 1
GS4_HMSB = 2
MONO_HLSB = 3
MONO_HMSB = 4
GS2_HMSB = 5
GS8 = 6

_MONO = (MONO_VLSB, MONO_HLSB, MONO_HMSB)

# MicroPython's font_petme128_8x8, ASCII 32..127: 8 column bytes a character, LSB = top row.
FONT = (
    b"\x00\x00\x00\x00\x00\x00\x00\x00"  # 32 ' '
    b"\x00\x00\x00\x4f\x4f\x00\x00\x00"  # 33 '!'
    b"\x00\x07\x07\x00\x00\x07\x07\x00"  # 34 '"'
    b"\x14\x7f\x7f\x14\x14\x7f\x7f\x14"  # 35 '#'
    b"\x00\x24\x2e\x6b\x6b\x3a\x12\x00"  # 36 '$'
    b"\x00\x63\x33\x18\x0c\x66\x63\x00"  # 37 '%'
    b"\x00\x32\x7f\x4d\x4d\x77\x72\x50"  # 38 '&'
    b"\x00\x00\x00\x04\x06\x03\x01\x00"  # 39 "'"
    b"\x00\x00\x1c\x3e\x63\x41\x00\x00"  # 40 '('
    b"\x00\x00\x41\x63\x3e\x1c\x00\x00"  # 41 ')'
    b"\x08\x2a\x3e\x1c\x1c\x3e\x2a\x08"  # 42 '*'
    b"\x00\x08\x08\x3e\x3e\x08\x08\x00"  # 43 '+'
    b"\x00\x00\x80\xe0\x60\x00\x00\x00"  # 44 ','
    b"\x00\x08\x08\x08\x08\x08\x08\x00"  # 45 '-'
    b"\x00\x00\x00\x60\x60\x00\x00\x00"  # 46 '.'
    b"\x00\x40\x60\x30\x18\x0c\x06\x02"  # 47 '/'
    b"\x00\x3e\x7f\x49\x45\x7f\x3e\x00"  # 48 '0'
    b"\x00\x40\x44\x7f\x7f\x40\x40\x00"  # 49 '1'
    b"\x00\x62\x73\x51\x49\x4f\x46\x00"  # 50 '2'
    b"\x00\x22\x63\x49\x49\x7f\x36\x00"  # 51 '3'
    b"\x00\x18\x18\x14\x16\x7f\x7f\x10"  # 52 '4'
    b"\x00\x27\x67\x45\x45\x7d\x39\x00"  # 53 '5'
    b"\x00\x3e\x7f\x49\x49\x7b\x32\x00"  # 54 '6'
    b"\x00\x03\x03\x79\x7d\x07\x03\x00"  # 55 '7'
    b"\x00\x36\x7f\x49\x49\x7f\x36\x00"  # 56 '8'
    b"\x00\x26\x6f\x49\x49\x7f\x3e\x00"  # 57 '9'
    b"\x00\x00\x00\x24\x24\x00\x00\x00"  # 58 ':'
    b"\x00\x00\x80\xe4\x64\x00\x00\x00"  # 59 ';'
    b"\x00\x08\x1c\x36\x63\x41\x41\x00"  # 60 '<'
    b"\x00\x14\x14\x14\x14\x14\x14\x00"  # 61 '='
    b"\x00\x41\x41\x63\x36\x1c\x08\x00"  # 62 '>'
    b"\x00\x02\x03\x51\x59\x0f\x06\x00"  # 63 '?'
    b"\x00\x3e\x7f\x41\x4d\x4f\x2e\x00"  # 64 '@'
    b"\x00\x7c\x7e\x0b\x0b\x7e\x7c\x00"  # 65 'A'
    b"\x00\x7f\x7f\x49\x49\x7f\x36\x00"  # 66 'B'
    b"\x00\x3e\x7f\x41\x41\x63\x22\x00"  # 67 'C'
    b"\x00\x7f\x7f\x41\x63\x3e\x1c\x00"  # 68 'D'
    b"\x00\x7f\x7f\x49\x49\x41\x41\x00"  # 69 'E'
    b"\x00\x7f\x7f\x09\x09\x01\x01\x00"  # 70 'F'
    b"\x00\x3e\x7f\x41\x49\x7b\x3a\x00"  # 71 'G'
    b"\x00\x7f\x7f\x08\x08\x7f\x7f\x00"  # 72 'H'
    b"\x00\x00\x41\x7f\x7f\x41\x00\x00"  # 73 'I'
    b"\x00\x20\x60\x41\x7f\x3f\x01\x00"  # 74 'J'
    b"\x00\x7f\x7f\x1c\x36\x63\x41\x00"  # 75 'K'
    b"\x00\x7f\x7f\x40\x40\x40\x40\x00"  # 76 'L'
    b"\x00\x7f\x7f\x06\x0c\x06\x7f\x7f"  # 77 'M'
    b"\x00\x7f\x7f\x0e\x1c\x7f\x7f\x00"  # 78 'N'
    b"\x00\x3e\x7f\x41\x41\x7f\x3e\x00"  # 79 'O'
    b"\x00\x7f\x7f\x09\x09\x0f\x06\x00"  # 80 'P'
    b"\x00\x1e\x3f\x21\x61\x7f\x5e\x00"  # 81 'Q'
    b"\x00\x7f\x7f\x19\x39\x6f\x46\x00"  # 82 'R'
    b"\x00\x26\x6f\x49\x49\x7b\x32\x00"  # 83 'S'
    b"\x00\x01\x01\x7f\x7f\x01\x01\x00"  # 84 'T'
    b"\x00\x3f\x7f\x40\x40\x7f\x3f\x00"  # 85 'U'
    b"\x00\x1f\x3f\x60\x60\x3f\x1f\x00"  # 86 'V'
    b"\x00\x7f\x7f\x30\x18\x30\x7f\x7f"  # 87 'W'
    b"\x00\x63\x77\x1c\x1c\x77\x63\x00"  # 88 'X'
    b"\x00\x07\x0f\x78\x78\x0f\x07\x00"  # 89 'Y'
    b"\x00\x61\x71\x59\x4d\x47\x43\x00"  # 90 'Z'
    b"\x00\x00\x7f\x7f\x41\x41\x00\x00"  # 91 '['
    b"\x00\x02\x06\x0c\x18\x30\x60\x40"  # 92 '\\'
    b"\x00\x00\x41\x41\x7f\x7f\x00\x00"  # 93 ']'
    b"\x00\x08\x0c\x06\x06\x0c\x08\x00"  # 94 '^'
    b"\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0"  # 95 '_'
    b"\x00\x00\x01\x03\x06\x04\x00\x00"  # 96 '`'
    b"\x00\x20\x74\x54\x54\x7c\x78\x00"  # 97 'a'
    b"\x00\x7f\x7f\x44\x44\x7c\x38\x00"  # 98 'b'
    b"\x00\x38\x7c\x44\x44\x6c\x28\x00"  # 99 'c'
    b"\x00\x38\x7c\x44\x44\x7f\x7f\x00"  # 100 'd'
    b"\x00\x38\x7c\x54\x54\x5c\x58\x00"  # 101 'e'
    b"\x00\x08\x7e\x7f\x09\x03\x02\x00"  # 102 'f'
    b"\x00\x98\xbc\xa4\xa4\xfc\x7c\x00"  # 103 'g'
    b"\x00\x7f\x7f\x04\x04\x7c\x78\x00"  # 104 'h'
    b"\x00\x00\x00\x7d\x7d\x00\x00\x00"  # 105 'i'
    b"\x00\x40\xc0\x80\x80\xfd\x7d\x00"  # 106 'j'
    b"\x00\x7f\x7f\x30\x38\x6c\x44\x00"  # 107 'k'
    b"\x00\x00\x41\x7f\x7f\x40\x00\x00"  # 108 'l'
    b"\x00\x7c\x7c\x18\x30\x18\x7c\x7c"  # 109 'm'
    b"\x00\x7c\x7c\x04\x04\x7c\x78\x00"  # 110 'n'
    b"\x00\x38\x7c\x44\x44\x7c\x38\x00"  # 111 'o'
    b"\x00\xfc\xfc\x24\x24\x3c\x18\x00"  # 112 'p'
    b"\x00\x18\x3c\x24\x24\xfc\xfc\x00"  # 113 'q'
    b"\x00\x7c\x7c\x04\x04\x0c\x08\x00"  # 114 'r'
    b"\x00\x48\x5c\x54\x54\x74\x20\x00"  # 115 's'
    b"\x04\x04\x3f\x7f\x44\x64\x20\x00"  # 116 't'
    b"\x00\x3c\x7c\x40\x40\x7c\x3c\x00"  # 117 'u'
    b"\x00\x1c\x3c\x60\x60\x3c\x1c\x00"  # 118 'v'
    b"\x00\x1c\x7c\x30\x18\x30\x7c\x1c"  # 119 'w'
    b"\x00\x44\x6c\x38\x38\x6c\x44\x00"  # 120 'x'
    b"\x00\x9c\xbc\xa0\xa0\xfc\x7c\x00"  # 121 'y'
    b"\x00\x44\x64\x74\x5c\x4c\x44\x00"  # 122 'z'
    b"\x00\x08\x08\x3e\x77\x41\x41\x00"  # 123 '{'
    b"\x00\x00\x00\xff\xff\x00\x00\x00"  # 124 '|'
    b"\x00\x41\x41\x77\x3e\x08\x08\x00"  # 125 '}'
    b"\x00\x02\x03\x01\x03\x02\x03\x01"  # 126 '~'
    b"\xaa\x55\xaa\x55\xaa\x55\xaa\x55"  # 127 DEL (checkerboard: any other byte)
)
assert len(FONT) == 96 * 8


def _int(v: object, what: str = "value") -> int:
    # mp_obj_get_int: ints and bools only (a float is a TypeError on the device too)
    if isinstance(v, bool | int):
        return int(v)
    raise TypeError(f"can't convert {type(v).__name__} to int ({what})")


class FrameBuffer:
    """framebuf.FrameBuffer(buffer, width, height, format, stride=width)."""

    def __init__(self, buffer, width: int, height: int, format: int, stride: int | None = None):
        width, height, format = _int(width), _int(height), _int(format)
        stride = width if stride is None else _int(stride)
        if width < 1 or height < 1 or width > 0xFFFF or height > 0xFFFF or stride < width:
            raise ValueError("invalid width, height or stride")
        if format not in _MONO:
            if format in (RGB565, GS4_HMSB, GS2_HMSB, GS8):
                raise ValueError("format not supported by this stand-in (mono formats only)")
            raise ValueError("invalid format")
        mv = memoryview(buffer)
        if mv.readonly:
            raise TypeError("object with buffer protocol required (writable)")
        mv = mv.cast("B") if mv.format != "B" or mv.ndim != 1 else mv
        if format == MONO_VLSB:
            need = ((height + 7) // 8) * stride
        else:
            stride = (stride + 7) & ~7
            need = height * stride // 8
        if len(mv) < need:
            raise ValueError("buffer too small")
        self.buf = buffer
        self._b = mv
        self.width = width
        self.height = height
        self.stride = stride
        self.format = format
        self.clipped = 0
        self.clip_log: list[tuple[str, tuple]] = []

    # ---- raw pixel access (in bounds only) ----
    def _set(self, x: int, y: int, c: int) -> None:
        b = self._b
        if self.format == MONO_VLSB:
            i = (y >> 3) * self.stride + x
            off = y & 7
        else:
            i = (x + y * self.stride) >> 3
            off = (x & 7) if self.format == MONO_HMSB else 7 - (x & 7)
        b[i] = (b[i] & ~(1 << off) & 0xFF) | ((c != 0) << off)

    def _get(self, x: int, y: int) -> int:
        if self.format == MONO_VLSB:
            return (self._b[(y >> 3) * self.stride + x] >> (y & 7)) & 1
        off = (x & 7) if self.format == MONO_HMSB else 7 - (x & 7)
        return (self._b[(x + y * self.stride) >> 3] >> off) & 1

    def _inside(self, x: int, y: int) -> bool:
        return 0 <= x < self.width and 0 <= y < self.height

    def _clip(self, n: int, method: str, args: tuple) -> None:
        if n:
            self.clipped += n
            self.clip_log.append((method, args))

    def _fill_rect(self, x: int, y: int, w: int, h: int, c: int) -> None:
        # modframebuf.c fill_rect(): clip to the buffer, then fill
        if h < 1 or w < 1 or x + w <= 0 or y + h <= 0 or y >= self.height or x >= self.width:
            return
        xend = min(self.width, x + w)
        yend = min(self.height, y + h)
        x = max(x, 0)
        y = max(y, 0)
        for yy in range(y, yend):
            for xx in range(x, xend):
                self._set(xx, yy, c)

    def _rect_outside(self, x: int, y: int, w: int, h: int) -> int:
        if w < 1 or h < 1:
            return 0
        iw = max(0, min(self.width, x + w) - max(x, 0))
        ih = max(0, min(self.height, y + h) - max(y, 0))
        return w * h - iw * ih

    # ---- the MicroPython API ----
    def fill(self, c: int) -> None:
        c = _int(c, "colour")
        v = 0xFF if c != 0 else 0
        if self.format == MONO_VLSB and self.stride == self.width:
            n = ((self.height + 7) // 8) * self.stride
            if self.height % 8 == 0:
                self._b[:n] = bytes([v]) * n
                return
        self._fill_rect(0, 0, self.width, self.height, c)

    def fill_rect(self, x: int, y: int, w: int, h: int, c: int) -> None:
        x, y, w, h, c = _int(x), _int(y), _int(w), _int(h), _int(c)
        self._clip(self._rect_outside(x, y, w, h), "fill_rect", (x, y, w, h, c))
        self._fill_rect(x, y, w, h, c)

    def pixel(self, x: int, y: int, c: int | None = None) -> int | None:
        x, y = _int(x), _int(y)
        if not self._inside(x, y):
            if c is not None:
                _int(c)
                self._clip(1, "pixel", (x, y, c))
            return None
        if c is None:
            return self._get(x, y)
        self._set(x, y, _int(c))
        return None

    def hline(self, x: int, y: int, w: int, c: int) -> None:
        x, y, w, c = _int(x), _int(y), _int(w), _int(c)
        self._clip(self._rect_outside(x, y, w, 1), "hline", (x, y, w, c))
        self._fill_rect(x, y, w, 1, c)

    def vline(self, x: int, y: int, h: int, c: int) -> None:
        x, y, h, c = _int(x), _int(y), _int(h), _int(c)
        self._clip(self._rect_outside(x, y, 1, h), "vline", (x, y, h, c))
        self._fill_rect(x, y, 1, h, c)

    def rect(self, x: int, y: int, w: int, h: int, c: int, f: bool = False) -> None:
        x, y, w, h, c = _int(x), _int(y), _int(w), _int(h), _int(c)
        if f:
            self.fill_rect(x, y, w, h, c)
            return
        out = (self._rect_outside(x, y, w, 1) + self._rect_outside(x, y + h - 1, w, 1)
               + self._rect_outside(x, y, 1, h) + self._rect_outside(x + w - 1, y, 1, h))
        self._clip(out, "rect", (x, y, w, h, c))
        self._fill_rect(x, y, w, 1, c)
        self._fill_rect(x, y + h - 1, w, 1, c)
        self._fill_rect(x, y, 1, h, c)
        self._fill_rect(x + w - 1, y, 1, h, c)

    def line(self, x1: int, y1: int, x2: int, y2: int, c: int) -> None:
        x1, y1, x2, y2, c = _int(x1), _int(y1), _int(x2), _int(y2), _int(c)
        args = (x1, y1, x2, y2, c)
        outside = 0
        dx = x2 - x1
        if dx > 0:
            sx = 1
        else:
            dx = -dx
            sx = -1
        dy = y2 - y1
        if dy > 0:
            sy = 1
        else:
            dy = -dy
            sy = -1
        steep = dy > dx
        if steep:
            x1, y1 = y1, x1
            dx, dy = dy, dx
            sx, sy = sy, sx
        e = 2 * dy - dx
        for _ in range(dx):
            px, py = (y1, x1) if steep else (x1, y1)
            if self._inside(px, py):
                self._set(px, py, c)
            else:
                outside += 1
            while e >= 0:
                y1 += sy
                e -= 2 * dx
            x1 += sx
            e += 2 * dy
        if self._inside(x2, y2):
            self._set(x2, y2, c)
        else:
            outside += 1
        self._clip(outside, "line", args)

    def text(self, s, x: int, y: int, c: int = 1) -> None:
        if isinstance(s, str):
            data = s.encode("utf-8")
        elif isinstance(s, bytes | bytearray):
            data = bytes(s)
        else:
            raise TypeError(f"can't convert '{type(s).__name__}' object to str implicitly")
        x0, y0, c = _int(x), _int(y), _int(c)
        args = (s, x0, y0, c)
        outside = 0
        for ch in data:
            if ch < 32 or ch > 127:
                ch = 127
            glyph = FONT[(ch - 32) * 8:(ch - 32) * 8 + 8]
            for j in range(8):
                if 0 <= x0 < self.width:
                    col = glyph[j]
                    yy = y0
                    while col:
                        if col & 1 and 0 <= yy < self.height:
                            self._set(x0, yy, c)
                        col >>= 1
                        yy += 1
                    outside += sum(1 for yy in range(y0, y0 + 8) if not 0 <= yy < self.height)
                else:
                    outside += 8
                x0 += 1
        self._clip(outside, "text", args)

    def scroll(self, xstep: int, ystep: int) -> None:
        xstep, ystep = _int(xstep), _int(ystep)
        if xstep < 0:
            if -xstep >= self.width:
                return
            sx, xend, dx = 0, self.width + xstep, 1
        else:
            if xstep >= self.width:
                return
            sx, xend, dx = self.width - 1, xstep - 1, -1
        if ystep < 0:
            if -ystep >= self.height:
                return
            y, yend, dy = 0, self.height + ystep, 1
        else:
            if ystep >= self.height:
                return
            y, yend, dy = self.height - 1, ystep - 1, -1
        while y != yend:
            x = sx
            while x != xend:
                self._set(x, y, self._get(x - xstep, y - ystep))
                x += dx
            y += dy

    def blit(self, source, x: int, y: int, key: int = -1, palette=None) -> None:
        """blit(FrameBuffer or (buffer, width, height, format[, stride]), x, y, key=-1, palette=None)"""
        if isinstance(source, tuple | list):
            if not 4 <= len(source) <= 5:
                raise ValueError("expecting (buffer, width, height, format[, stride])")
            source = FrameBuffer(*source)
        if not isinstance(source, FrameBuffer):
            raise TypeError("source must be a FrameBuffer or a (buffer, w, h, format) tuple")
        if palette is not None and not isinstance(palette, FrameBuffer):
            raise TypeError("palette must be a FrameBuffer")
        x, y, key = _int(x), _int(y), _int(key)
        self._clip(self._rect_outside(x, y, source.width, source.height), "blit", (source, x, y, key))
        if x >= self.width or y >= self.height or -x >= source.width or -y >= source.height:
            return
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = max(0, -x), max(0, -y)
        x0end = min(self.width, x + source.width)
        y0end = min(self.height, y + source.height)
        key32 = key & 0xFFFFFFFF
        while y0 < y0end:
            cx1 = x1
            for cx0 in range(x0, x0end):
                col = source._get(cx1, y1)
                if palette is not None:
                    col = palette._get(col, 0)
                if col != key32:
                    self._set(cx0, y0, col)
                cx1 += 1
            y1 += 1
            y0 += 1

    # ---- helpers (not in MicroPython) ----
    def __bytes__(self) -> bytes:
        return bytes(self._b)

    def reset_clip(self) -> None:
        self.clipped = 0
        self.clip_log = []


def FrameBuffer1(buffer, width: int, height: int, stride: int | None = None) -> FrameBuffer:  # noqa: N802
    """The old MONO_VLSB-only constructor MicroPython still offers."""
    return FrameBuffer(buffer, width, height, MONO_VLSB, stride)


def display(width: int = 128, height: int = 64) -> FrameBuffer:
    """A fresh, blank MONO_VLSB FrameBuffer the size of the display (an SSD1306's memory layout)."""
    return FrameBuffer(bytearray(((height + 7) // 8) * width), width, height, MONO_VLSB)


def _as_frame(fb_or_bytes, width: int, height: int) -> FrameBuffer:
    if isinstance(fb_or_bytes, FrameBuffer):
        return fb_or_bytes
    # bytes from a device or the real module: MONO_VLSB, width x height
    return FrameBuffer(bytearray(fb_or_bytes), width, height, MONO_VLSB)


def frame_to_text(fb_or_bytes, width: int = 128, height: int = 64, on: str = "#", off: str = ".") -> str:
    """The picture as text: one line a pixel row, `on`/`off` characters (snapshot files, diffs)."""
    fb = _as_frame(fb_or_bytes, width, height)
    rows = []
    for y in range(fb.height):
        rows.append("".join(on if fb._get(x, y) else off for x in range(fb.width)))
    return "\n".join(rows) + "\n"


def frame_to_png(fb_or_bytes, path, scale: int = 4, width: int = 128, height: int = 64,
                 on: tuple[int, int, int] = (225, 240, 255), off: tuple[int, int, int] = (8, 12, 20),
                 border: int = 0) -> Path:
    """Save the picture as a PNG, each pixel `scale` x `scale`, light on dark like the OLED.
    `border` adds that many pixels of `off` all round. Returns the path."""
    from PIL import Image

    fb = _as_frame(fb_or_bytes, width, height)
    img = Image.new("RGB", (fb.width, fb.height), off)
    px = img.load()
    for y in range(fb.height):
        for x in range(fb.width):
            if fb._get(x, y):
                px[x, y] = on
    if scale != 1:
        img = img.resize((fb.width * scale, fb.height * scale), Image.NEAREST)
    if border:
        framed = Image.new("RGB", (img.width + 2 * border, img.height + 2 * border), off)
        framed.paste(img, (border, border))
        img = framed
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path

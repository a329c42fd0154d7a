#!/usr/bin/env python3
"""Test images for the decoders (packages/sdk/src/clip/image) and what PIL reads from them.

Writes packages/sdk/test/clip/fixtures/: small PNG / JPEG / WebP / GIF files covering every colour type the decoders
handle, EXIF orientations 1-8, CMYK, 16-bit, and broken files; `<name>.rgb` holds the RGB bytes PIL gives for
`ImageOps.exif_transpose(Image.open(f)).convert('RGB')` and manifest.json lists each case. Run with Debian's python3
(python3-pil, python3-numpy): /usr/bin/python3 scripts/make-image-fixtures.py
"""
import json
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

OUT = Path(__file__).resolve().parent.parent / 'packages/sdk/test/clip/fixtures'
OUT.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(23)
cases = []


def smooth(w, h, ch=3):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    planes = [
        127 + 100 * np.sin(x / w * 3.1 + c) * np.cos(y / h * 2.3 - c) + rng.normal(0, 6, (h, w)) for c in range(ch)
    ]
    return np.clip(np.stack(planes, -1), 0, 255).astype(np.uint8)


def expect(name, note, tol=0, exact_pil=True):
    im = ImageOps.exif_transpose(Image.open(OUT / name)).convert('RGB')
    a = np.asarray(im)
    (OUT / (name + '.rgb')).write_bytes(a.tobytes())
    cases.append({'file': name, 'width': im.width, 'height': im.height, 'tolerance': tol, 'note': note})


def png_chunk(t, data):
    return struct.pack('>I', len(data)) + t + data + struct.pack('>I', zlib.crc32(t + data) & 0xFFFFFFFF)


def write_png16(name, arr, colour_type):
    h, w = arr.shape[:2]
    raw = b''.join(b'\0' + arr[y].astype('>u2').tobytes() for y in range(h))
    ihdr = struct.pack('>IIBBBBB', w, h, 16, colour_type, 0, 0, 0)
    (OUT / name).write_bytes(
        b'\x89PNG\r\n\x1a\n' + png_chunk(b'IHDR', ihdr) + png_chunk(b'IDAT', zlib.compress(raw)) + png_chunk(b'IEND', b'')
    )


# PNG: every colour type
rgb = smooth(13, 9)
Image.fromarray(rgb).save(OUT / 'rgb8.png')
expect('rgb8.png', 'RGB 8-bit')
rgba = np.concatenate([smooth(11, 7), rng.integers(0, 256, (7, 11, 1), dtype=np.uint8)], -1)
rgba[0, :, 3] = 0  # fully transparent row keeps its colour: alpha is dropped, not composited
Image.fromarray(rgba, 'RGBA').save(OUT / 'rgba8.png')
expect('rgba8.png', 'RGBA 8-bit: alpha dropped')
Image.fromarray(smooth(10, 6, 1)[..., 0], 'L').save(OUT / 'grey8.png')
expect('grey8.png', 'greyscale 8-bit')
Image.fromarray(np.concatenate([smooth(9, 5, 1), smooth(9, 5, 1)], -1), 'LA').save(OUT / 'greyalpha8.png')
expect('greyalpha8.png', 'greyscale + alpha: alpha dropped')
Image.fromarray(rng.integers(0, 2, (7, 13), dtype=np.uint8) * 255, 'L').convert('1').save(OUT / 'grey1.png')
expect('grey1.png', '1-bit')
pal = Image.fromarray(smooth(12, 8)).quantize(16)
pal.save(OUT / 'palette4.png', bits=4)
expect('palette4.png', 'palette, 4-bit indices')
pal2 = Image.fromarray(smooth(12, 8)).quantize(200)
pal2.info['transparency'] = 3
pal2.save(OUT / 'palette8-trns.png', transparency=3)
expect('palette8-trns.png', 'palette, 8-bit, tRNS: transparency dropped')
rgb16 = (rng.integers(0, 65536, (6, 9, 3))).astype(np.uint16)
write_png16('rgb16.png', rgb16, 2)
expect('rgb16.png', 'RGB 16-bit: high byte (PIL)')
grey16 = (rng.integers(0, 65536, (5, 8))).astype(np.uint16)
write_png16('grey16.png', grey16, 0)
hi = (grey16 >> 8).astype(np.uint8)
(OUT / 'grey16.png.rgb').write_bytes(np.repeat(hi[..., None], 3, -1).tobytes())
cases.append({'file': 'grey16.png', 'width': 8, 'height': 5, 'tolerance': 0,
              'note': 'greyscale 16-bit: high byte (PIL clips at 255 instead; not PIL)'})

# JPEG: baseline 4:4:4, 4:2:0, progressive, greyscale, CMYK (Adobe); decoders differ from libjpeg by a few levels
big = smooth(40, 24)
Image.fromarray(big).save(OUT / 'rgb444.jpg', quality=95, subsampling=0)
expect('rgb444.jpg', 'JPEG 4:4:4', tol=3)
Image.fromarray(big).save(OUT / 'rgb420.jpg', quality=90, subsampling=2)
expect('rgb420.jpg', 'JPEG 4:2:0 (nearest vs fancy chroma upsampling)', tol=12)
Image.fromarray(big).save(OUT / 'progressive.jpg', quality=90, progressive=True, subsampling=0)
expect('progressive.jpg', 'progressive JPEG', tol=3)
Image.fromarray(big[..., 0], 'L').save(OUT / 'grey.jpg', quality=90)
expect('grey.jpg', 'greyscale JPEG', tol=2)
Image.fromarray(big).convert('CMYK').save(OUT / 'cmyk.jpg', quality=95)
expect('cmyk.jpg', 'CMYK JPEG (Adobe)', tol=2)

# EXIF orientation 1..8 on a non-square JPEG and one PNG eXIf
for o in range(1, 9):
    ex = Image.Exif()
    ex[0x0112] = o
    Image.fromarray(big[:16, :24]).save(OUT / f'orient{o}.jpg', quality=95, subsampling=0, exif=ex.tobytes())
    expect(f'orient{o}.jpg', f'EXIF orientation {o}', tol=3)
ex = Image.Exif()
ex[0x0112] = 6
Image.fromarray(rgb).save(OUT / 'orient6.png', exif=ex.tobytes())
expect('orient6.png', 'PNG eXIf orientation 6')

# formats decoded only by the platform, and broken files
Image.fromarray(rgb).save(OUT / 'rgb.webp', lossless=True)
Image.fromarray(rgb).save(OUT / 'rgb.gif')
png = (OUT / 'rgb8.png').read_bytes()
(OUT / 'truncated.png').write_bytes(png[: len(png) // 2])
jpg = (OUT / 'rgb444.jpg').read_bytes()
(OUT / 'truncated.jpg').write_bytes(jpg[: len(jpg) // 2])
(OUT / 'notanimage.png').write_bytes(b'hello, this is text\n')

(OUT / 'manifest.json').write_text(json.dumps({'pil': Image.__version__, 'cases': cases}, indent=1) + '\n')
print(f'{len(cases)} cases in {OUT}')

# the runtime-neutral suite (tests/suite/image-decode.suite.ts) gets a few of them inline, base64
import base64  # noqa: E402

INLINE = ['rgb8.png', 'rgba8.png', 'palette4.png', 'grey16.png', 'orient6.png', 'rgb444.jpg', 'rgb420.jpg',
          'orient6.jpg', 'cmyk.jpg', 'grey.jpg']
by = {c['file']: c for c in cases}
vec = []
for f in INLINE:
    c = by[f]
    vec.append({**c, 'bytes': base64.b64encode((OUT / f).read_bytes()).decode(),
                'rgb': base64.b64encode((OUT / (f + '.rgb')).read_bytes()).decode()})
vec.append({'file': 'rgb.webp', 'width': 13, 'height': 9, 'tolerance': 0, 'note': 'lossless WebP (browsers only)',
            'bytes': base64.b64encode((OUT / 'rgb.webp').read_bytes()).decode(),
            'rgb': base64.b64encode((OUT / 'rgb8.png.rgb').read_bytes()).decode()})
ts = Path(__file__).resolve().parent.parent / 'tests/suite/image-decode-vectors.ts'
ts.write_text(
    '// Generated by scripts/make-image-fixtures.py (PIL ' + Image.__version__ + '): encoded images and the RGB bytes\n'
    "// PIL's exif_transpose(...).convert('RGB') gives, base64. Do not edit.\n"
    'export interface DecodeVector {\n  file: string;\n  width: number;\n  height: number;\n  tolerance: number;\n'
    '  note: string;\n  bytes: string;\n  rgb: string;\n}\n\nexport const DECODE_VECTORS: DecodeVector[] = '
    + json.dumps(vec, indent=2) + ';\n')
print(f'{len(vec)} inline vectors in {ts}')

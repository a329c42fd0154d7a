// Out-of-domain test images: the same people emoji drawn by OpenMoji (openmoji npm package, CC BY-SA 4.0, SVG
// only), rasterised to 64×64 PNG by Debian's librsvg2-bin (`rsvg-convert`) into .cache/openmoji-64/ (git-ignored,
// made once). The models never see this style in training: it tests whether what they learned from Noto emoji
// (concepts, gender) carries over to another drawing style.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodePng, pkgFile, GENDERS, TONES } from './data.mjs';
import { IMAGE_DIM, rng, view } from './dataset.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
export const OOD_CACHE = join(HERE, '..', '.cache', 'openmoji-64');

const norm = (hex) => hex.toUpperCase().replace(/-FE0F/g, '');

/** the rasteriser's version line, or a readable error naming the Debian package */
export function rsvgVersion() {
  const r = spawnSync('rsvg-convert', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    throw new Error(
      'rsvg-convert not found: the out-of-domain (OpenMoji) test set needs Debian librsvg2-bin ' +
        '(apt-get install librsvg2-bin; experiments/clip-the-bias-mini/bootstrap.mjs installs it when run as root)',
    );
  return r.stdout.trim();
}

/**
 * OpenMoji images for every concept × form (man, woman, person) × tone that OpenMoji draws: images[ci][g][t]
 * (RGB Float32Array, 64×64, composited on white) or null where OpenMoji has no such emoji. Rasterises
 * missing cache files with rsvg-convert (PNG written to a temp name, then renamed).
 */
export function loadOodImages(concepts) {
  const svgDir = dirname(pkgFile('openmoji', 'color/svg/1F600.svg'));
  const byHex = new Map(
    readdirSync(svgDir)
      .filter((f) => f.endsWith('.svg'))
      .map((f) => [norm(f.slice(0, -4)), join(svgDir, f)]),
  );
  mkdirSync(OOD_CACHE, { recursive: true });
  let rsvg = null;
  let found = 0;
  let missing = 0;
  const images = concepts.map((c) => {
    const out = {};
    for (const g of ['man', 'woman', 'person']) {
      if (!c.hex?.[g]) continue;
      out[g] = TONES.map((_, t) => {
        const hex = c.hex[g][t];
        const svg = hex && byHex.get(norm(hex));
        if (!svg) {
          missing++;
          return null;
        }
        const png = join(OOD_CACHE, `${norm(hex)}.png`);
        if (!existsSync(png)) {
          rsvg ??= rsvgVersion();
          const tmp = `${png}.${process.pid}.tmp`;
          const r = spawnSync('rsvg-convert', ['-w', '64', '-h', '64', '-f', 'png', '-o', tmp, svg], {
            encoding: 'utf8',
          });
          if (r.status !== 0) throw new Error(`rsvg-convert failed on ${svg}: ${r.stderr || r.error}`);
          renameSync(tmp, png);
        }
        const im = decodePng(png);
        if (im.w !== 64 || im.h !== 64) throw new Error(`${png}: expected 64×64, got ${im.w}×${im.h}`);
        found++;
        return im.rgb;
      });
    }
    return out;
  });
  return { images, found, missing, svgDir };
}

/** the out-of-domain evaluation set: every concept × {man, woman} × tone OpenMoji draws × views; neutral forms */
export function buildOodEval({ concepts, oodImages, views, seed }) {
  const r = rng(seed);
  const g = [];
  const p = [];
  concepts.forEach((c, ci) => {
    for (let t = 0; t < TONES.length; t++) {
      for (let v = 0; v < views; v++) {
        for (const gender of GENDERS) {
          const img = oodImages[ci][gender]?.[t];
          if (img) g.push({ ci, gender, tone: t, img });
        }
        const pimg = oodImages[ci].person?.[t];
        if (pimg) p.push({ ci, gender: 'person', tone: t, img: pimg });
      }
    }
  });
  const pack = (list) => {
    const x = new Float32Array(list.length * IMAGE_DIM);
    list.forEach((e, i) => view(e.img, r, x, i * IMAGE_DIM));
    return {
      n: list.length,
      x,
      concept: Int32Array.from(list.map((e) => e.ci)),
      gender: Int32Array.from(list.map((e) => GENDERS.indexOf(e.gender))),
      tone: Int32Array.from(list.map((e) => e.tone)),
    };
  };
  return { gendered: pack(g), neutral: pack(p) };
}

#!/usr/bin/env node
// Draws the widget's logo PNGs (amocrm.md §3.1 sizes) with no dependencies: shapes are
// signed distances, 4x4 supersampled, written as RGBA PNG through zlib.
// Run: node widget/tools/make-logos.js   (writes widget/amocrm/images/*.png)
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const BLUE = [37, 99, 235];
const INK = [31, 41, 55];
const WHITE = [255, 255, 255];

// ---- PNG writer ----
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(width, height, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 6; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0;
    rgba.copy(raw, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---- shapes: each returns a function (x, y) -> true when inside ----
function roundRect(x0, y0, w, h, r) {
  return (x, y) => {
    const dx = Math.max(x0 + r - x, 0, x - (x0 + w - r));
    const dy = Math.max(y0 + r - y, 0, y - (y0 + h - r));
    return x >= x0 && x <= x0 + w && y >= y0 && y <= y0 + h && dx * dx + dy * dy <= r * r;
  };
}
function segDist(px, py, ax, ay, bx, by) {
  const vx = bx - ax, vy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * vx + (py - ay) * vy) / (vx * vx + vy * vy || 1)));
  const dx = px - (ax + t * vx), dy = py - (ay + t * vy);
  return Math.sqrt(dx * dx + dy * dy);
}
function angleIn(a, from, to) {
  const norm = (v) => ((v % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI);
  const span = norm(to - from);
  return norm(a - from) <= span;
}
// Monoline strokes: lines [x1,y1,x2,y2] and arcs {cx,cy,r,from,to} (radians, y down), width w.
function strokes(list, w) {
  return (x, y) => {
    for (const s of list) {
      let d;
      if (Array.isArray(s)) d = segDist(x, y, s[0], s[1], s[2], s[3]);
      else {
        const a = Math.atan2(y - s.cy, x - s.cx);
        if (s.full || angleIn(a, s.from, s.to)) d = Math.abs(Math.hypot(x - s.cx, y - s.cy) - s.r);
        else {
          d = Math.min(
            Math.hypot(x - (s.cx + s.r * Math.cos(s.from)), y - (s.cy + s.r * Math.sin(s.from))),
            Math.hypot(x - (s.cx + s.r * Math.cos(s.to)), y - (s.cy + s.r * Math.sin(s.to))));
        }
      }
      if (d <= w / 2) return true;
    }
    return false;
  };
}
function triangle(ax, ay, bx, by, cx, cy) {
  const sign = (px, py, x1, y1, x2, y2) => (px - x2) * (y1 - y2) - (x1 - x2) * (py - y2);
  return (x, y) => {
    const d1 = sign(x, y, ax, ay, bx, by), d2 = sign(x, y, bx, by, cx, cy), d3 = sign(x, y, cx, cy, ax, ay);
    return !(((d1 < 0) || (d2 < 0) || (d3 < 0)) && ((d1 > 0) || (d2 > 0) || (d3 > 0)));
  };
}

// The mark: a blue rounded square, a white speech bubble, a blue monoline "P" inside.
function mark(x0, y0, s) {
  const bubble = roundRect(x0 + s * 0.16, y0 + s * 0.16, s * 0.68, s * 0.56, s * 0.2);
  const tail = triangle(x0 + s * 0.30, y0 + s * 0.66, x0 + s * 0.50, y0 + s * 0.70, x0 + s * 0.26, y0 + s * 0.86);
  const w = s * 0.085;
  const px = x0 + s * 0.41, top = y0 + s * 0.28, bottom = y0 + s * 0.61, r = s * 0.085;
  const letter = strokes([
    [px, top, px, bottom],
    [px, top, px + s * 0.08, top],
    [px, top + 2 * r, px + s * 0.08, top + 2 * r],
    { cx: px + s * 0.08, cy: top + r, r: r, from: -Math.PI / 2, to: Math.PI / 2 },
  ], w);
  return [
    [roundRect(x0, y0, s, s, s * 0.22), BLUE],
    [(x, y) => bubble(x, y) || tail(x, y), WHITE],
    [letter, BLUE],
  ];
}

// The word "Pact" in monoline strokes; h = cap height, (x0, y0) = top left, returns layers.
function word(x0, y0, h, color) {
  const w = h * 0.16, xh = h * 0.64, base = y0 + h, r = xh / 2 - w / 2;
  const pr = h * 0.27;
  const P = [[x0, y0, x0, base], [x0, y0, x0 + h * 0.2, y0], [x0, y0 + 2 * pr, x0 + h * 0.2, y0 + 2 * pr],
    { cx: x0 + h * 0.2, cy: y0 + pr, r: pr, from: -Math.PI / 2, to: Math.PI / 2 }];
  const ax = x0 + h * 0.72 + r;
  const A = [{ cx: ax, cy: base - xh / 2, r: r, full: true }, [ax + r, base - xh + w / 2, ax + r, base]];
  const cx = ax + r + h * 0.3 + r;
  const C = [{ cx: cx, cy: base - xh / 2, r: r, from: Math.PI / 4, to: -Math.PI / 4 }];
  const tx = cx + r + h * 0.3;
  const T = [[tx, y0 + h * 0.12, tx, base], [tx - h * 0.16, base - xh + w / 2, tx + h * 0.2, base - xh + w / 2]];
  return { layers: [[strokes(P.concat(A, C, T), w), color]], width: tx + h * 0.2 - x0 };
}

function render(width, height, layers) {
  const out = Buffer.alloc(width * height * 4);
  const N = 4;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < N; sy++) {
        for (let sx = 0; sx < N; sx++) {
          const px = x + (sx + 0.5) / N, py = y + (sy + 0.5) / N;
          let c = null;
          for (const [inside, color] of layers) if (inside(px, py)) c = color;
          if (c) { r += c[0]; g += c[1]; b += c[2]; a += 1; }
        }
      }
      const i = (y * width + x) * 4;
      if (a) { out[i] = Math.round(r / a); out[i + 1] = Math.round(g / a); out[i + 2] = Math.round(b / a); }
      out[i + 3] = Math.round((a / (N * N)) * 255);
    }
  }
  return png(width, height, out);
}

function iconOnly(w, h, pad) {
  const s = Math.min(w, h) - 2 * pad;
  return mark((w - s) / 2, (h - s) / 2, s);
}
function horizontal(w, h) {
  const s = h * 0.76, gap = h * 0.16, cap = h * 0.42;
  const probe = word(0, 0, cap, INK).width;
  const x0 = (w - (s + gap + probe)) / 2;
  const wd = word(x0 + s + gap, (h - cap) / 2, cap, INK);
  return mark(x0, (h - s) / 2, s).concat(wd.layers);
}
function stacked(w, h) {
  const s = h * 0.5, cap = h * 0.16, gap = h * 0.08;
  const top = (h - (s + gap + cap)) / 2;
  const probe = word(0, 0, cap, INK).width;
  return mark((w - s) / 2, top, s).concat(word((w - probe) / 2, top + s + gap, cap, INK).layers);
}

const images = {
  'logo_main.png': [400, 272, stacked],
  'logo_medium.png': [240, 84, horizontal],
  'logo_small.png': [108, 108, (w, h) => iconOnly(w, h, 4)],
  'logo_min.png': [84, 84, (w, h) => iconOnly(w, h, 3)],
  'logo.png': [130, 100, (w, h) => iconOnly(w, h, 8)],
};
const dir = path.join(__dirname, '..', 'amocrm', 'images');
fs.mkdirSync(dir, { recursive: true });
for (const [name, [w, h, layout]] of Object.entries(images)) {
  const bytes = render(w, h, layout(w, h));
  fs.writeFileSync(path.join(dir, name), bytes);
  console.log(name, w + 'x' + h, bytes.length + ' bytes');
}

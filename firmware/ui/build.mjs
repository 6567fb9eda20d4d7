// Bundles the web UI into one directory that the skyspy binary embeds (see ../build.rs):
// index.html, app.js, app.css, cannonball.html/.js/.css (the phone page) and basemap.json (Natural Earth 1:50m countries from the
// world-atlas package, decoded in the browser by topojson-client). No CDN, no network at run time.
//
//   node build.mjs <out-dir>
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
if (!out) {
  console.error('usage: node build.mjs <out-dir>');
  process.exit(2);
}
mkdirSync(out, { recursive: true });

await esbuild.build({
  entryPoints: { app: join(here, 'src/main.js'), cannonball: join(here, 'src/cannonball.js') },
  outdir: out,
  entryNames: '[name]',
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  loader: { '.png': 'dataurl', '.svg': 'dataurl' },
  legalComments: 'eof',
  logLevel: 'warning',
});
copyFileSync(join(here, 'index.html'), join(out, 'index.html'));
copyFileSync(join(here, 'cannonball.html'), join(out, 'cannonball.html'));
copyFileSync(join(here, 'node_modules/world-atlas/countries-50m.json'), join(out, 'basemap.json'));

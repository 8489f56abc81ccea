// Builds rxlab's GraphiQL page into dist/: dist/index.html plus content-hashed
// bundles in dist/assets/. Run with `npm ci && npm run build`; the Go package web
// embeds dist/ as it is committed. No CDN: every byte the page loads is in dist/.
import * as esbuild from 'esbuild';
import { mkdir, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(root, 'dist');
const assets = path.join(dist, 'assets');

const common = {
  absWorkingDir: root,
  bundle: true,
  minify: true,
  sourcemap: false,
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  logLevel: 'warning',
  outdir: assets,
  metafile: true,
  define: { 'process.env.NODE_ENV': '"production"' },
  legalComments: 'eof',
};

// entryOutputs maps each entry point of a build to its output file name.
function entryOutputs(metafile) {
  const out = {};
  for (const [file, info] of Object.entries(metafile.outputs)) {
    if (info.entryPoint) {
      out[info.entryPoint] = path.basename(file);
      if (info.cssBundle) out[`${info.entryPoint}.css`] = path.basename(info.cssBundle);
    }
  }
  return out;
}

await rm(dist, { recursive: true, force: true });
await mkdir(assets, { recursive: true });

// 1. Monaco's language-service workers, as classic worker scripts.
const workerEntries = {
  editor: 'node_modules/monaco-editor/esm/vs/editor/editor.worker.js',
  json: 'node_modules/monaco-editor/esm/vs/language/json/json.worker.js',
  graphql: 'node_modules/monaco-graphql/esm/graphql.worker.js',
};
const workerBuild = await esbuild.build({
  ...common,
  entryPoints: Object.entries(workerEntries).map(([name, input]) => ({ in: input, out: `${name}.worker` })),
  format: 'iife',
  entryNames: '[name]-[hash]',
});
const workerOut = entryOutputs(workerBuild.metafile);
const workers = {};
for (const [name, input] of Object.entries(workerEntries)) {
  if (!workerOut[input]) throw new Error(`worker ${name}: no output for ${input}`);
  workers[name] = `./${workerOut[input]}`;
}

// 2. The page: React, GraphiQL and our token bar, one ES module plus one stylesheet.
const mainBuild = await esbuild.build({
  ...common,
  entryPoints: [{ in: 'src/main.jsx', out: 'main' }],
  format: 'esm',
  // Splitting keeps prettier (loaded only when the user prettifies) out of the first load.
  splitting: true,
  jsx: 'automatic',
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  assetNames: '[name]-[hash]',
  loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file', '.svg': 'file' },
  define: { ...common.define, __RXLAB_WORKERS__: JSON.stringify(workers) },
});
const mainOut = entryOutputs(mainBuild.metafile);
const js = mainOut['src/main.jsx'];
const css = mainOut['src/main.jsx.css'];
if (!js || !css) throw new Error(`main bundle outputs missing: ${JSON.stringify(mainOut)}`);

// esbuild also writes a stylesheet for each lazily loaded chunk that imports CSS, but
// nothing would ever load it: the same rules are already in the entry's stylesheet.
// Check that, then drop the orphans so dist/ holds only files the page uses.
const mainCSS = await readFile(path.join(assets, css), 'utf8');
const cssRules = (text) => text.match(/[^{}]+\{[^{}]*\}/g) || [];
const mainRules = new Set(cssRules(mainCSS));
for (const file of Object.keys(mainBuild.metafile.outputs)) {
  const name = path.basename(file);
  if (!name.endsWith('.css') || name === css) continue;
  const orphan = await readFile(path.join(assets, name), 'utf8');
  const missing = cssRules(orphan).filter((r) => !mainRules.has(r));
  if (missing.length > 0) {
    throw new Error(`${name}: ${missing.length} CSS rules not in ${css}, e.g. ${missing[0].slice(0, 120)}`);
  }
  await rm(path.join(assets, name));
}

// 3. The workbench app: plain ES modules, Observable Plot for charts; openchemlib
// (depictions) is a lazily imported chunk, loaded when the first molecule is drawn.
const appBuild = await esbuild.build({
  ...common,
  entryPoints: [{ in: 'src/app/main.js', out: 'app' }],
  format: 'esm',
  splitting: true,
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
});
const appOut = entryOutputs(appBuild.metafile);
const appJS = appOut['src/app/main.js'];
const appCSS = appOut['src/app/main.js.css'];
if (!appJS || !appCSS) throw new Error(`app bundle outputs missing: ${JSON.stringify(appOut)}`);
// What the first load of a page fetches: the entry and the chunks it imports
// statically (not the dynamic imports). Budget: 500 KB gzip.
const firstLoad = new Set();
const visit = (file) => {
  if (firstLoad.has(file)) return;
  firstLoad.add(file);
  for (const imp of appBuild.metafile.outputs[file].imports) if (imp.kind === 'import-statement') visit(imp.path);
};
visit(Object.keys(appBuild.metafile.outputs).find((f) => path.basename(f) === appJS));
let firstGz = 0;
for (const f of firstLoad) firstGz += gzipSync(await readFile(path.join(root, f)), { level: 9 }).length;
console.log(`workbench first-load JS: ${[...firstLoad].map((f) => path.basename(f)).join(', ')} = ${(firstGz / 1024).toFixed(0)} KiB gzip`);
if (firstGz > 500 * 1000) throw new Error(`workbench first-load JS is ${firstGz} bytes gzip, over the 500 KB budget`);

// 4. HTML: the workbench at / (absolute asset paths: it is served at /cohorts too)
// and GraphiQL at /graphiql.
const page = async (src, jsFile, cssFile, prefix) => (await readFile(path.join(root, src), 'utf8'))
  .replace('{{JS}}', `${prefix}${jsFile}`)
  .replace('{{CSS}}', `${prefix}${cssFile}`);
await writeFile(path.join(dist, 'index.html'), await page('src/app/index.html', appJS, appCSS, 'assets/'));
await writeFile(path.join(dist, 'graphiql.html'), await page('src/index.html', js, css, 'assets/'));

// 5. Precompressed copies (name.gz) of the compressible assets; the Go handler sends
// them to clients that accept gzip. Fixed mtime in the gzip header keeps builds
// reproducible.
let total = 0;
let totalGz = 0;
for (const f of (await readdir(assets)).sort()) {
  const file = path.join(assets, f);
  const data = await readFile(file);
  total += data.length;
  let gz = '';
  if (/\.(js|css|ttf)$/.test(f) && data.length >= 1024) {
    const z = gzipSync(data, { level: 9 });
    await writeFile(`${file}.gz`, z);
    totalGz += z.length;
    gz = `  (gzip ${(z.length / 1024).toFixed(0)} KiB)`;
  } else {
    totalGz += data.length;
  }
  console.log(`${(data.length / 1024).toFixed(0).padStart(7)} KiB  assets/${f}${gz}`);
}
console.log(`${(total / 1024).toFixed(0).padStart(7)} KiB  total (gzip ${(totalGz / 1024).toFixed(0)} KiB)`);

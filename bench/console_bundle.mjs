// The web console's compressed size per route, as served (the .gz files wharf sends): the
// shell every page loads, then what each page's chunk adds (its file and the chunks it
// imports that the shell does not have). Reads the Vite manifest of a build (wharf never
// serves it: a dot directory):
//   node bench/console_bundle.mjs [build/console]
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2] ?? "build/console";
const manifest = JSON.parse(readFileSync(join(dir, ".vite/manifest.json"), "utf8"));
const gz = (file) => {
  try {
    return statSync(join(dir, `${file}.gz`)).size;
  } catch {
    return statSync(join(dir, file)).size;
  }
};
// A chunk and everything it imports statically.
function closure(key, seen = new Set()) {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const k of manifest[key].imports ?? []) closure(k, seen);
  return seen;
}
function size(keys) {
  let js = 0;
  let css = 0;
  for (const k of keys) {
    js += gz(manifest[k].file);
    for (const c of manifest[k].css ?? []) css += gz(c);
  }
  return { js, css };
}
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const entry = Object.keys(manifest).find((k) => manifest[k].isEntry);
const shell = closure(entry);
const s = size(shell);
console.log(`shell (every page): ${kb(s.js)} JS, ${kb(s.css)} CSS (gzip)`);
const rows = new Map();
const visit = (key) => {
  if (rows.has(key)) return;
  const own = [...closure(key)].filter((k) => !shell.has(k));
  rows.set(key, size(own));
  for (const d of manifest[key].dynamicImports ?? []) visit(d);
};
for (const p of manifest[entry].dynamicImports ?? []) visit(p);
for (const [name, { js, css }] of [...rows].sort((a, b) => b[1].js - a[1].js)) {
  console.log(`  + ${name.replace(/^src\//, "").padEnd(42)} ${kb(js).padStart(9)} JS ${kb(css).padStart(9)} CSS`);
}

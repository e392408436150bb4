import { defineConfig, Plugin } from "vite";
import react from "@vitejs/plugin-react";
import { gzipSync } from "node:zlib";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

// wharf serves the built files under /console on its API port (docs/ARCHITECTURE.md, "The
// web console"), so every asset URL starts with /console/.
const outDir = process.env.WHARF_CONSOLE_OUT ?? "dist";

// A .gz beside every text file: wharf sends it to browsers that accept gzip (sendfile, no
// compression per request).
function precompress(): Plugin {
  return {
    name: "wharf-precompress",
    apply: "build",
    closeBundle() {
      const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
          const path = join(dir, name);
          if (statSync(path).isDirectory()) walk(path);
          else if (/\.(js|css|html|svg|json)$/.test(name)) writeFileSync(`${path}.gz`, gzipSync(readFileSync(path), { level: 9 }));
        }
      };
      walk(outDir);
    },
  };
}

export default defineConfig({
  base: "/console/",
  plugins: [react(), precompress()],
  build: {
    outDir,
    emptyOutDir: true,
    chunkSizeWarningLimit: 4096,
    // .vite/manifest.json: which chunks each page loads (bench/console_bundle.mjs); wharf
    // serves no dot directory.
    manifest: true,
  },
  // `npm run dev`: the app from source at http://localhost:5173/console/, its API calls
  // (POST /) passed to the wharf at WHARF_ENDPOINT. The Host header is kept: the browser
  // signed it.
  server: {
    proxy: {
      "^/$": { target: process.env.WHARF_ENDPOINT ?? "http://127.0.0.1:4566", changeOrigin: false },
    },
  },
  test: {
    include: ["src/**/*.test.ts", "src/**/*.test.tsx"],
    environment: "node",
  },
});

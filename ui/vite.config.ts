import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// The dev server injects component CSS as inline <style> elements, which index.html's strict CSP refuses; only
// the dev server gets 'unsafe-inline' for styles. Built files keep the policy exactly as written.
const devCsp: Plugin = {
  name: "portolan-dev-csp",
  apply: "serve",
  transformIndexHtml(html) {
    return html.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'");
  },
};

export default defineConfig({
  plugins: [svelte(), devCsp],
  // Tauri serves the built files from its own origin; relative paths keep them loadable.
  base: "./",
  clearScreen: false,
  server: { port: 1420, strictPort: true },
  build: {
    target: "es2022",
    // The preload polyfill would be the only non-module script; the web views Tauri uses support modulepreload.
    modulePreload: { polyfill: false },
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./tests/setup.ts"],
    include: ["tests/**/*.test.ts"],
  },
  resolve: process.env.VITEST ? { conditions: ["browser"] } : undefined,
});

import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import { compression } from "vite-plugin-compression2";

// `reelforge serve` serves the bundle from the Python package (WEBCONTRACT.md).
// In `npm run dev`, API calls go to a running server (RF_SERVER, default :8000).
const server = process.env.RF_SERVER ?? "http://127.0.0.1:8000";
const devKey = process.env.RF_DEV_KEY; // optional: owner key for servers without sessions
const proxied = ["/v1", "/login", "/openapi.json", "/healthz", "/docs"];

export default defineConfig({
  plugins: [
    react(),
    compression({ algorithm: "gzip", exclude: [/\.(png|jpe?g|webp|woff2)$/], threshold: 512 }),
    compression({ algorithm: "brotliCompress", exclude: [/\.(png|jpe?g|webp|woff2)$/], threshold: 512 }),
  ],
  build: {
    outDir: "../src/reelforge/web_dist",
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    target: "es2020",
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: Object.fromEntries(
      proxied.map((p) => [
        p,
        {
          target: server,
          changeOrigin: false,
          headers: devKey ? { Authorization: `Bearer ${devKey}` } : undefined,
        },
      ]),
    ),
  },
});

/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** An online tile URL template for the map ({z}/{x}/{y}); the offline basemap is used without it. */
  readonly VITE_TILE_URL?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}

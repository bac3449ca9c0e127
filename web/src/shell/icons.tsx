/** Small inline icons (no icon font, nothing fetched). */
import type { ReactElement } from "react";

const paths: Record<string, ReactElement> = {
  studio: <path d="M4 6h6v5H4zM14 13h6v5h-6zM10 8.5h2.5a2 2 0 0 1 2 2V13" />,
  presets: <path d="M5 4h14v16H5zM8 8h8M8 12h8M8 16h5" />,
  history: <path d="M12 7v5l3 2M3.5 12a8.5 8.5 0 1 0 2.6-6.1M3 4v4h4" />,
  gallery: <path d="M4 5h16v14H4zM4 15l4-4 4 4 3-3 5 5M15 9.5h.01" />,
  credits: <path d="M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zM14.5 9c-.5-.8-1.4-1.2-2.5-1.2-1.5 0-2.5.8-2.5 1.9 0 2.8 5.2 1.4 5.2 4.3 0 1.1-1.1 2-2.7 2-1.2 0-2.2-.5-2.7-1.4M12 6.5v11" />,
  setup: <path d="M12 9a3 3 0 1 0 0 6 3 3 0 0 0 0-6zM19 12l2-1-1-3-2.2.2-1.4-1.5.2-2.2-3-1-1 2h-2l-1-2-3 1 .2 2.2L5.4 8.2 3.2 8l-1 3 2 1v0l-2 1 1 3 2.2-.2 1.4 1.5-.2 2.2 3 1 1-2h2l1 2 3-1-.2-2.2 1.5-1.4 2.2.2 1-3z" />,
  app: <path d="M4 4h7v7H4zM13 4h7v7h-7zM4 13h7v7H4zM13 13h7v7h-7z" />,
  play: <path d="M7 5l12 7-12 7z" />,
  plus: <path d="M12 5v14M5 12h14" />,
  undo: <path d="M9 14L4 9l5-5M4 9h10a6 6 0 0 1 0 12h-3" />,
  redo: <path d="M15 14l5-5-5-5M20 9H10a6 6 0 0 0 0 12h3" />,
  save: <path d="M5 4h11l3 3v13H5zM8 4v5h7V4M8 20v-6h8v6" />,
  folder: <path d="M3 6h6l2 2h10v11H3z" />,
  trash: <path d="M5 7h14M10 7V4h4v3M7 7l1 13h8l1-13" />,
  copy: <path d="M8 8h11v12H8zM5 16V4h11" />,
  download: <path d="M12 4v11M7 10l5 5 5-5M5 20h14" />,
  logout: <path d="M15 4h4v16h-4M10 8l-4 4 4 4M6 12h10" />,
  close: <path d="M6 6l12 12M18 6L6 18" />,
  check: <path d="M5 12l5 5 9-10" />,
  alert: <path d="M12 3l10 18H2zM12 10v5M12 18h.01" />,
  upload: <path d="M12 20V9M7 14l5-5 5 5M5 4h14" />,
  fit: <path d="M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5" />,
};

export function Icon({ name, size = 18, label }: { name: keyof typeof paths | string; size?: number; label?: string }) {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.8}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden={label ? undefined : true}
      role={label ? "img" : undefined}
      aria-label={label}
      focusable="false"
    >
      {paths[name] ?? paths.app}
    </svg>
  );
}

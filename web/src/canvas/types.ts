/** The canvas box model (seed 002 §3): mode → model → schema-driven settings. */
export type Kind = "image" | "video" | "audio";
export type Mode = "t2i" | "i2i" | "t2v" | "i2v" | "v2v" | "upscale" | "edit" | "lipsync" | "avatar" | "tts";

export interface ModeInfo {
  id: Mode;
  label: string;
  group: "Generate" | "Post-process";
  /** What the box makes; null = the kind it receives (upscale, edit). */
  output: Kind | null;
  /** Media it must receive (from an edge or an upload). */
  needs: Kind[];
  /** Kinds an incoming edge may carry (a video feeding an image slot goes through its last frame). */
  accepts: Kind[];
}

export const MODES: ModeInfo[] = [
  { id: "t2i", label: "Text → Image", group: "Generate", output: "image", needs: [], accepts: [] },
  { id: "i2i", label: "Image → Image", group: "Generate", output: "image", needs: ["image"], accepts: ["image", "video"] },
  { id: "t2v", label: "Text → Video", group: "Generate", output: "video", needs: [], accepts: [] },
  { id: "i2v", label: "Image → Video", group: "Generate", output: "video", needs: ["image"], accepts: ["image", "video"] },
  { id: "v2v", label: "Video → Video", group: "Generate", output: "video", needs: ["video"], accepts: ["video"] },
  { id: "upscale", label: "Upscale", group: "Post-process", output: null, needs: ["image"], accepts: ["image", "video"] },
  { id: "edit", label: "Edit / Grade", group: "Post-process", output: null, needs: ["image"], accepts: ["image", "video", "audio"] },
  { id: "lipsync", label: "Lip-sync", group: "Post-process", output: "video", needs: ["video", "audio"], accepts: ["video", "audio"] },
  { id: "avatar", label: "Talking avatar", group: "Post-process", output: "video", needs: ["image", "audio"], accepts: ["image", "audio", "video"] },
  { id: "tts", label: "Text → Speech", group: "Post-process", output: "audio", needs: [], accepts: [] },
];

/** Modes that take an image: a video wired into them gives its last frame. */
export const LAST_FRAME_MODES = new Set<Mode>(["i2i", "i2v", "avatar"]);

export const MODE_BY_ID: Record<Mode, ModeInfo> = Object.fromEntries(MODES.map((m) => [m.id, m])) as Record<Mode, ModeInfo>;

/** An uploaded file given to a box (fills a media slot of the model). */
export interface MediaRef {
  artifact_id: string;
  slot: string;
  kind: Kind;
  name?: string;
}

export interface BoxData extends Record<string, unknown> {
  mode: Mode | "";
  model: string;
  prompt: string;
  negative_prompt: string;
  params: Record<string, unknown>;
  inputs: MediaRef[];
  consent: boolean;
  title?: string;
}

export type StepStatus = "idle" | "queued" | "held" | "submitting" | "submitted" | "collecting" | "succeeded" | "failed" | "canceled" | "skipped";

export interface OutputRef {
  artifact_id: string;
  url: string;
  kind: Kind;
}

export interface BoxRun {
  status: StepStatus;
  progress: number | null;
  message?: string;
  outputs: OutputRef[];
  error?: { code: string; message: string; remediation: string[] } | null;
  cost_micros?: number | null;
  served_by?: string | null;
}

export function emptyBox(mode: Mode | "" = ""): BoxData {
  return { mode, model: "", prompt: "", negative_prompt: "", params: {}, inputs: [], consent: false };
}

export function kindOfMime(media: string | null | undefined): Kind {
  if (!media) return "image";
  if (media.startsWith("video")) return "video";
  if (media.startsWith("audio")) return "audio";
  return "image";
}

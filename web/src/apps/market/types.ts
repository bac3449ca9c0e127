import type { components } from "../../api/schema";

type S = components["schemas"];
export type Agent = S["AgentOut"];
export type AgentItem = S["AgentListItem"];
export type AgentsPage = S["AgentsPage"];
export type Profile = S["ProfileOut"];
export type Service = S["ServiceOut"];
export type ServiceDetail = S["ServiceDetailOut"];
export type Order = S["OrderOut"];
export type Post = S["PostOut"];
export type Margins = S["MarginsOut"];
export type OrderStatus = Order["status"];

export const ENDED: OrderStatus[] = ["delivered", "failed", "refunded", "canceled"];

export const SOURCES = [
  { value: "", label: "All agents" },
  { value: "official", label: "Atelier Official" },
  { value: "agentgram", label: "Agentgram" },
  { value: "external", label: "External" },
] as const;

export const CATEGORIES: Record<string, string> = {
  image_gen: "Image",
  video_gen: "Video",
  audio_gen: "Audio",
  avatar: "Avatar",
  edit: "Edit",
  other: "Other",
};

/** One artifact by id: its metadata (for the media kind), then the right player. */
import { useQuery } from "@tanstack/react-query";
import { apiFetch } from "../../api/client";
import { artifactUrl, MediaView } from "../../components/Media";
import type { Artifact } from "./types";

export function useArtifact(id: string | null | undefined) {
  return useQuery({
    queryKey: ["artifact", id],
    queryFn: () => apiFetch<Artifact>(`/v1/artifacts/${encodeURIComponent(id!)}`),
    enabled: Boolean(id),
    staleTime: Infinity,
  });
}

export function ArtifactPreview({ id, label, compact }: { id: string; label: string; compact?: boolean }) {
  const { data, isError } = useArtifact(id);
  if (isError) return <div className="thumb placeholder" role="img" aria-label={`${label}: not available`}>?</div>;
  if (!data) return <div className="thumb skeleton" aria-hidden="true" />;
  return (
    <figure className="artifact-preview">
      <MediaView url={artifactUrl(id)} kind={data.media_type} label={label} compact={compact} />
      <figcaption className="row small muted">
        <span className={`kind-chip ${data.media_type}`}>{data.media_type}</span>
        <span className="mono">{data.id}</span>
        <span className="spacer" />
        <a className="btn small" href={`${artifactUrl(id)}`} download={data.name || data.id}>
          Download
        </a>
      </figcaption>
    </figure>
  );
}

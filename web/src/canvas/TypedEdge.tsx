/** An edge coloured by what it carries; refused ones are red with the reason, and a
 * video feeding an image slot shows the extracted last frame once the run made it. */
import { memo } from "react";
import { BaseEdge, EdgeLabelRenderer, getBezierPath, type EdgeProps } from "@xyflow/react";
import { useCanvas } from "./store";
import { edgeProblem, outputKind } from "./rules";
import { LAST_FRAME_MODES } from "./types";

function TypedEdgeInner({ id, source, target, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, selected }: EdgeProps) {
  const info = useCanvas((s) => {
    const byId = new Map(s.nodes.map((n) => [n.id, n]));
    const problem = edgeProblem(source, target, byId, s.edges);
    const kind = outputKind(source, byId, s.edges);
    const tmode = byId.get(target)?.data.mode;
    const lastFrame = kind === "video" && tmode ? LAST_FRAME_MODES.has(tmode) : false;
    return `${problem ?? ""}|${kind ?? ""}|${lastFrame ? 1 : 0}`;
  });
  const frame = useCanvas((s) => s.edgeFrames[`${source}->${target}`]);
  const [problem, kind, lastFrame] = info.split("|");
  const [path, lx, ly] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  const cls = problem ? "edge-bad" : `edge-${kind || "any"}`;
  return (
    <>
      <BaseEdge id={id} path={path} className={`${cls}${selected ? " selected" : ""}`} />
      {(problem || lastFrame === "1") && (
        <EdgeLabelRenderer>
          <div className={"edge-label" + (problem ? " bad" : "")} style={{ transform: `translate(-50%, -50%) translate(${lx}px, ${ly}px)` }} data-testid={problem ? "edge-problem" : "edge-lastframe"}>
            {problem ? (
              problem
            ) : frame ? (
              <>
                <img src={frame} alt={`Last frame of ${source}`} />
                <span>last frame</span>
              </>
            ) : (
              "last frame"
            )}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
}

export const TypedEdge = memo(TypedEdgeInner);

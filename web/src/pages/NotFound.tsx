import { Link } from "react-router-dom";
import { PageHeader } from "../shell/Shell";

export default function NotFound() {
  return (
    <div className="page">
      <PageHeader title="Page not found" subtitle="This page doesn't exist in the studio." />
      <Link className="btn primary" to="/studio">
        Back to the Studio
      </Link>
    </div>
  );
}

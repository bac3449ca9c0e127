import { PageHeader } from "../shell/Shell";

export default function Presets() {
  return (
    <div className="page">
      <PageHeader title="Presets" subtitle="Coming up." />
    </div>
  );
}

import { PageHeader } from "../shell/Shell";

export default function PresetDetail() {
  return (
    <div className="page">
      <PageHeader title="PresetDetail" subtitle="Coming up." />
    </div>
  );
}

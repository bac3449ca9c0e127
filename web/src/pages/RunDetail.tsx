import { PageHeader } from "../shell/Shell";

export default function RunDetail() {
  return (
    <div className="page">
      <PageHeader title="RunDetail" subtitle="Coming up." />
    </div>
  );
}

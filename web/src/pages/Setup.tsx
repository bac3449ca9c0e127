import { PageHeader } from "../shell/Shell";

export default function Setup() {
  return (
    <div className="page">
      <PageHeader title="Setup" subtitle="Coming up." />
    </div>
  );
}

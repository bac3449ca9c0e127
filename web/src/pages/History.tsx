import { PageHeader } from "../shell/Shell";

export default function History() {
  return (
    <div className="page">
      <PageHeader title="History" subtitle="Coming up." />
    </div>
  );
}

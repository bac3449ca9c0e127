import { PageHeader } from "../shell/Shell";

export default function Credits() {
  return (
    <div className="page">
      <PageHeader title="Credits" subtitle="Coming up." />
    </div>
  );
}

import { PageHeader } from "../shell/Shell";

export default function Gallery() {
  return (
    <div className="page">
      <PageHeader title="Gallery" subtitle="Coming up." />
    </div>
  );
}

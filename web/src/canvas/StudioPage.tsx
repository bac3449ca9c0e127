import { PageHeader } from "../shell/Shell";

export default function StudioPage() {
  return (
    <div className="page">
      <PageHeader title="Studio" subtitle="The canvas." />
    </div>
  );
}

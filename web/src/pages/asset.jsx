// One material: its preview, metadata and files; designers and reviewers
// get their panels (pages/designer_panel.jsx, pages/review_panel.jsx).
import { useEffect, useState } from 'preact/hooks';
import { get } from '../api.js';
import { register, t } from '../i18n.js';
import { ErrorBox, Spinner, StateBadge, useTitle } from '../components.jsx';
import { canUpload, isStaff } from '../session.js';
import { DesignerPanel } from './designer_panel.jsx';
import { ReviewPanel } from './review_panel.jsx';

register({
  vi: { 'asset.versions': 'Phiên bản' },
  en: { 'asset.versions': 'Versions' },
});

export function AssetPage({ params, user }) {
  const [asset, setAsset] = useState(null);
  const [versions, setVersions] = useState(null);
  const [error, setError] = useState(null);
  const load = async () => {
    setError(null);
    try {
      const [a, v] = await Promise.all([
        get(`/api/v1/assets/${params.id}`),
        get(`/api/v1/assets/${params.id}/versions`),
      ]);
      setAsset(a);
      setVersions(v.items);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    load();
  }, [params.id]);
  useTitle(asset?.title);
  if (error) return <ErrorBox error={error} onRetry={load} />;
  if (!asset || !versions) return <Spinner />;
  const shown = versions[versions.length - 1];
  return (
    <article class="stack">
      <h1>{asset.title}</h1>
      <p class="muted">
        {t(`kind.${asset.kind}`)} {shown && <StateBadge state={shown.state} />}
      </p>
      {canUpload(user) && <DesignerPanel asset={asset} versions={versions} user={user} reload={load} />}
      {isStaff(user) && <ReviewPanel asset={asset} versions={versions} user={user} reload={load} />}
    </article>
  );
}

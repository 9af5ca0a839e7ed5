// Tài liệu của tôi: the designer's own materials, newest first, with the
// review state of the newest version, the reviewer's reason when it was
// sent back, and how the previews are coming along (polled until done).
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, post, query } from '../api.js';
import { register, t } from '../i18n.js';
import { Link } from '../router.js';
import { formatDate, formatSize } from '../format.js';
import { useSignal } from '../state.js';
import { ErrorBox, Spinner, StateBadge, Thumb, useTitle } from '../components.jsx';
import { KINDS, problemText, uploads } from './upload.jsx';

register({
  vi: {
    'my.title': 'Tài liệu của tôi',
    'my.upload': 'Tải lên tài liệu mới',
    'my.kind': 'Loại',
    'my.state': 'Trạng thái',
    'my.count': '{n} tài liệu',
    'my.empty': 'Bạn chưa có tài liệu nào.',
    'my.emptyFilter': 'Không có tài liệu nào ở trạng thái này.',
    'my.version': 'Phiên bản {n}',
    'my.updated': 'cập nhật {date}',
    'my.reason': 'Lý do từ chối:',
    'my.submit': 'Gửi duyệt',
    'my.submitted': 'Đã gửi duyệt “{title}”.',
    'my.uploading': 'Đang tải lên {n} tệp',
    'my.uploading.item': '{name}: {pct} %',
    'my.uploading.open': 'Xem tiến độ',
    'my.proc.done': 'Đã tạo xong {n} bản xem trước.',
    'my.proc.busy': 'Đang tạo bản xem trước: {done}/{total} xong.',
    'my.proc.failed': 'Có bản xem trước không tạo được; quản trị viên có thể cho chạy lại.',
    'my.r.pending': 'đang chờ',
    'my.r.running': 'đang chạy',
    'my.r.done': 'xong',
    'my.r.failed': 'lỗi',
    'my.rendition.thumb': 'Ảnh thu nhỏ',
    'my.rendition.preview': 'Ảnh xem trước',
    'my.rendition.preview_jpeg': 'Ảnh xem trước JPEG',
    'my.rendition.web': 'Ảnh cho web',
    'my.rendition.video_720p': 'Video 720p',
    'my.rendition.audio_mp3': 'Âm thanh MP3',
    'my.rendition.audio_m4a': 'Âm thanh M4A',
    'my.rendition.poster': 'Ảnh đại diện video',
  },
  en: {
    'my.title': 'My materials',
    'my.upload': 'Upload new material',
    'my.kind': 'Kind',
    'my.state': 'State',
    'my.count': '{n} materials',
    'my.empty': 'You have no materials yet.',
    'my.emptyFilter': 'No material is in this state.',
    'my.version': 'Version {n}',
    'my.updated': 'updated {date}',
    'my.reason': 'Reason for rejection:',
    'my.submit': 'Submit for review',
    'my.submitted': '“{title}” submitted for review.',
    'my.uploading': 'Uploading {n} files',
    'my.uploading.item': '{name}: {pct} %',
    'my.uploading.open': 'See the progress',
    'my.proc.done': '{n} previews made.',
    'my.proc.busy': 'Making previews: {done} of {total} done.',
    'my.proc.failed': 'A preview could not be made; an administrator can run it again.',
    'my.r.pending': 'waiting',
    'my.r.running': 'running',
    'my.r.done': 'done',
    'my.r.failed': 'failed',
    'my.rendition.thumb': 'Thumbnail',
    'my.rendition.preview': 'Preview',
    'my.rendition.preview_jpeg': 'JPEG preview',
    'my.rendition.web': 'Web image',
    'my.rendition.video_720p': '720p video',
    'my.rendition.audio_mp3': 'MP3 audio',
    'my.rendition.audio_m4a': 'M4A audio',
    'my.rendition.poster': 'Video poster frame',
  },
});

const STATES = ['draft', 'in_review', 'rejected', 'approved', 'archived'];
const PAGE = 24;
const POLL_MS = 2000;

const renditionLabel = (name) => (t(`my.rendition.${name}`) === `my.rendition.${name}` ? name : t(`my.rendition.${name}`));
export const latestVersion = (asset) =>
  (asset?.versions || []).reduce((best, v) => (!best || v.number > best.number ? v : best), null);
const busy = (v) => (v?.renditions || []).some((r) => r.state === 'pending' || r.state === 'running');

// How the previews of a version are coming along.
export function Processing({ version }) {
  const rs = version?.renditions || [];
  if (!rs.length) return null;
  const done = rs.filter((r) => r.state === 'done').length;
  const failed = rs.some((r) => r.state === 'failed');
  if (done === rs.length) return <p class="my-proc my-proc-done">{t('my.proc.done', { n: rs.length })}</p>;
  return (
    <div class="my-proc">
      <p class={failed ? 'my-proc-failed' : ''}>
        {busy(version) ? t('my.proc.busy', { done, total: rs.length }) : t('my.proc.failed')}
      </p>
      <ul class="my-renditions">
        {rs.map((r) => (
          <li key={r.name} class={`my-r my-r-${r.state}`} title={r.error || undefined}>
            {renditionLabel(r.name)}: {t(`my.r.${r.state}`)}
          </li>
        ))}
      </ul>
    </div>
  );
}

function Item({ asset, onSubmitted }) {
  const v = latestVersion(asset);
  const [busyStep, setBusyStep] = useState(false);
  const [error, setError] = useState(null);
  const submit = async () => {
    setBusyStep(true);
    setError(null);
    try {
      await post(`/api/v1/assets/${asset.id}/versions/${v.number}/submit`, {});
      onSubmitted(asset);
    } catch (e) {
      setError(e);
    } finally {
      setBusyStep(false);
    }
  };
  const href = `/assets/${asset.id}`;
  return (
    <li class="my-item" data-asset={asset.id}>
      <Link href={href} class="my-thumb" tabIndex={-1} aria-hidden="true">
        {asset.versions ? <Thumb asset={asset} version={v} alt="" /> : <div class="thumb placeholder" />}
      </Link>
      <div class="my-body">
        <h2 class="my-item-title">
          <Link href={href}>{asset.title}</Link>
        </h2>
        <p class="muted my-meta">
          {t(`kind.${asset.kind}`)}
          {v && <> · {t('my.version', { n: v.number })} · {formatSize(v.size)}</>}
          {' · '}
          {t('my.updated', { date: formatDate(asset.updated_at) })}
        </p>
        {v ? (
          <>
            <p class="my-state">
              <StateBadge state={v.state} />
            </p>
            {v.state === 'rejected' && v.reviewed?.comment && (
              <p class="my-reason">
                <strong>{t('my.reason')}</strong> {v.reviewed.comment}
              </p>
            )}
            <Processing version={v} />
            {v.allowed_actions?.includes('submit') && (
              <button type="button" class="my-submit" disabled={busyStep} onClick={submit}>
                {t('my.submit')}
              </button>
            )}
            {error && <p class="error">{problemText(error)}</p>}
          </>
        ) : (
          <Spinner />
        )}
      </div>
    </li>
  );
}

export function MyMaterialsPage({ user }) {
  useTitle(t('my.title'));
  const [items, setItems] = useState(null);
  const [next, setNext] = useState(null);
  const [kind, setKind] = useState('');
  const [state, setState] = useState('');
  const [error, setError] = useState(null);
  const [loading, setLoading] = useState(false);
  const [notice, setNotice] = useState('');
  const seq = useRef(0);
  const queue = useSignal(uploads).filter((i) => i.target === 'new' && i.userId === user.id);
  const inFlight = queue.filter((i) => i.status !== 'done');
  const finishedCount = queue.filter((i) => i.status === 'done').length;

  // The versions (state, renditions) come from /versions: GET /assets/{id}
  // answers 304 to the browser's revalidation while renditions change (its
  // ETag is the asset's revision), so polling it would never see a preview.
  const detail = async (a) => {
    try {
      const v = await get(`/api/v1/assets/${a.id}/versions`);
      return { ...a, versions: v.items };
    } catch {
      return a;
    }
  };

  // The list has every asset the caller may see; a designer's own are
  // those they created. Pages are read until there is a screenful.
  const load = async (cursor) => {
    const mine = ++seq.current;
    setLoading(true);
    setError(null);
    try {
      const found = [];
      let c = cursor;
      let pages = 0;
      do {
        const r = await get(`/api/v1/assets${query({ kind, limit: 100, cursor: c })}`);
        found.push(...r.items.filter((a) => a.created_by === user.id));
        c = r.next_cursor;
        pages++;
      } while (c && found.length < PAGE && pages < 10);
      if (mine !== seq.current) return;
      setNext(c);
      setItems((prev) => (cursor ? [...(prev || []), ...found] : found));
      const full = await Promise.all(found.map(detail));
      if (mine !== seq.current) return;
      const byId = new Map(full.map((a) => [a.id, a]));
      setItems((prev) => (prev || []).map((a) => byId.get(a.id) || a));
    } catch (e) {
      if (mine === seq.current) setError(e);
    } finally {
      if (mine === seq.current) setLoading(false);
    }
  };

  useEffect(() => {
    load();
  }, [kind, finishedCount]);

  // Previews being made: ask again until they are done.
  const pending = (items || []).filter((a) => busy(latestVersion(a))).map((a) => a.id);
  const pendingKey = pending.join(',');
  useEffect(() => {
    if (!pending.length) return undefined;
    const id = setTimeout(async () => {
      const fresh = await Promise.all((items || []).filter((a) => pending.includes(a.id)).map(detail));
      const byId = new Map(fresh.map((a) => [a.id, a]));
      setItems((prev) => (prev || []).map((a) => byId.get(a.id) || a));
    }, POLL_MS);
    return () => clearTimeout(id);
  }, [pendingKey, items]);

  const counts = {};
  for (const a of items || []) {
    const v = latestVersion(a);
    if (v) counts[v.state] = (counts[v.state] || 0) + 1;
  }
  const shown = (items || []).filter((a) => !state || latestVersion(a)?.state === state);

  const submitted = async (asset) => {
    setNotice(t('my.submitted', { title: asset.title }));
    const fresh = await detail(asset);
    setItems((prev) => prev.map((a) => (a.id === fresh.id ? fresh : a)));
  };

  return (
    <section class="my-page">
      <div class="my-head">
        <h1>{t('my.title')}</h1>
        <Link href="/upload" class="my-new">{t('my.upload')}</Link>
      </div>
      {inFlight.length > 0 && (
        <div class="notice my-uploading">
          <p>
            <strong>{t('my.uploading', { n: inFlight.length })}</strong>{' '}
            <Link href="/upload">{t('my.uploading.open')}</Link>
          </p>
          <ul>
            {inFlight.map((i) => (
              <li key={i.key}>
                {t('my.uploading.item', { name: i.name, pct: i.total ? Math.floor((i.bytes * 100) / i.total) : 0 })}
              </li>
            ))}
          </ul>
        </div>
      )}
      <div class="my-filters">
        <label for="my-kind">
          {t('my.kind')}
          <select id="my-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
            <option value="">{t('common.all')}</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>{t(`kind.${k}`)}</option>
            ))}
          </select>
        </label>
        <fieldset class="facet my-states">
          <legend>{t('my.state')}</legend>
          <ul>
            {STATES.filter((s) => counts[s] || state === s).map((s) => (
              <li key={s}>
                <button
                  type="button"
                  class={state === s ? 'chip on' : 'chip'}
                  aria-pressed={state === s}
                  data-state={s}
                  onClick={() => setState(state === s ? '' : s)}
                >
                  {t(`state.${s}`)} <span class="count">{counts[s] || 0}</span>
                </button>
              </li>
            ))}
          </ul>
        </fieldset>
      </div>
      <p class="muted" aria-live="polite">{items && t('my.count', { n: shown.length })}</p>
      {notice && <p class="success" role="status">{notice}</p>}
      <ErrorBox error={error} onRetry={() => load()} />
      {items && !shown.length && !loading && <p>{state ? t('my.emptyFilter') : t('my.empty')}</p>}
      <ul class="my-list">
        {shown.map((a) => (
          <Item key={a.id} asset={a} onSubmitted={submitted} />
        ))}
      </ul>
      {loading && <Spinner />}
      {next && !loading && (
        <button type="button" onClick={() => load(next)}>
          {t('common.more')}
        </button>
      )}
    </section>
  );
}

// The designer's side of a material's page (its designer, and admins):
// where the newest version stands in review and why it was sent back,
// "Gửi duyệt", a corrected version with its progress bar, the details
// (saved with If-Match so nobody's edit is lost), and the conversation with
// the reviewers, version by version.
import { useEffect, useState } from 'preact/hooks';
import { get, patch, post } from '../api.js';
import { register, t } from '../i18n.js';
import { formatDate, formatDateTime, formatSize } from '../format.js';
import { useSignal } from '../state.js';
import { Spinner, StateBadge } from '../components.jsx';
import { DropZone, KINDS, Unfinished, UploadItem, addFiles, problemText, splitTags, uploads } from './upload.jsx';
import { Processing } from './my.jsx';

register({
  vi: {
    'designer.title': 'Quản lý tài liệu',
    'designer.review': 'Duyệt',
    'designer.version': 'Phiên bản {n}',
    'designer.file': '{name} · {size} · tải lên {date}',
    'designer.draft': 'Phiên bản này là bản nháp: người duyệt chưa thấy. Khi đã ưng ý, hãy gửi duyệt.',
    'designer.note': 'Lời nhắn cho người duyệt (không bắt buộc)',
    'designer.submit': 'Gửi duyệt',
    'designer.submitted': 'Đã gửi duyệt. Người duyệt sẽ phê duyệt hoặc gửi lại nhận xét.',
    'designer.inReview': 'Đã gửi duyệt lúc {time}. Đang chờ người duyệt.',
    'designer.rejected': 'Bị từ chối lúc {time}',
    'designer.reason': 'Nhận xét của người duyệt:',
    'designer.rejected.next': 'Sửa theo nhận xét rồi tải lên phiên bản mới bên dưới; hoặc chuyển phiên bản này về bản nháp để gửi duyệt lại.',
    'designer.revise': 'Chuyển về bản nháp',
    'designer.revised': 'Phiên bản đã về bản nháp.',
    'designer.approved': 'Đã phê duyệt lúc {time}.',
    'designer.window': 'Phát hành {from} {until}',
    'designer.window.from': 'từ {date}',
    'designer.window.until': 'đến hết {date}',
    'designer.archived': 'Phiên bản này đã lưu trữ.',
    'designer.newVersion': 'Tải lên phiên bản mới',
    'designer.newVersion.hint': 'Tệp mới thành phiên bản {n} (bản nháp) của tài liệu này; các phiên bản cũ vẫn được giữ.',
    'designer.pick': 'Chọn tệp cho phiên bản mới',
    'designer.details': 'Thông tin tài liệu',
    'designer.field.title': 'Tiêu đề',
    'designer.field.kind': 'Loại',
    'designer.field.campaign': 'Chiến dịch',
    'designer.field.tags': 'Thẻ (cách nhau bởi dấu phẩy)',
    'designer.field.description': 'Mô tả',
    'designer.save': 'Lưu thông tin',
    'designer.saved': 'Đã lưu thông tin.',
    'designer.conflict':
      'Người khác vừa sửa tài liệu này nên thay đổi của bạn chưa được lưu. Trang đã cập nhật bản mới nhất; các ô bạn sửa vẫn giữ nguyên — hãy kiểm tra rồi bấm “Lưu thông tin” lần nữa.',
    'designer.thread': 'Trao đổi với người duyệt',
    'designer.thread.version': 'Phiên bản',
    'designer.thread.option': 'Phiên bản {n} · {state}',
    'designer.thread.empty': 'Chưa có trao đổi nào về phiên bản này.',
    'designer.thread.you': 'Bạn',
    'designer.thread.reviewer': 'Người duyệt',
    'designer.thread.rejected': 'Lý do từ chối',
    'designer.thread.approved': 'Nhận xét khi phê duyệt',
    'designer.thread.archived': 'Ghi chú khi lưu trữ',
    'designer.comment': 'Viết nhận xét',
    'designer.send': 'Gửi nhận xét',
  },
  en: {
    'designer.title': 'Manage this material',
    'designer.review': 'Review',
    'designer.version': 'Version {n}',
    'designer.file': '{name} · {size} · uploaded {date}',
    'designer.draft': 'This version is a draft: reviewers do not see it yet. Submit it when it is ready.',
    'designer.note': 'A note for the reviewer (optional)',
    'designer.submit': 'Submit for review',
    'designer.submitted': 'Submitted. A reviewer will approve it or send comments back.',
    'designer.inReview': 'Submitted at {time}. Waiting for a reviewer.',
    'designer.rejected': 'Rejected at {time}',
    'designer.reason': 'The reviewer says:',
    'designer.rejected.next': 'Make the changes and upload a new version below, or turn this version back into a draft to submit it again.',
    'designer.revise': 'Back to draft',
    'designer.revised': 'The version is a draft again.',
    'designer.approved': 'Approved at {time}.',
    'designer.window': 'Published {from} {until}',
    'designer.window.from': 'from {date}',
    'designer.window.until': 'until the end of {date}',
    'designer.archived': 'This version is archived.',
    'designer.newVersion': 'Upload a new version',
    'designer.newVersion.hint': 'The file becomes version {n} (a draft) of this material; earlier versions are kept.',
    'designer.pick': 'Choose the file of the new version',
    'designer.details': 'Details',
    'designer.field.title': 'Title',
    'designer.field.kind': 'Kind',
    'designer.field.campaign': 'Campaign',
    'designer.field.tags': 'Tags (separated by commas)',
    'designer.field.description': 'Description',
    'designer.save': 'Save details',
    'designer.saved': 'Details saved.',
    'designer.conflict':
      'Someone else just changed this material, so your changes are not saved. The page now shows the latest details; the fields you edited keep your text: check them and press “Save details” again.',
    'designer.thread': 'Conversation with the reviewers',
    'designer.thread.version': 'Version',
    'designer.thread.option': 'Version {n} · {state}',
    'designer.thread.empty': 'Nothing has been said about this version yet.',
    'designer.thread.you': 'You',
    'designer.thread.reviewer': 'Reviewer',
    'designer.thread.rejected': 'Reason for rejection',
    'designer.thread.approved': 'Comment on approval',
    'designer.thread.archived': 'Note on archiving',
    'designer.comment': 'Write a comment',
    'designer.send': 'Send the comment',
  },
});

const REVIEW_POLL_MS = 15000;

const newest = (versions) => versions.reduce((best, v) => (!best || v.number > best.number ? v : best), null);

// Where the newest version stands, and the designer's next step.
function Workflow({ asset, version, reload }) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [done, setDone] = useState('');
  useEffect(() => setDone(''), [version.number]);
  const base = `/api/v1/assets/${asset.id}/versions/${version.number}`;
  const step = async (action) => {
    setBusy(true);
    setError(null);
    setDone('');
    try {
      const text = note.trim();
      await post(`${base}/${action}`, text ? { comment: text } : {});
      // The note also goes to the conversation, where reviewers read it.
      if (text) await post(`${base}/comments`, { text }).catch(() => {});
      setNote('');
      setDone(action === 'submit' ? t('designer.submitted') : t('designer.revised'));
      await reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const can = (a) => version.allowed_actions?.includes(a);
  const reviewed = version.reviewed;
  return (
    <section class="designer-section" aria-labelledby="designer-review-h">
      <h3 id="designer-review-h">{t('designer.review')}</h3>
      <p class="designer-version">
        <strong>{t('designer.version', { n: version.number })}</strong> <StateBadge state={version.state} />
      </p>
      <p class="muted">
        {t('designer.file', { name: version.file_name, size: formatSize(version.size), date: formatDate(version.created_at) })}
      </p>
      <Processing version={version} />
      {version.state === 'draft' && <p>{t('designer.draft')}</p>}
      {version.state === 'in_review' && <p>{t('designer.inReview', { time: formatDateTime(version.submitted?.at) })}</p>}
      {version.state === 'rejected' && (
        <div class="designer-rejected" role="region" aria-labelledby="designer-rejected-h">
          <h4 id="designer-rejected-h">{t('designer.rejected', { time: formatDateTime(reviewed?.at) })}</h4>
          {reviewed?.comment && (
            <>
              <p class="designer-reason-label">{t('designer.reason')}</p>
              <blockquote class="designer-quote">{reviewed.comment}</blockquote>
            </>
          )}
          <p>{t('designer.rejected.next')}</p>
        </div>
      )}
      {version.state === 'approved' && (
        <p>
          {t('designer.approved', { time: formatDateTime(reviewed?.at) })}{' '}
          {(version.valid_from || version.valid_until) &&
            t('designer.window', {
              from: version.valid_from ? t('designer.window.from', { date: formatDate(version.valid_from) }) : '',
              // valid_until is exclusive: the day before it is the last one.
              until: version.valid_until
                ? t('designer.window.until', { date: formatDate(new Date(new Date(version.valid_until).getTime() - 1).toISOString()) })
                : '',
            })}
        </p>
      )}
      {version.state === 'archived' && <p>{t('designer.archived')}</p>}
      {can('submit') && (
        <form
          class="designer-step"
          onSubmit={(e) => {
            e.preventDefault();
            step('submit');
          }}
        >
          <label for="designer-note">
            {t('designer.note')}
            <textarea id="designer-note" rows={2} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
          </label>
          <button type="submit" class="primary" disabled={busy}>
            {t('designer.submit')}
          </button>
        </form>
      )}
      {can('revise') && (
        <p>
          <button type="button" disabled={busy} onClick={() => step('revise')}>
            {t('designer.revise')}
          </button>
        </p>
      )}
      {done && <p class="success" role="status">{done}</p>}
      {error && <p class="error" role="alert">{problemText(error)}</p>}
    </section>
  );
}

function NewVersion({ asset, versions, user, reload }) {
  const queue = useSignal(uploads).filter((i) => i.target === asset.id && i.userId === user.id);
  const active = queue.some((i) => i.status !== 'done' && i.status !== 'error');
  // A finished upload is a new version: show it.
  const doneKeys = queue.filter((i) => i.status === 'done').map((i) => i.key).join(',');
  useEffect(() => {
    if (doneKeys) reload();
  }, [doneKeys]);
  const nextNumber = (newest(versions)?.number || 0) + 1;
  return (
    <section class="designer-section" aria-labelledby="designer-version-h">
      <h3 id="designer-version-h">{t('designer.newVersion')}</h3>
      <p class="muted">{t('designer.newVersion.hint', { n: nextNumber })}</p>
      <Unfinished user={user} target={asset.id} level={4} />
      <DropZone
        id="designer-file"
        label={t('designer.pick')}
        multiple={false}
        disabled={active}
        onFiles={(files) => addFiles(files.slice(0, 1), { user, target: asset.id })}
      />
      {queue.length > 0 && (
        <ul class="upload-list">
          {queue.map((i) => (
            <UploadItem key={i.key} item={i} withMeta={false} level={4} />
          ))}
        </ul>
      )}
    </section>
  );
}

const fromAsset = (a) => ({
  title: a.title || '',
  kind: a.kind || 'other',
  campaign: a.campaign || '',
  tags: (a.tags || []).join(', '),
  description: a.description || '',
});
const sameForm = (x, y) => Object.keys(x).every((k) => x[k] === y[k]);

function Details({ asset, reload }) {
  const [base, setBase] = useState(() => fromAsset(asset));
  const [form, setForm] = useState(() => fromAsset(asset));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [conflict, setConflict] = useState(false);
  const [saved, setSaved] = useState(false);
  // A new revision from the server: take its values, except in the fields
  // the designer has changed and not saved yet.
  useEffect(() => {
    const fresh = fromAsset(asset);
    setForm(Object.fromEntries(Object.keys(fresh).map((k) => [k, form[k] === base[k] ? fresh[k] : form[k]])));
    setBase(fresh);
  }, [asset.id, asset.revision]);

  const dirty = !sameForm(form, base);
  const set = (k) => (e) => {
    setForm({ ...form, [k]: e.currentTarget.value });
    setSaved(false);
  };
  const save = async (e) => {
    e.preventDefault();
    const changes = {};
    if (form.title.trim() !== base.title) changes.title = form.title.trim();
    if (form.kind !== base.kind) changes.kind = form.kind;
    if (form.campaign.trim() !== base.campaign) changes.campaign = form.campaign.trim();
    if (splitTags(form.tags).join(',') !== splitTags(base.tags).join(',')) changes.tags = splitTags(form.tags);
    if (form.description.trim() !== base.description) changes.description = form.description.trim();
    setError(null);
    setConflict(false);
    setSaved(false);
    if (!Object.keys(changes).length) {
      setForm(base);
      return;
    }
    setBusy(true);
    try {
      const a = await patch(`/api/v1/assets/${asset.id}`, changes, { headers: { 'If-Match': `"r${asset.revision}"` } });
      const fresh = fromAsset(a);
      setBase(fresh);
      setForm(fresh);
      setSaved(true);
      await reload();
    } catch (err) {
      if (err.status === 412) {
        await reload();
        setConflict(true);
      } else setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="designer-section" aria-labelledby="designer-details-h">
      <h3 id="designer-details-h">{t('designer.details')}</h3>
      <form class="designer-details" onSubmit={save}>
        <div class="upload-grid">
          <label for="designer-title">
            {t('designer.field.title')}
            <input id="designer-title" value={form.title} onInput={set('title')} required />
          </label>
          <label for="designer-kind">
            {t('designer.field.kind')}
            <select id="designer-kind" value={form.kind} onChange={set('kind')}>
              {KINDS.map((k) => (
                <option key={k} value={k}>{t(`kind.${k}`)}</option>
              ))}
            </select>
          </label>
          <label for="designer-campaign">
            {t('designer.field.campaign')}
            <input id="designer-campaign" value={form.campaign} onInput={set('campaign')} />
          </label>
          <label for="designer-tags">
            {t('designer.field.tags')}
            <input id="designer-tags" value={form.tags} onInput={set('tags')} />
          </label>
          <label for="designer-description" class="upload-wide">
            {t('designer.field.description')}
            <textarea id="designer-description" rows={3} value={form.description} onInput={set('description')} />
          </label>
        </div>
        <button type="submit" class="primary" disabled={busy || !dirty}>
          {t('designer.save')}
        </button>
        {saved && !dirty && <p class="success" role="status">{t('designer.saved')}</p>}
        {conflict && <p class="notice" role="alert">{t('designer.conflict')}</p>}
        {error && <p class="error" role="alert">{problemText(error)}</p>}
      </form>
    </section>
  );
}

function Thread({ asset, versions, user }) {
  const latest = newest(versions);
  const [chosen, setChosen] = useState(null); // null: the newest
  const version = versions.find((v) => v.number === chosen) || latest;
  const [items, setItems] = useState(null);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [names, setNames] = useState({});
  const path = `/api/v1/assets/${asset.id}/versions/${version.number}/comments`;
  // Comments carry user ids; the asset's history names the people.
  useEffect(() => {
    get(`/api/v1/assets/${asset.id}/history`)
      .then((h) => {
        const found = {};
        for (const e of h.items || []) if (e.actor && e.actor_name) found[e.actor] = e.actor_name;
        setNames(found);
      })
      .catch(() => {});
  }, [asset.id, version.number, version.state]);
  const load = async () => {
    setError(null);
    try {
      setItems((await get(path)).items);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    setItems(null);
    load();
  }, [path, version.state]);

  const send = async (e) => {
    e.preventDefault();
    if (!text.trim()) return;
    setBusy(true);
    setError(null);
    try {
      const c = await post(path, { text: text.trim() });
      setItems((prev) => [...(prev || []), c]);
      setText('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  // The reviewer's decision is part of the conversation.
  const entries = [...(items || [])];
  if (version.reviewed?.comment && ['rejected', 'approved', 'archived'].includes(version.state)) {
    entries.push({ id: 'decision', author: version.reviewed.by, text: version.reviewed.comment, at: version.reviewed.at, decision: version.state });
  }
  entries.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));

  return (
    <section class="designer-section" aria-labelledby="designer-thread-h">
      <h3 id="designer-thread-h">{t('designer.thread')}</h3>
      {versions.length > 1 && (
        <div class="designer-inline">
          <label for="designer-thread-version">{t('designer.thread.version')}</label>
          <select
            id="designer-thread-version"
            value={version.number}
            onChange={(e) => setChosen(Number(e.currentTarget.value))}
          >
            {[...versions].sort((a, b) => b.number - a.number).map((v) => (
              <option key={v.number} value={v.number}>
                {t('designer.thread.option', { n: v.number, state: t(`state.${v.state}`) })}
              </option>
            ))}
          </select>
        </div>
      )}
      {items === null && !error && <Spinner />}
      {items !== null && !entries.length && <p class="muted">{t('designer.thread.empty')}</p>}
      {entries.length > 0 && (
        <ol class="designer-thread">
          {entries.map((c) => (
            <li key={c.id} class={c.decision ? `designer-decision designer-decision-${c.decision}` : ''}>
              <p class="designer-who">
                <strong>{c.author === user.id ? t('designer.thread.you') : names[c.author] || t('designer.thread.reviewer')}</strong>
                {' · '}
                <time dateTime={c.at}>{formatDateTime(c.at)}</time>
                {c.decision && <> · <span class="designer-tag">{t(`designer.thread.${c.decision}`)}</span></>}
              </p>
              <p class="designer-text">{c.text}</p>
            </li>
          ))}
        </ol>
      )}
      <form class="designer-comment" onSubmit={send}>
        <label for="designer-comment-text">
          {t('designer.comment')}
          <textarea id="designer-comment-text" rows={3} value={text} onInput={(e) => setText(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={busy || !text.trim()}>
          {t('designer.send')}
        </button>
      </form>
      {error && <p class="error" role="alert">{problemText(error)}</p>}
    </section>
  );
}

function Panel({ asset, versions, user, reload }) {
  const latest = newest(versions);
  // While a reviewer has it, look for their decision now and then.
  useEffect(() => {
    if (latest?.state !== 'in_review') return undefined;
    const id = setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, REVIEW_POLL_MS);
    return () => clearInterval(id);
  }, [latest?.number, latest?.state]);
  return (
    <section class="designer-panel card" aria-labelledby="designer-h">
      <h2 id="designer-h">{t('designer.title')}</h2>
      {latest && <Workflow asset={asset} version={latest} reload={reload} />}
      <NewVersion asset={asset} versions={versions} user={user} reload={reload} />
      <Details asset={asset} reload={reload} />
      {latest && <Thread asset={asset} versions={versions} user={user} />}
    </section>
  );
}

export function DesignerPanel({ asset, versions, user, reload }) {
  // Designers manage their own materials; admins manage every one.
  if (!asset || !user || (user.role !== 'admin' && asset.created_by !== user.id)) return null;
  if (asset.deleted_at) return null;
  return <Panel asset={asset} versions={versions || []} user={user} reload={reload} />;
}

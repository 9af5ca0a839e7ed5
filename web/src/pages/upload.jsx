// Tải lên: a designer drops several files (or picks them with the keyboard),
// each uploads with tus in chunks with its own progress bar, and its
// metadata can be filled in before or while it uploads. Closing the tab or
// losing the network does not lose the work: choosing the same file again
// resumes where the server stopped, and a lost network resumes on its own.
//
// The queue lives in this module, not in the page, so uploads go on while
// the designer looks at other pages; the designer panel of the asset page
// uses the same queue (target: the asset's id) for new versions.
import { useEffect, useState } from 'preact/hooks';
import { del, get, patch } from '../api.js';
import { register, t } from '../i18n.js';
import { Link } from '../router.js';
import { formatDateTime, formatSize } from '../format.js';
import { signal, useSignal } from '../state.js';
import { useTitle } from '../components.jsx';

register({
  vi: {
    'upload.title': 'Tải lên tài liệu truyền thông',
    'upload.intro':
      'Kéo thả một hoặc nhiều tệp (ảnh, PDF, video, âm thanh). Tệp được tải lên từng phần: nếu mất mạng, việc tải lên tự tiếp tục khi có mạng trở lại; nếu lỡ đóng trang, hãy chọn lại đúng tệp đó để tiếp tục từ chỗ đã dừng.',
    'upload.defaults': 'Thông tin chung cho các tệp sắp thêm',
    'upload.defaults.hint': 'Có thể sửa riêng cho từng tệp ở bên dưới, cả trong khi tệp đang tải lên.',
    'upload.drop': 'Kéo và thả tệp vào đây',
    'upload.drop.or': 'hoặc',
    'upload.pick': 'Chọn tệp',
    'upload.queue': 'Tệp đang tải lên',
    'upload.progress': 'Tiến độ tải lên {name}',
    'upload.field.title': 'Tiêu đề',
    'upload.field.kind': 'Loại',
    'upload.field.kind.auto': 'Tự nhận diện theo tệp',
    'upload.field.campaign': 'Chiến dịch',
    'upload.field.tags': 'Thẻ (cách nhau bởi dấu phẩy)',
    'upload.field.description': 'Mô tả',
    'upload.meta': 'Thông tin tài liệu',
    'upload.status.starting': 'Đang chuẩn bị…',
    'upload.status.uploading': 'Đang tải lên…',
    'upload.status.resuming': 'Đang tải lên, tiếp tục từ {size} đã có trên máy chủ…',
    'upload.status.paused': 'Đã tạm dừng.',
    'upload.status.offline': 'Mất kết nối mạng: sẽ tự tiếp tục khi có mạng trở lại.',
    'upload.status.error': 'Tải lên bị gián đoạn.',
    'upload.status.done': 'Đã tải lên.',
    'upload.status.doneVersion': 'Đã tải lên phiên bản {n}.',
    'upload.sizes': '{done} / {total}',
    'upload.pause': 'Tạm dừng',
    'upload.resume': 'Tiếp tục',
    'upload.retry': 'Thử lại',
    'upload.cancel': 'Huỷ tải lên',
    'upload.dismiss': 'Ẩn khỏi danh sách',
    'upload.open': 'Mở tài liệu “{title}”',
    'upload.save': 'Lưu thông tin',
    'upload.saving': 'Đang lưu thông tin…',
    'upload.saved': 'Đã lưu thông tin.',
    'upload.saveFailed': 'Chưa lưu được thông tin: {reason}',
    'upload.titleRequired': 'Cần có tiêu đề.',
    'upload.mine': 'Xem trong “Tài liệu của tôi”',
    'upload.unfinished': 'Tệp chưa tải xong',
    'upload.unfinished.hint': 'Chọn lại hoặc kéo thả đúng tệp đó để tiếp tục từ chỗ đã dừng, không phải tải lại từ đầu.',
    'upload.unfinished.item': '{name} · đã tải {done} / {total} · bắt đầu lúc {time}',
    'upload.unfinished.discard': 'Bỏ tệp {name}',
    'upload.err.unsupported_media_type': 'Loại tệp này không được nhận. Kho nhận ảnh, PDF, video và âm thanh.',
    'upload.err.payload_too_large': 'Tệp quá lớn so với giới hạn của kho.',
    'upload.err.too_many_requests': 'Bạn có quá nhiều lượt tải lên chưa xong; hãy hoàn tất hoặc bỏ bớt rồi thử lại.',
    'upload.err.insufficient_storage': 'Máy chủ đã hết chỗ lưu trữ; hãy báo quản trị viên.',
    'upload.err.gone': 'Phiên tải lên đã hết hạn; hãy thử lại để tải từ đầu.',
    'upload.err.not_found': 'Không tìm thấy tài liệu hoặc phiên tải lên.',
    'upload.err.forbidden': 'Bạn không có quyền tải lên vào đây.',
    'upload.err.precondition_failed': 'Người khác vừa sửa tài liệu này; hãy kiểm tra rồi lưu lại.',
    'upload.err.network': 'Không kết nối được máy chủ. Bấm “Thử lại” để tiếp tục từ chỗ đã dừng.',
  },
  en: {
    'upload.title': 'Upload communication materials',
    'upload.intro':
      'Drag and drop one or more files (images, PDF, video, audio). Files upload in parts: if the network drops, the upload continues by itself when it is back; if you close the page, choose the same file again to continue where it stopped.',
    'upload.defaults': 'Details for the files you add next',
    'upload.defaults.hint': 'You can change them for each file below, even while it uploads.',
    'upload.drop': 'Drag and drop files here',
    'upload.drop.or': 'or',
    'upload.pick': 'Choose files',
    'upload.queue': 'Uploads',
    'upload.progress': 'Upload progress of {name}',
    'upload.field.title': 'Title',
    'upload.field.kind': 'Kind',
    'upload.field.kind.auto': 'Detect from the file',
    'upload.field.campaign': 'Campaign',
    'upload.field.tags': 'Tags (separated by commas)',
    'upload.field.description': 'Description',
    'upload.meta': 'Details of the material',
    'upload.status.starting': 'Preparing…',
    'upload.status.uploading': 'Uploading…',
    'upload.status.resuming': 'Uploading, continuing from the {size} already on the server…',
    'upload.status.paused': 'Paused.',
    'upload.status.offline': 'The network is down: the upload continues by itself when it is back.',
    'upload.status.error': 'The upload was interrupted.',
    'upload.status.done': 'Uploaded.',
    'upload.status.doneVersion': 'Version {n} uploaded.',
    'upload.sizes': '{done} / {total}',
    'upload.pause': 'Pause',
    'upload.resume': 'Resume',
    'upload.retry': 'Try again',
    'upload.cancel': 'Cancel upload',
    'upload.dismiss': 'Remove from the list',
    'upload.open': 'Open “{title}”',
    'upload.save': 'Save details',
    'upload.saving': 'Saving details…',
    'upload.saved': 'Details saved.',
    'upload.saveFailed': 'The details are not saved yet: {reason}',
    'upload.titleRequired': 'A title is required.',
    'upload.mine': 'See them in “My materials”',
    'upload.unfinished': 'Unfinished uploads',
    'upload.unfinished.hint': 'Choose or drop the same file again to continue where it stopped instead of starting over.',
    'upload.unfinished.item': '{name} · {done} of {total} uploaded · started {time}',
    'upload.unfinished.discard': 'Discard {name}',
    'upload.err.unsupported_media_type': 'This type of file is not accepted. kho takes images, PDF, video and audio.',
    'upload.err.payload_too_large': 'The file is larger than kho accepts.',
    'upload.err.too_many_requests': 'You have too many unfinished uploads; finish or discard some, then try again.',
    'upload.err.insufficient_storage': 'The server is out of storage; tell an administrator.',
    'upload.err.gone': 'The upload expired; try again to start it over.',
    'upload.err.not_found': 'The material or the upload does not exist.',
    'upload.err.forbidden': 'You may not upload here.',
    'upload.err.precondition_failed': 'Someone else just changed this material; check it and save again.',
    'upload.err.network': 'The server cannot be reached. Press “Try again” to continue where it stopped.',
  },
});

export const KINDS = ['poster', 'infographic', 'video', 'podcast', 'document', 'other'];
// 2 MiB per PATCH: few requests for big videos, little lost when one breaks.
export const CHUNK_SIZE = 2 * 1024 * 1024;
const ENDPOINT = '/api/v1/uploads';
const META_KEY = 'kho.upload.meta::'; // + upload URL: details edited during an upload

// The queue: one item per file, the tus.Upload objects beside it.
export const uploads = signal([]);
const running = new Map();
let nextKey = 1;

const find = (key) => uploads.value.find((i) => i.key === key);
function update(key, changes) {
  uploads.value = uploads.value.map((i) => (i.key === key ? { ...i, ...changes } : i));
}

export const baseName = (name) => name.replace(/\.[^./\\]+$/, '') || name;
export const splitTags = (s) => (s || '').split(',').map((x) => x.trim()).filter(Boolean);

// A human sentence for an ApiError or a tus error's problem.
export function problemText(e) {
  if (!e) return '';
  if (e.code && t(`upload.err.${e.code}`) !== `upload.err.${e.code}`) return t(`upload.err.${e.code}`);
  if (!e.status) return t('upload.err.network');
  return e.detail || e.message || t('common.error');
}

const fingerprint = (userId, target, f) => ['kho', userId, target, f.name, f.type, f.size, f.lastModified].join('|');
const prefixOf = (userId, target) => `tus::kho|${userId}|${target}|`;

function tusMetadata(item) {
  const m = { filename: item.name };
  if (item.target !== 'new') {
    m.asset_id = item.target;
    return m;
  }
  const { title, kind, campaign, tags, description } = item.meta;
  if (title.trim()) m.title = title.trim();
  if (kind) m.kind = kind;
  if (campaign.trim()) m.campaign = campaign.trim();
  if (splitTags(tags).length) m.tags = splitTags(tags).join(',');
  if (description.trim()) m.description = description.trim();
  return m;
}

function metaFromTus(m = {}) {
  return {
    title: m.title || baseName(m.filename || ''),
    kind: m.kind || '',
    campaign: m.campaign || '',
    tags: splitTags(m.tags).join(', '),
    description: m.description || '',
  };
}

// The fields that differ between the form and what the server holds.
function changedFields(meta, sent) {
  const held = metaFromTus(sent);
  const out = {};
  if (meta.title.trim() && meta.title.trim() !== held.title) out.title = meta.title.trim();
  if (meta.kind && meta.kind !== held.kind) out.kind = meta.kind;
  if (meta.campaign.trim() !== held.campaign) out.campaign = meta.campaign.trim();
  if (splitTags(meta.tags).join(',') !== splitTags(held.tags).join(',')) out.tags = splitTags(meta.tags);
  if (meta.description.trim() !== held.description) out.description = meta.description.trim();
  return out;
}

function storage() {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

function rememberMeta(key) {
  const item = find(key);
  const url = running.get(key)?.url;
  const ls = storage();
  if (!item || !url || !ls || item.target !== 'new' || item.status === 'done') return;
  ls.setItem(META_KEY + url, JSON.stringify(item.meta));
}

function recalledMeta(url) {
  try {
    const v = storage()?.getItem(META_KEY + url);
    return v ? JSON.parse(v) : null;
  } catch {
    return null;
  }
}

function forget(url) {
  if (url) storage()?.removeItem(META_KEY + url);
}

// The stored, unfinished uploads of this user to this target.
export function storedUploads(userId, target) {
  const ls = storage();
  if (!ls) return [];
  const prefix = prefixOf(userId, target);
  const out = [];
  for (let i = 0; i < ls.length; i++) {
    const k = ls.key(i);
    if (!k || !k.startsWith(prefix)) continue;
    try {
      out.push({ ...JSON.parse(ls.getItem(k)), storageKey: k });
    } catch {}
  }
  return out.sort((a, b) => new Date(b.creationTime) - new Date(a.creationTime));
}

function dropStored(userId, target, file) {
  const ls = storage();
  if (!ls) return;
  const prefix = `tus::${fingerprint(userId, target, file)}::`;
  for (let i = ls.length - 1; i >= 0; i--) {
    const k = ls.key(i);
    if (k && k.startsWith(prefix)) ls.removeItem(k);
  }
}

function tusProblem(err) {
  const res = err?.originalResponse;
  const status = res ? res.getStatus() : 0;
  let body = null;
  try {
    body = JSON.parse(res.getBody());
  } catch {}
  return { status, code: body?.code, detail: body?.detail };
}

// tus-js-client is loaded on first use: once the build splits code, pages
// that never upload do not carry it.
let tusModule = null;
const loadTus = () => (tusModule ||= import('tus-js-client'));

async function begin(key, file) {
  let tus;
  try {
    tus = await loadTus();
  } catch {
    tusModule = null; // offline before the first upload: load it again on retry
    if (find(key)) update(key, { status: navigator.onLine === false ? 'offline' : 'error', error: { status: 0 } });
    return;
  }
  const item = find(key);
  if (!item) return; // cancelled meanwhile
  const meta = tusMetadata(item);
  const up = new tus.Upload(file, {
    endpoint: ENDPOINT,
    chunkSize: CHUNK_SIZE,
    retryDelays: [0, 1000, 3000, 5000, 10000],
    storeFingerprintForResuming: true,
    removeFingerprintOnSuccess: true,
    fingerprint: (f) => Promise.resolve(fingerprint(item.userId, item.target, f)),
    metadata: meta,
    // Retry what may pass later; not while offline (the online event resumes).
    onShouldRetry: (err) => {
      const s = tusProblem(err).status;
      return navigator.onLine !== false && (s === 0 || s === 409 || s === 423 || s === 500 || s === 502 || s === 503 || s === 504);
    },
    onAfterResponse: (req, res) => {
      if (req.getMethod() === 'HEAD' && res.getStatus() === 200) {
        const offset = Number(res.getHeader('Upload-Offset')) || 0;
        const current = find(key);
        if (current && ['starting', 'uploading'].includes(current.status)) {
          update(key, { resumedFrom: offset, bytes: offset, status: 'uploading' });
        }
      } else if (req.getMethod() === 'POST' && res.getStatus() === 201) {
        update(key, { sent: meta, resumedFrom: 0 }); // a fresh upload with today's details
      }
    },
    onUploadUrlAvailable: () => rememberMeta(key),
    onProgress: (bytes, total) => {
      const current = find(key);
      if (current && ['starting', 'uploading'].includes(current.status)) update(key, { bytes, total, status: 'uploading' });
    },
    onSuccess: (payload) => finished(key, up, payload?.lastResponse),
    onError: (err) => {
      const p = tusProblem(err);
      if (!p.status && navigator.onLine === false) {
        update(key, { status: 'offline' });
        return;
      }
      // The server refused the file for good: do not offer to resume it.
      if (p.status >= 400 && p.status < 500 && ![409, 423].includes(p.status)) {
        dropStored(item.userId, item.target, file);
        forget(up.url);
      }
      update(key, { status: 'error', error: p });
    },
  });
  running.set(key, up);
  let sent = meta;
  try {
    const previous = await up.findPreviousUploads();
    if (previous.length) {
      previous.sort((a, b) => new Date(b.creationTime) - new Date(a.creationTime));
      up.resumeFromPreviousUpload(previous[0]);
      sent = previous[0].metadata || meta;
      const changes = { sent, resumed: true };
      // The details chosen before the interruption, edits included.
      if (item.target === 'new') changes.meta = recalledMeta(previous[0].uploadUrl) || metaFromTus(sent);
      update(key, changes);
    } else update(key, { sent });
  } catch {
    update(key, { sent });
  }
  if (find(key)?.status !== 'starting') return; // cancelled meanwhile
  up.start();
}

async function finished(key, up, res) {
  let assetId = res?.getHeader('Kho-Asset-Id') || null;
  let version = null;
  try {
    const s = await get(up.url);
    assetId = s.asset_id || assetId;
    version = s.version;
  } catch {}
  const item = find(key);
  if (!item) return;
  forget(up.url);
  running.delete(key);
  update(key, { status: 'done', bytes: item.total, assetId, version: version ?? (item.target === 'new' ? 1 : null) });
  // Details edited while the bytes were on their way.
  if (item.target === 'new') await saveDetails(key);
}

// PATCHes the asset with what the designer changed since the upload began.
export async function saveDetails(key) {
  const item = find(key);
  if (!item || !item.assetId) return;
  const meta = item.meta;
  const changes = changedFields(meta, item.sent);
  if (!meta.title.trim()) {
    update(key, { save: 'error', saveError: { detail: t('upload.titleRequired'), status: 400 } });
    return;
  }
  if (!Object.keys(changes).length) return;
  update(key, { save: 'saving', saveError: null });
  try {
    const a = await get(`/api/v1/assets/${item.assetId}`);
    const saved = await patch(`/api/v1/assets/${item.assetId}`, changes, { headers: { 'If-Match': `"r${a.revision}"` } });
    update(key, {
      save: 'saved',
      title: saved.title,
      sent: { filename: item.name, title: saved.title, kind: saved.kind, campaign: saved.campaign, tags: (saved.tags || []).join(','), description: saved.description },
    });
  } catch (e) {
    update(key, { save: 'error', saveError: e });
  }
}

export function addFiles(files, { user, target = 'new', defaults = {} }) {
  for (const file of Array.from(files)) {
    const same = uploads.value.find(
      (i) => i.target === target && i.file === file,
    ) || uploads.value.find(
      (i) => i.target === target && i.name === file.name && i.size === file.size && i.lastModified === file.lastModified,
    );
    if (same && ['starting', 'uploading', 'paused', 'offline'].includes(same.status)) continue; // already on its way
    if (same) uploads.value = uploads.value.filter((i) => i !== same);
    const key = `u${nextKey++}`;
    const item = {
      key,
      file,
      name: file.name,
      size: file.size,
      lastModified: file.lastModified,
      target,
      userId: user.id,
      meta: {
        title: baseName(file.name),
        kind: defaults.kind || '',
        campaign: defaults.campaign || '',
        tags: defaults.tags || '',
        description: defaults.description || '',
      },
      sent: null,
      status: 'starting',
      bytes: 0,
      total: file.size,
      resumedFrom: 0,
      error: null,
      assetId: null,
      version: null,
      save: null,
      saveError: null,
    };
    uploads.value = [...uploads.value, item];
    begin(key, file);
  }
}

export function editMeta(key, field, value) {
  const item = find(key);
  if (!item) return;
  update(key, { meta: { ...item.meta, [field]: value }, save: item.save === 'saved' ? null : item.save });
  rememberMeta(key);
}

function resume(key) {
  const up = running.get(key);
  const item = find(key);
  if (!item) return;
  if (!up) {
    update(key, { status: 'starting', error: null });
    begin(key, item.file);
    return;
  }
  update(key, { status: 'uploading', error: null });
  up.start();
}

function pause(key) {
  running.get(key)?.abort();
  update(key, { status: 'paused' });
}

async function cancel(key) {
  const up = running.get(key);
  const item = find(key);
  uploads.value = uploads.value.filter((i) => i.key !== key);
  running.delete(key);
  if (!up) return;
  forget(up.url);
  try {
    await up.abort(true); // DELETE on the server, and forget the fingerprint
  } catch {
    if (item) dropStored(item.userId, item.target, item.file);
  }
}

function dismiss(key) {
  running.delete(key);
  uploads.value = uploads.value.filter((i) => i.key !== key);
}

if (typeof window !== 'undefined') {
  // The network is back: every upload that lost it continues.
  window.addEventListener('online', () => {
    for (const i of uploads.value) if (i.status === 'offline') resume(i.key);
  });
  // Leaving kho while bytes are on their way asks first.
  window.addEventListener('beforeunload', (e) => {
    if (uploads.value.some((i) => i.status === 'starting' || i.status === 'uploading')) {
      e.preventDefault();
      e.returnValue = '';
    }
  });
}

// A drop zone with a keyboard-accessible file input beside it.
export function DropZone({ id, label, multiple = true, onFiles, disabled }) {
  const [over, setOver] = useState(false);
  const hasFiles = (e) => Array.from(e.dataTransfer?.types || []).includes('Files');
  return (
    <div
      class={`upload-drop${over ? ' over' : ''}`}
      data-dropzone={id}
      onDragEnter={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        setOver(true);
      }}
      onDragOver={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        setOver(true);
      }}
      onDragLeave={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget)) setOver(false);
      }}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        const files = Array.from(e.dataTransfer?.files || []);
        if (files.length && !disabled) onFiles(multiple ? files : files.slice(0, 1));
      }}
    >
      <p class="upload-drop-text" aria-hidden="true">{t('upload.drop')}</p>
      <p class="upload-drop-or muted" aria-hidden="true">{t('upload.drop.or')}</p>
      <input
        id={id}
        class="upload-input visually-hidden"
        type="file"
        multiple={multiple}
        disabled={disabled}
        onChange={(e) => {
          const files = Array.from(e.currentTarget.files || []);
          e.currentTarget.value = '';
          if (files.length) onFiles(files);
        }}
      />
      <label for={id} class="upload-pick">{label}</label>
    </div>
  );
}

function KindSelect({ id, value, onChange }) {
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
      <option value="">{t('upload.field.kind.auto')}</option>
      {KINDS.map((k) => (
        <option key={k} value={k}>{t(`kind.${k}`)}</option>
      ))}
    </select>
  );
}

// Worth another try: the network, the server's load, a race; not a refusal.
const retryable = (e) => !e?.status || e.status >= 500 || [409, 423, 429].includes(e.status);

function statusText(item) {
  switch (item.status) {
    case 'starting':
      return t('upload.status.starting');
    case 'uploading':
      return item.resumedFrom > 0 ? t('upload.status.resuming', { size: formatSize(item.resumedFrom) }) : t('upload.status.uploading');
    case 'paused':
      return t('upload.status.paused');
    case 'offline':
      return t('upload.status.offline');
    case 'error':
      return `${t('upload.status.error')} ${problemText(item.error)}`;
    case 'done':
      return item.target === 'new' || !item.version ? t('upload.status.done') : t('upload.status.doneVersion', { n: item.version });
    default:
      return '';
  }
}

// One file of the queue: progress, state, actions and (for new
// materials) its details.
export function UploadItem({ item, withMeta = true, level = 3 }) {
  const id = `upload-${item.key}`;
  const Heading = `h${level}`;
  const pct = item.status === 'done' ? 100 : item.total ? Math.floor((item.bytes * 100) / item.total) : 0;
  const dirty = item.status === 'done' && item.sent && Object.keys(changedFields(item.meta, item.sent)).length > 0;
  const field = (name, label, input) => (
    <label for={`${id}-${name}`} class={name === 'description' ? 'upload-wide' : ''}>
      {label}
      {input}
    </label>
  );
  const text = (name) => ({
    id: `${id}-${name}`,
    value: item.meta[name],
    onInput: (e) => editMeta(item.key, name, e.currentTarget.value),
  });
  return (
    <li class={`upload-item upload-${item.status}`}>
      <article class="card" aria-labelledby={`${id}-name`}>
        <header class="upload-item-head">
          <Heading id={`${id}-name`} class="upload-file">{item.name}</Heading>
          <span class="muted">{formatSize(item.size)}</span>
        </header>
        <div class="upload-bar">
          <progress max={100} value={pct} aria-label={t('upload.progress', { name: item.name })} />
          <span class="upload-pct">{pct} %</span>
        </div>
        <p class="upload-sizes muted">
          {t('upload.sizes', { done: formatSize(Math.min(item.bytes, item.total)), total: formatSize(item.total) })}
        </p>
        <p class={`upload-status${item.status === 'error' ? ' upload-status-error' : ''}`} role="status">
          {statusText(item)}
        </p>
        {withMeta && item.target === 'new' && (
          <form
            class="upload-meta"
            onSubmit={(e) => {
              e.preventDefault();
              if (item.status === 'done') saveDetails(item.key);
            }}
          >
            <fieldset>
              <legend class="visually-hidden">{t('upload.meta')}</legend>
              <div class="upload-grid">
                {field('title', t('upload.field.title'), <input {...text('title')} required />)}
                {field('kind', t('upload.field.kind'), (
                  <KindSelect id={`${id}-kind`} value={item.meta.kind} onChange={(v) => editMeta(item.key, 'kind', v)} />
                ))}
                {field('campaign', t('upload.field.campaign'), <input {...text('campaign')} list="upload-campaigns" />)}
                {field('tags', t('upload.field.tags'), <input {...text('tags')} />)}
                {field('description', t('upload.field.description'), <textarea {...text('description')} rows={2} />)}
              </div>
            </fieldset>
            {dirty && item.save !== 'saving' && (
              <button type="submit">{t('upload.save')}</button>
            )}
            <p class="upload-save" role="status">
              {item.save === 'saving' && t('upload.saving')}
              {item.save === 'saved' && !dirty && t('upload.saved')}
            </p>
            {item.save === 'error' && (
              <p class="error">{t('upload.saveFailed', { reason: problemText(item.saveError) })}</p>
            )}
          </form>
        )}
        <div class="upload-actions">
          {item.status === 'done' && item.assetId && item.target === 'new' && (
            <Link href={`/assets/${item.assetId}`} class="upload-open">
              {t('upload.open', { title: item.title || item.meta.title || item.name })}
            </Link>
          )}
          {item.status === 'uploading' && (
            <button type="button" onClick={() => pause(item.key)}>{t('upload.pause')}</button>
          )}
          {item.status === 'paused' && (
            <button type="button" class="primary" onClick={() => resume(item.key)}>{t('upload.resume')}</button>
          )}
          {(item.status === 'offline' || (item.status === 'error' && retryable(item.error))) && (
            <button type="button" class="primary" onClick={() => resume(item.key)}>{t('upload.retry')}</button>
          )}
          {item.status !== 'done' && (
            <button type="button" onClick={() => cancel(item.key)}>{t('upload.cancel')}</button>
          )}
          {item.status === 'done' && (
            <button type="button" class="link" onClick={() => dismiss(item.key)}>{t('upload.dismiss')}</button>
          )}
        </div>
      </article>
    </li>
  );
}

function when(text) {
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? '' : formatDateTime(d.toISOString());
}

// Uploads a closed tab left unfinished: how far they got, and a way to
// discard them.
export function Unfinished({ user, target, level = 2 }) {
  const Heading = `h${level}`;
  const queue = useSignal(uploads);
  const [progress, setProgress] = useState({});
  const [, setTick] = useState(0);
  const active = new Set([...running.values()].map((u) => u.url).filter(Boolean));
  const entries = storedUploads(user.id, target).filter((e) => e.uploadUrl && !active.has(e.uploadUrl));
  const urls = entries.map((e) => e.uploadUrl).join(' ');
  useEffect(() => {
    let live = true;
    for (const e of entries) {
      if (progress[e.uploadUrl]) continue;
      get(e.uploadUrl)
        .then((s) => live && setProgress((p) => ({ ...p, [e.uploadUrl]: s })))
        .catch((err) => {
          // Expired or unknown on the server: nothing left to resume.
          if (live && (err.status === 404 || err.status === 410)) {
            storage()?.removeItem(e.storageKey);
            forget(e.uploadUrl);
            setTick((n) => n + 1);
          }
        });
    }
    return () => {
      live = false;
    };
  }, [urls, queue.length]);
  if (!entries.length) return null;
  const discard = async (e) => {
    try {
      await del(e.uploadUrl, { headers: { 'Tus-Resumable': '1.0.0' } });
    } catch {}
    storage()?.removeItem(e.storageKey);
    forget(e.uploadUrl);
    setTick((n) => n + 1);
  };
  return (
    <section class="notice upload-unfinished" aria-labelledby={`unfinished-${target}`}>
      <Heading id={`unfinished-${target}`} class="upload-unfinished-title">{t('upload.unfinished')}</Heading>
      <p>{t('upload.unfinished.hint')}</p>
      <ul>
        {entries.map((e) => {
          const name = e.metadata?.filename || '';
          const s = progress[e.uploadUrl];
          return (
            <li key={e.storageKey}>
              {t('upload.unfinished.item', {
                name,
                done: formatSize(s ? s.offset : 0),
                total: formatSize(e.size),
                time: when(e.creationTime),
              })}{' '}
              <button type="button" class="link" onClick={() => discard(e)}>
                {t('upload.unfinished.discard', { name })}
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

export function UploadPage({ user }) {
  useTitle(t('upload.title'));
  const queue = useSignal(uploads).filter((i) => i.target === 'new' && i.userId === user.id);
  const [defaults, setDefaults] = useState({ kind: '', campaign: '', tags: '', description: '' });
  const [campaigns, setCampaigns] = useState([]);

  // Campaigns already in the library, as suggestions.
  useEffect(() => {
    get('/api/v1/catalog?limit=1')
      .then((r) => setCampaigns((r.facets?.campaign || []).map((f) => f.value)))
      .catch(() => {});
  }, []);

  // A file dropped beside the zone must not replace kho with the file.
  useEffect(() => {
    const stop = (e) => {
      if (Array.from(e.dataTransfer?.types || []).includes('Files')) e.preventDefault();
    };
    window.addEventListener('dragover', stop);
    window.addEventListener('drop', stop);
    return () => {
      window.removeEventListener('dragover', stop);
      window.removeEventListener('drop', stop);
    };
  }, []);

  const set = (k) => (e) => setDefaults({ ...defaults, [k]: e.currentTarget.value });
  return (
    <section class="upload-page">
      <h1>{t('upload.title')}</h1>
      <p class="upload-intro">{t('upload.intro')}</p>
      <Unfinished user={user} target="new" />
      <form class="upload-defaults card" onSubmit={(e) => e.preventDefault()}>
        <fieldset>
          <legend>{t('upload.defaults')}</legend>
          <p class="muted">{t('upload.defaults.hint')}</p>
          <div class="upload-grid">
            <label for="upload-default-kind">
              {t('upload.field.kind')}
              <KindSelect id="upload-default-kind" value={defaults.kind} onChange={(v) => setDefaults({ ...defaults, kind: v })} />
            </label>
            <label for="upload-default-campaign">
              {t('upload.field.campaign')}
              <input id="upload-default-campaign" value={defaults.campaign} onInput={set('campaign')} list="upload-campaigns" />
            </label>
            <label for="upload-default-tags" class="upload-wide">
              {t('upload.field.tags')}
              <input id="upload-default-tags" value={defaults.tags} onInput={set('tags')} />
            </label>
            <label for="upload-default-description" class="upload-wide">
              {t('upload.field.description')}
              <textarea id="upload-default-description" rows={2} value={defaults.description} onInput={set('description')} />
            </label>
          </div>
        </fieldset>
      </form>
      <datalist id="upload-campaigns">
        {campaigns.map((c) => (
          <option key={c} value={c} />
        ))}
      </datalist>
      <DropZone id="upload-files" label={t('upload.pick')} onFiles={(files) => addFiles(files, { user, defaults })} />
      {queue.length > 0 && (
        <>
          <h2 class="upload-queue-title">{t('upload.queue')}</h2>
          <ul class="upload-list">
            {queue.map((i) => (
              <UploadItem key={i.key} item={i} />
            ))}
          </ul>
          {queue.some((i) => i.status === 'done') && (
            <p>
              <Link href="/my">{t('upload.mine')}</Link>
            </p>
          )}
        </>
      )}
    </section>
  );
}

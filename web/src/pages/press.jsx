// Press kits (bộ tài liệu báo chí). Journalists see the released kits, open
// one, read the press release and download everything as one ZIP. Staff
// (reviewers, admins) see every kit with its status, prepare kits from
// approved materials, lift embargoes and hand out share links.
// KitView is also the body of the public share landing (pages/share.jsx).
import { useEffect, useRef, useState } from 'preact/hooks';
import { del, get, patch, post, query } from '../api.js';
import { lang, register, t } from '../i18n.js';
import { Link, navigate } from '../router.js';
import { formatDate, formatDateTime, formatSize } from '../format.js';
import { ErrorBox, MoreButton, Spinner, Thumb, usePagedList, useTitle } from '../components.jsx';
import { isStaff } from '../session.js';

register({
  vi: {
    'press.title': 'Bộ tài liệu báo chí',
    'press.intro': 'Thông cáo báo chí và tài liệu truyền thông chính thống của Bộ Giáo dục và Đào tạo.',
    'press.intro.staff': 'Chuẩn bị bộ tài liệu cho báo chí, đặt thời điểm công bố và gửi liên kết chia sẻ.',
    'press.empty': 'Chưa có bộ tài liệu báo chí nào được công bố.',
    'press.empty.staff': 'Chưa có bộ tài liệu báo chí nào.',
    'press.items': '{n} tài liệu',
    'press.released_on': 'Công bố {date}',
    'press.updated_on': 'Cập nhật {date}',
    'press.expires_on': 'Hết hạn {date}',
    'press.status.embargoed': 'Cấm công bố đến {time}',
    'press.status.released': 'Đã công bố',
    'press.status.expired': 'Hết hạn',
    'press.new': 'Tạo bộ tài liệu báo chí',
    'press.form.title': 'Tiêu đề',
    'press.form.release': 'Thông cáo báo chí (Markdown)',
    'press.form.release_hint': 'Markdown: # Tiêu đề, **chữ đậm**, - danh sách, [liên kết](https://…). Mã HTML sẽ bị loại bỏ.',
    'press.form.contact': 'Liên hệ báo chí',
    'press.form.contact_hint': 'Ví dụ: Vụ Truyền thông, 024 3869 0000',
    'press.form.embargo': 'Công bố từ (giờ Việt Nam)',
    'press.form.embargo_hint': 'Để trống để công bố ngay khi lưu. Trước thời điểm này, nhà báo và người có liên kết chia sẻ không thấy bộ tài liệu.',
    'press.form.expires': 'Hết hạn (giờ Việt Nam)',
    'press.form.expires_hint': 'Để trống nếu không hết hạn.',
    'press.form.at': 'Lúc {time}, giờ Việt Nam.',
    'press.form.items': 'Tài liệu trong bộ',
    'press.form.no_items': 'Chưa chọn tài liệu nào: tìm tài liệu đã duyệt bên dưới và bấm "Thêm".',
    'press.form.search': 'Tìm tài liệu đã duyệt',
    'press.form.search_placeholder': 'Ví dụ: nghi quyet 71 ap phich',
    'press.form.search_empty': 'Không có tài liệu đã duyệt nào khớp.',
    'press.form.results': 'Kết quả tìm kiếm',
    'press.form.add': 'Thêm',
    'press.form.added': 'Đã thêm',
    'press.form.not_press': 'Chưa duyệt cho báo chí: nhà báo không xem được ảnh thu nhỏ của tài liệu này',
    'press.form.file': 'Tệp',
    'press.form.caption': 'Chú thích',
    'press.form.credit': 'Nguồn (ghi công)',
    'press.form.credit_placeholder': 'Ví dụ: Bộ GDĐT',
    'press.form.up': 'Lên',
    'press.form.down': 'Xuống',
    'press.form.remove': 'Bỏ',
    'press.form.create': 'Tạo bộ tài liệu',
    'press.form.save': 'Lưu thay đổi',
    'press.form.need_items': 'Hãy chọn ít nhất một tài liệu.',
    'press.form.bad_dates': 'Thời điểm hết hạn phải sau thời điểm công bố.',
    'press.kit.back': 'Tất cả bộ tài liệu báo chí',
    'press.kit.release': 'Thông cáo báo chí',
    'press.kit.contact': 'Liên hệ báo chí',
    'press.kit.files': 'Tài liệu ({n})',
    'press.kit.download_all': 'Tải toàn bộ (ZIP, {size})',
    'press.kit.download': 'Tải xuống',
    'press.kit.credit': 'Nguồn: {credit}',
    'press.kit.unavailable': 'Không còn được cung cấp (không có trong tệp ZIP)',
    'press.kit.notfound': 'Không tìm thấy bộ tài liệu này, hoặc bộ tài liệu chưa được công bố.',
    'press.kit.note.embargoed': 'Đang cấm công bố: nhà báo và người có liên kết chia sẻ chưa thấy bộ tài liệu này cho đến {time}.',
    'press.kit.note.expired': 'Đã hết hạn lúc {time}: nhà báo và người có liên kết chia sẻ không còn thấy bộ tài liệu này.',
    'press.kit.note.released': 'Đã công bố: nhà báo và người có liên kết chia sẻ đang thấy bộ tài liệu này.',
    'press.kit.note.released_until': 'Đã công bố: nhà báo và người có liên kết chia sẻ thấy bộ tài liệu này đến {time}.',
    'press.kit.release_now': 'Công bố ngay',
    'press.kit.edit': 'Sửa bộ tài liệu',
    'press.kit.editing': 'Sửa bộ tài liệu',
    'press.kit.delete': 'Xoá bộ tài liệu',
    'press.kit.delete_confirm': 'Bấm lần nữa để xoá hẳn',
    'press.kit.stale': 'Bộ tài liệu vừa được người khác sửa. Hãy tải lại trang rồi sửa lại.',
    'press.links.title': 'Liên kết chia sẻ',
    'press.links.intro': 'Gửi bộ tài liệu cho người chưa có tài khoản. Liên kết luôn có hạn dùng (tối đa 90 ngày) và chỉ mở được khi bộ tài liệu đã công bố.',
    'press.links.days': 'Số ngày hiệu lực (1–90)',
    'press.links.max': 'Giới hạn lượt tải xuống (không bắt buộc)',
    'press.links.password': 'Mật khẩu (không bắt buộc, ít nhất 6 ký tự)',
    'press.links.note': 'Ghi chú (ví dụ: gửi cho cơ quan báo chí nào)',
    'press.links.create': 'Tạo liên kết chia sẻ',
    'press.links.created': 'Đã tạo liên kết chia sẻ. Hãy sao chép địa chỉ và gửi cho nhà báo.',
    'press.links.created_password': 'Nhớ gửi kèm mật khẩu (qua kênh khác).',
    'press.links.url': 'Địa chỉ liên kết',
    'press.links.copy': 'Sao chép',
    'press.links.copied': 'Đã sao chép.',
    'press.links.copy_failed': 'Không sao chép tự động được: địa chỉ đã được chọn, hãy bấm Ctrl+C.',
    'press.links.empty': 'Chưa có liên kết chia sẻ nào.',
    'press.links.existing': 'Các liên kết đã tạo',
    'press.links.expires': 'Hết hạn {time}',
    'press.links.downloads': '{n} lượt tải xuống',
    'press.links.downloads_max': '{n}/{max} lượt tải xuống',
    'press.links.with_password': 'Có mật khẩu',
    'press.links.revoke': 'Thu hồi',
    'press.links.state.active': 'Đang hoạt động',
    'press.links.state.expired': 'Hết hạn',
    'press.links.state.revoked': 'Đã thu hồi',
    'press.links.state.exhausted': 'Hết lượt tải',
  },
  en: {
    'press.title': 'Press kits',
    'press.intro': 'Press releases and official communication materials of the Ministry of Education and Training.',
    'press.intro.staff': 'Prepare kits for the press, set when they are released and send share links.',
    'press.empty': 'No press kit has been released yet.',
    'press.empty.staff': 'There is no press kit yet.',
    'press.items': '{n} items',
    'press.released_on': 'Released {date}',
    'press.updated_on': 'Updated {date}',
    'press.expires_on': 'Expires {date}',
    'press.status.embargoed': 'Embargoed until {time}',
    'press.status.released': 'Released',
    'press.status.expired': 'Expired',
    'press.new': 'New press kit',
    'press.form.title': 'Title',
    'press.form.release': 'Press release (Markdown)',
    'press.form.release_hint': 'Markdown: # Heading, **bold**, - list, [link](https://…). HTML is removed.',
    'press.form.contact': 'Press contact',
    'press.form.contact_hint': 'For example: Communication Department, 024 3869 0000',
    'press.form.embargo': 'Embargo until (Vietnam time)',
    'press.form.embargo_hint': 'Leave empty to release it as soon as it is saved. Before this time, journalists and share links cannot see the kit.',
    'press.form.expires': 'Expires (Vietnam time)',
    'press.form.expires_hint': 'Leave empty for no expiry.',
    'press.form.at': 'At {time}, Vietnam time.',
    'press.form.items': 'Materials in the kit',
    'press.form.no_items': 'No material chosen yet: search the approved materials below and press "Add".',
    'press.form.search': 'Search approved materials',
    'press.form.search_placeholder': 'For example: nghi quyet 71 poster',
    'press.form.search_empty': 'No approved material matches.',
    'press.form.results': 'Search results',
    'press.form.add': 'Add',
    'press.form.added': 'Added',
    'press.form.not_press': 'Not approved for the press: journalists cannot see its thumbnail',
    'press.form.file': 'File',
    'press.form.caption': 'Caption',
    'press.form.credit': 'Credit',
    'press.form.credit_placeholder': 'For example: Bộ GDĐT',
    'press.form.up': 'Up',
    'press.form.down': 'Down',
    'press.form.remove': 'Remove',
    'press.form.create': 'Create the kit',
    'press.form.save': 'Save changes',
    'press.form.need_items': 'Choose at least one material.',
    'press.form.bad_dates': 'The expiry must come after the release time.',
    'press.kit.back': 'All press kits',
    'press.kit.release': 'Press release',
    'press.kit.contact': 'Press contact',
    'press.kit.files': 'Materials ({n})',
    'press.kit.download_all': 'Download all (ZIP, {size})',
    'press.kit.download': 'Download',
    'press.kit.credit': 'Credit: {credit}',
    'press.kit.unavailable': 'No longer offered (not in the ZIP)',
    'press.kit.notfound': 'This press kit does not exist or has not been released yet.',
    'press.kit.note.embargoed': 'Embargoed: journalists and share links cannot see this kit until {time}.',
    'press.kit.note.expired': 'Expired at {time}: journalists and share links can no longer see this kit.',
    'press.kit.note.released': 'Released: journalists and share links can see this kit.',
    'press.kit.note.released_until': 'Released: journalists and share links can see this kit until {time}.',
    'press.kit.release_now': 'Release now',
    'press.kit.edit': 'Edit the kit',
    'press.kit.editing': 'Edit the kit',
    'press.kit.delete': 'Delete the kit',
    'press.kit.delete_confirm': 'Press again to delete it for good',
    'press.kit.stale': 'Someone else has just changed this kit. Reload the page and edit again.',
    'press.links.title': 'Share links',
    'press.links.intro': 'Send the kit to people without an account. A link always expires (90 days at most) and opens only once the kit is released.',
    'press.links.days': 'Valid for (days, 1–90)',
    'press.links.max': 'Download limit (optional)',
    'press.links.password': 'Password (optional, at least 6 characters)',
    'press.links.note': 'Note (for example: which newspaper it is for)',
    'press.links.create': 'Create a share link',
    'press.links.created': 'The share link is ready. Copy the address and send it to the journalist.',
    'press.links.created_password': 'Remember to send the password (by another channel).',
    'press.links.url': 'Link address',
    'press.links.copy': 'Copy',
    'press.links.copied': 'Copied.',
    'press.links.copy_failed': 'Could not copy automatically: the address is selected, press Ctrl+C.',
    'press.links.empty': 'No share link yet.',
    'press.links.existing': 'Links created',
    'press.links.expires': 'Expires {time}',
    'press.links.downloads': '{n} downloads',
    'press.links.downloads_max': '{n}/{max} downloads',
    'press.links.with_password': 'Password protected',
    'press.links.revoke': 'Revoke',
    'press.links.state.active': 'Active',
    'press.links.state.expired': 'Expired',
    'press.links.state.revoked': 'Revoked',
    'press.links.state.exhausted': 'Download limit reached',
  },
});

// <input type="datetime-local"> values are read and written in Vietnam time,
// whatever the browser's zone, like every date kho shows.
function toVietnamInput(iso) {
  if (!iso) return '';
  return new Date(new Date(iso).getTime() + 7 * 3600 * 1000).toISOString().slice(0, 16);
}

function fromVietnamInput(value) {
  if (!value) return null;
  const d = new Date(`${value.length === 16 ? `${value}:00` : value}+07:00`);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

export function KitStatus({ kit }) {
  const text =
    kit.status === 'embargoed'
      ? t('press.status.embargoed', { time: formatDateTime(kit.embargo_until) })
      : t(`press.status.${kit.status}`);
  return <span class={`badge press-status-${kit.status}`}>{text}</span>;
}

// "Công bố 01/12/2026 · Hết hạn 31/03/2027"
function kitDates(kit) {
  const parts = [];
  if (kit.embargo_until) parts.push(t('press.released_on', { date: formatDate(kit.embargo_until) }));
  else if (kit.updated_at) parts.push(t('press.updated_on', { date: formatDate(kit.updated_at) }));
  if (kit.expires_at) parts.push(t('press.expires_on', { date: formatDate(kit.expires_at) }));
  return parts.join(' · ');
}

export function PressKitsPage({ user }) {
  const staff = isStaff(user);
  useTitle(t('press.title'));
  const [creating, setCreating] = useState(false);
  const list = usePagedList((cursor) => get(`/api/v1/press-kits${query({ cursor })}`), []);
  const { items, next, loaded, loading, error, load } = list;

  return (
    <section class="stack">
      <div class="row press-head">
        <h1>{t('press.title')}</h1>
        {staff && !creating && (
          <button type="button" class="primary" onClick={() => setCreating(true)}>
            {t('press.new')}
          </button>
        )}
      </div>
      <p class="muted">{staff ? t('press.intro.staff') : t('press.intro')}</p>
      {creating && (
        <div class="card">
          <h2>{t('press.new')}</h2>
          <KitForm onSaved={(kit) => navigate(`/press-kits/${kit.id}`)} onCancel={() => setCreating(false)} />
        </div>
      )}
      <ErrorBox error={error} onRetry={() => load()} />
      {loaded && !items.length && <p>{staff ? t('press.empty.staff') : t('press.empty')}</p>}
      {items.length > 0 && (
        <ul class="press-list">
          {items.map((k) => (
            <li key={k.id}>
              <Link href={`/press-kits/${k.id}`}>{k.title}</Link>
              <p class="press-meta">
                {staff && <><KitStatus kit={k} /> · </>}
                {t('press.items', { n: k.items })}
                {kitDates(k) && ` · ${kitDates(k)}`}
              </p>
            </li>
          ))}
        </ul>
      )}
      <MoreButton list={list} />
    </section>
  );
}

function extension(name) {
  const m = /\.([a-z0-9]{1,5})$/i.exec(name || '');
  return m ? m[1].toUpperCase() : '';
}

// A kit item's thumbnail: only for a signed-in person (share-link visitors
// may not read renditions) and only for media that get one.
function ItemThumb({ item, show }) {
  const [failed, setFailed] = useState(false);
  const media = /^(image|video|audio)\//.test(item.content_type || '') || item.content_type === 'application/pdf';
  if (!show) return null;
  if (!media || failed || item.available === false) {
    return <div class="thumb placeholder press-thumb" aria-hidden="true">{extension(item.file_name) || '—'}</div>;
  }
  return (
    <img
      class="thumb"
      loading="lazy"
      alt=""
      src={`/api/v1/assets/${item.asset}/versions/${item.version}/renditions/thumb`}
      onError={() => setFailed(true)}
    />
  );
}

function itemUrl(item) {
  const base = `/api/v1/assets/${item.asset}/versions/${item.version}`;
  return item.file === 'original' || !item.file ? `${base}/original` : `${base}/renditions/${encodeURIComponent(item.file)}`;
}

// The release, the contact, the materials and the ZIP: what a journalist
// reads, signed in (thumbs, one-file downloads) or through a share link.
export function KitView({ kit, signedIn }) {
  return (
    <>
      {kit.zip && (
        <p>
          <a class="press-button" href={kit.zip.url} download={kit.zip.file_name || ''}>
            {t('press.kit.download_all', { size: formatSize(kit.zip.size) })}
          </a>
        </p>
      )}
      {kit.release_html && (
        <section aria-labelledby="press-release-heading">
          <h2 id="press-release-heading">{t('press.kit.release')}</h2>
          {/* Sanitised by the server (cmark safe mode: raw HTML and javascript: links removed). */}
          <div class="press-release" dangerouslySetInnerHTML={{ __html: kit.release_html }} />
        </section>
      )}
      {kit.contact && (
        <section aria-labelledby="press-contact-heading">
          <h2 id="press-contact-heading">{t('press.kit.contact')}</h2>
          <p class="press-contact">{kit.contact}</p>
        </section>
      )}
      <section aria-labelledby="press-files-heading">
        <h2 id="press-files-heading">{t('press.kit.files', { n: kit.items.length })}</h2>
        <ul class="grid press-items">
          {kit.items.map((it) => (
            <li key={it.position} class="tile press-item">
              <ItemThumb item={it} show={signedIn} />
              <div class="press-item-body">
                <strong class="press-item-title">{it.title}</strong>
                {it.caption && <p class="press-caption">{it.caption}</p>}
                {it.credit && <p class="press-credit">{t('press.kit.credit', { credit: it.credit })}</p>}
                {it.available === false ? (
                  <p class="error">{t('press.kit.unavailable')}{it.reason ? `: ${it.reason}` : ''}</p>
                ) : (
                  <p class="press-file">
                    {it.file_name} · {formatSize(it.size)}
                  </p>
                )}
                {signedIn && it.available !== false && (
                  <a class="press-item-download" href={itemUrl(it)} download={it.file_name || ''}>
                    {t('press.kit.download')}
                    <span class="visually-hidden"> {it.title}</span>
                  </a>
                )}
              </div>
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}

export function PressKitPage({ params, user }) {
  const staff = isStaff(user);
  const [kit, setKit] = useState(null);
  const [error, setError] = useState(null);
  const [editing, setEditing] = useState(false);
  const load = async () => {
    setError(null);
    try {
      setKit(await get(`/api/v1/press-kits/${encodeURIComponent(params.id)}`));
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    setKit(null);
    setEditing(false);
    load();
  }, [params.id]);
  useTitle(kit ? kit.title : error?.status === 404 ? t('press.kit.notfound') : t('press.title'));

  const back = (
    <p>
      <Link href="/press-kits">← {t('press.kit.back')}</Link>
    </p>
  );
  if (error?.status === 404) {
    return (
      <section>
        {back}
        <h1>{t('press.kit.notfound')}</h1>
      </section>
    );
  }
  if (error) return <ErrorBox error={error} onRetry={load} />;
  if (!kit) return <Spinner />;
  const dates = kitDates(kit);
  return (
    <article class="stack press-kit">
      {back}
      <h1>{kit.title}</h1>
      <p class="press-meta">
        {staff && <><KitStatus kit={kit} /> · </>}
        {t('press.items', { n: kit.items.length })}
        {dates && ` · ${dates}`}
      </p>
      {staff && !editing && <StaffPanel kit={kit} setKit={setKit} onEdit={() => setEditing(true)} />}
      {staff && editing && (
        <div class="card">
          <h2>{t('press.kit.editing')}</h2>
          <KitForm
            initial={kit}
            onSaved={(k) => {
              setKit(k);
              setEditing(false);
            }}
            onCancel={() => setEditing(false)}
          />
        </div>
      )}
      <KitView kit={kit} signedIn />
      {staff && <ShareLinks kit={kit} />}
    </article>
  );
}

function StaffPanel({ kit, setKit, onEdit }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const note =
    kit.status === 'embargoed'
      ? t('press.kit.note.embargoed', { time: formatDateTime(kit.embargo_until) })
      : kit.status === 'expired'
        ? t('press.kit.note.expired', { time: formatDateTime(kit.expires_at) })
        : kit.expires_at
          ? t('press.kit.note.released_until', { time: formatDateTime(kit.expires_at) })
          : t('press.kit.note.released');
  const run = async (fn) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(e.status === 412 ? new Error(t('press.kit.stale')) : e);
    } finally {
      setBusy(false);
    }
  };
  const releaseNow = () =>
    run(async () => {
      setKit(await patch(`/api/v1/press-kits/${kit.id}`, { embargo_until: null }, { headers: { 'If-Match': `"r${kit.revision}"` } }));
    });
  const remove = () => {
    if (!confirming) {
      setConfirming(true);
      return;
    }
    run(async () => {
      await del(`/api/v1/press-kits/${kit.id}`);
      navigate('/press-kits');
    });
  };
  return (
    <div class={kit.status === 'released' ? 'success' : 'notice'}>
      <p class="press-note">{note}</p>
      <div class="row">
        {kit.status === 'embargoed' && (
          <button type="button" class="primary" disabled={busy} onClick={releaseNow}>
            {t('press.kit.release_now')}
          </button>
        )}
        <button type="button" disabled={busy} onClick={onEdit}>
          {t('press.kit.edit')}
        </button>
        <button type="button" disabled={busy} onClick={remove} onBlur={() => setConfirming(false)}>
          {confirming ? t('press.kit.delete_confirm') : t('press.kit.delete')}
        </button>
      </div>
      <ErrorBox error={error} />
    </div>
  );
}

// Creating (no `initial`) or editing a kit.
function KitForm({ initial, onSaved, onCancel }) {
  const [title, setTitle] = useState(initial?.title || '');
  const [release, setRelease] = useState(initial?.release || '');
  const [contact, setContact] = useState(initial?.contact || '');
  const [embargo, setEmbargo] = useState(toVietnamInput(initial?.embargo_until));
  const [expires, setExpires] = useState(toVietnamInput(initial?.expires_at));
  const [items, setItems] = useState(
    (initial?.items || []).map((it) => ({
      asset: it.asset,
      version: it.version,
      file: it.file || 'original',
      caption: it.caption || '',
      credit: it.credit || '',
      title: it.title,
      available: it.available,
      files: null,
    })),
  );
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const prefix = initial ? `press-edit-${initial.id}` : 'press-new';

  const change = (i, field, value) => setItems((prev) => prev.map((it, j) => (j === i ? { ...it, [field]: value } : it)));
  const move = (i, d) =>
    setItems((prev) => {
      const next = prev.slice();
      [next[i], next[i + d]] = [next[i + d], next[i]];
      return next;
    });
  const remove = (i) => setItems((prev) => prev.filter((_, j) => j !== i));
  const add = (a) =>
    setItems((prev) => [
      ...prev,
      {
        asset: a.id,
        version: a.version.number,
        file: 'original',
        caption: '',
        credit: '',
        title: a.title,
        available: true,
        files: a.files || null,
      },
    ]);

  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    if (!items.length) return setError(new Error(t('press.form.need_items')));
    // An untouched field keeps its exact time (the input shows minutes only).
    const keep = (value, iso) => (iso && value === toVietnamInput(iso) ? iso : fromVietnamInput(value));
    const embargoUntil = keep(embargo, initial?.embargo_until);
    const expiresAt = keep(expires, initial?.expires_at);
    if (embargoUntil && expiresAt && expiresAt <= embargoUntil) return setError(new Error(t('press.form.bad_dates')));
    const body = {
      title: title.trim(),
      release,
      contact: contact.trim(),
      items: items.map(({ asset, version, file, caption, credit }) => ({ asset, version, file, caption: caption.trim(), credit: credit.trim() })),
    };
    if (initial || embargoUntil) body.embargo_until = embargoUntil;
    if (initial || expiresAt) body.expires_at = expiresAt;
    setBusy(true);
    try {
      const kit = initial
        ? await patch(`/api/v1/press-kits/${initial.id}`, body, { headers: { 'If-Match': `"r${initial.revision}"` } })
        : await post('/api/v1/press-kits', body);
      onSaved(kit);
    } catch (err) {
      setError(err.status === 412 ? new Error(t('press.kit.stale')) : err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="press-form" onSubmit={submit}>
      <label>
        {t('press.form.title')}
        <input name="title" required maxLength={500} value={title} onInput={(e) => setTitle(e.target.value)} />
      </label>
      <label>
        {t('press.form.release')}
        <textarea
          name="release"
          rows={10}
          aria-describedby={`${prefix}-release-hint`}
          value={release}
          onInput={(e) => setRelease(e.target.value)}
        />
      </label>
      <p id={`${prefix}-release-hint`} class="press-hint">{t('press.form.release_hint')}</p>
      <label>
        {t('press.form.contact')}
        <textarea
          name="contact"
          rows={2}
          class="press-short"
          placeholder={t('press.form.contact_hint')}
          value={contact}
          onInput={(e) => setContact(e.target.value)}
        />
      </label>
      <div class="press-dates">
        <div>
          <label>
            {t('press.form.embargo')}
            <input
              name="embargo_until"
              type="datetime-local"
              aria-describedby={`${prefix}-embargo-hint`}
              value={embargo}
              onInput={(e) => setEmbargo(e.target.value)}
            />
          </label>
          <p id={`${prefix}-embargo-hint`} class="press-hint">
            {fromVietnamInput(embargo) && <strong>{t('press.form.at', { time: formatDateTime(fromVietnamInput(embargo)) })} </strong>}
            {t('press.form.embargo_hint')}
          </p>
        </div>
        <div>
          <label>
            {t('press.form.expires')}
            <input
              name="expires_at"
              type="datetime-local"
              aria-describedby={`${prefix}-expires-hint`}
              value={expires}
              onInput={(e) => setExpires(e.target.value)}
            />
          </label>
          <p id={`${prefix}-expires-hint`} class="press-hint">
            {fromVietnamInput(expires) && <strong>{t('press.form.at', { time: formatDateTime(fromVietnamInput(expires)) })} </strong>}
            {t('press.form.expires_hint')}
          </p>
        </div>
      </div>
      <fieldset class="press-fieldset">
        <legend>{t('press.form.items')}</legend>
        {!items.length && <p class="muted">{t('press.form.no_items')}</p>}
        {items.length > 0 && (
          <ol class="press-chosen">
            {items.map((it, i) => (
              <li key={`${it.asset}-${it.version}-${i}`}>
                <strong>{it.title}</strong>
                {it.available === false && <p class="error">{t('press.kit.unavailable')}</p>}
                <div class="press-chosen-fields">
                  {it.files && it.files.length > 1 && (
                    <label>
                      {t('press.form.file')}
                      <span class="visually-hidden"> – {it.title}</span>
                      <select value={it.file} onChange={(e) => change(i, 'file', e.target.value)}>
                        {it.files.map((f) => (
                          <option key={f.name} value={f.name}>
                            {(lang() === 'en' ? f.label_en : f.label) || f.name} ({formatSize(f.size)})
                          </option>
                        ))}
                      </select>
                    </label>
                  )}
                  <label>
                    {t('press.form.caption')}
                    <span class="visually-hidden"> – {it.title}</span>
                    <input value={it.caption} maxLength={2000} onInput={(e) => change(i, 'caption', e.target.value)} />
                  </label>
                  <label>
                    {t('press.form.credit')}
                    <span class="visually-hidden"> – {it.title}</span>
                    <input
                      value={it.credit}
                      maxLength={500}
                      placeholder={t('press.form.credit_placeholder')}
                      onInput={(e) => change(i, 'credit', e.target.value)}
                    />
                  </label>
                </div>
                <div class="row">
                  <button type="button" disabled={i === 0} onClick={() => move(i, -1)}>
                    ↑ {t('press.form.up')}<span class="visually-hidden"> – {it.title}</span>
                  </button>
                  <button type="button" disabled={i === items.length - 1} onClick={() => move(i, 1)}>
                    ↓ {t('press.form.down')}<span class="visually-hidden"> – {it.title}</span>
                  </button>
                  <button type="button" onClick={() => remove(i)}>
                    {t('press.form.remove')}<span class="visually-hidden"> – {it.title}</span>
                  </button>
                </div>
              </li>
            ))}
          </ol>
        )}
        <MaterialPicker prefix={prefix} chosen={items} onAdd={add} />
      </fieldset>
      <ErrorBox error={error} />
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>
          {initial ? t('press.form.save') : t('press.form.create')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}

// Search as you type among the approved materials; "Thêm" adds one.
function MaterialPicker({ prefix, chosen, onAdd }) {
  const [q, setQ] = useState('');
  const [results, setResults] = useState(null);
  const [error, setError] = useState(null);
  const seq = useRef(0);
  useEffect(() => {
    const mine = ++seq.current;
    const id = setTimeout(async () => {
      try {
        const r = await get(`/api/v1/catalog${query({ state: 'approved', q: q.trim(), limit: 12 })}`);
        if (mine === seq.current) {
          setResults(r.items);
          setError(null);
        }
      } catch (e) {
        if (mine === seq.current) setError(e);
      }
    }, q ? 250 : 0);
    return () => clearTimeout(id);
  }, [q]);
  const has = (a) => chosen.some((it) => it.asset === a.id && it.version === a.version?.number);
  return (
    <div class="press-picker">
      <label for={`${prefix}-search`}>{t('press.form.search')}</label>
      <input
        id={`${prefix}-search`}
        type="search"
        autocomplete="off"
        placeholder={t('press.form.search_placeholder')}
        value={q}
        onInput={(e) => setQ(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') e.preventDefault(); // not a submit of the kit
        }}
      />
      <ErrorBox error={error} />
      {results && !results.length && <p class="muted">{t('press.form.search_empty')}</p>}
      {results && results.length > 0 && (
        <ul class="press-results" aria-label={t('press.form.results')}>
          {results.map((a) => (
            <li key={a.id}>
              <Thumb asset={a} version={a.version} alt="" />
              <span>
                <span class="press-item-title">{a.title}</span>
                <span class="press-meta">
                  {t(`kind.${a.kind}`)} · {formatDate(a.version?.reviewed?.at || a.created_at)}
                </span>
                {a.version?.audience && !a.version.audience.press && (
                  <span class="press-warn">{t('press.form.not_press')}</span>
                )}
              </span>
              <button type="button" disabled={!a.version || has(a)} onClick={() => onAdd(a)}>
                {has(a) ? t('press.form.added') : t('press.form.add')}
                <span class="visually-hidden"> – {a.title}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function CopyField({ id, url, label, hiddenLabel }) {
  const ref = useRef(null);
  const [copied, setCopied] = useState(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      setCopied('ok');
    } catch {
      ref.current?.select();
      setCopied('failed');
    }
  };
  return (
    <div>
      <label for={id} class={hiddenLabel ? 'visually-hidden' : ''}>{label}</label>
      <div class="press-url">
        <input id={id} ref={ref} readOnly value={url} onFocus={(e) => e.target.select()} />
        <button type="button" onClick={copy}>
          {t('press.links.copy')}
          {hiddenLabel && <span class="visually-hidden"> {label}</span>}
        </button>
      </div>
      <p class="press-hint" aria-live="polite">
        {copied === 'ok' ? t('press.links.copied') : copied === 'failed' ? t('press.links.copy_failed') : ''}
      </p>
    </div>
  );
}

function ShareLinks({ kit }) {
  const [links, setLinks] = useState(null);
  const [error, setError] = useState(null);
  const [days, setDays] = useState('7');
  const [max, setMax] = useState('');
  const [password, setPassword] = useState('');
  const [note, setNote] = useState('');
  const [created, setCreated] = useState(null);
  const [busy, setBusy] = useState(false);
  const [formError, setFormError] = useState(null);

  const load = async () => {
    try {
      setLinks((await get(`/api/v1/share-links${query({ kit: kit.id })}`)).items);
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    load();
  }, [kit.id]);

  const create = async (e) => {
    e.preventDefault();
    setBusy(true);
    setFormError(null);
    setCreated(null);
    try {
      const body = { kit: kit.id, expires_in_days: Number(days) };
      if (max) body.max_downloads = Number(max);
      if (password) body.password = password;
      if (note.trim()) body.note = note.trim();
      const link = await post('/api/v1/share-links', body);
      setCreated(link);
      setPassword('');
      setNote('');
      await load();
    } catch (err) {
      setFormError(err);
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (link) => {
    setError(null);
    try {
      await del(`/api/v1/share-links/${link.id}`);
    } catch (e) {
      if (e.status !== 409) setError(e); // 409: someone revoked it already
    }
    if (created?.id === link.id) setCreated(null);
    await load();
  };

  return (
    <section class="card press-links-section" aria-labelledby="press-links-heading">
      <h2 id="press-links-heading">{t('press.links.title')}</h2>
      <p class="muted">{t('press.links.intro')}</p>
      <form class="press-link-form" onSubmit={create}>
        <div class="press-dates">
          <label>
            {t('press.links.days')}
            <input name="expires_in_days" type="number" inputMode="numeric" min={1} max={90} required value={days} onInput={(e) => setDays(e.target.value)} />
          </label>
          <label>
            {t('press.links.max')}
            <input name="max_downloads" type="number" inputMode="numeric" min={1} value={max} onInput={(e) => setMax(e.target.value)} />
          </label>
          <label>
            {t('press.links.password')}
            <input name="link_password" type="text" autocomplete="off" minLength={6} value={password} onInput={(e) => setPassword(e.target.value)} />
          </label>
          <label>
            {t('press.links.note')}
            <input name="note" maxLength={500} value={note} onInput={(e) => setNote(e.target.value)} />
          </label>
        </div>
        <ErrorBox error={formError} />
        <button type="submit" class="primary" disabled={busy}>
          {t('press.links.create')}
        </button>
      </form>
      {created && (
        <div class="success" role="status">
          <p>
            {t('press.links.created')} {created.password_required && t('press.links.created_password')}
          </p>
          <CopyField id="press-link-created" url={location.origin + created.url} label={t('press.links.url')} />
        </div>
      )}
      <h3>{t('press.links.existing')}</h3>
      <ErrorBox error={error} onRetry={load} />
      {!links && !error && <Spinner />}
      {links && !links.length && <p class="muted">{t('press.links.empty')}</p>}
      {links && links.length > 0 && (
        <ul class="press-links">
          {links.map((l) => (
            <li key={l.id} data-link={l.id}>
              <p class="press-meta">
                <span class={`badge press-link-${l.state}`}>{t(`press.links.state.${l.state}`)}</span>
                {' · '}
                {t('press.links.expires', { time: formatDateTime(l.expires_at) })}
                {' · '}
                {l.max_downloads ? t('press.links.downloads_max', { n: l.downloads, max: l.max_downloads }) : t('press.links.downloads', { n: l.downloads })}
                {l.password_required && ` · ${t('press.links.with_password')}`}
                {l.note && ` · ${l.note}`}
              </p>
              {l.state === 'active' && l.url && (
                <CopyField id={`press-link-${l.id}`} url={location.origin + l.url} label={t('press.links.url')} hiddenLabel />
              )}
              {(l.state === 'active' || l.state === 'exhausted') && (
                <button type="button" onClick={() => revoke(l)}>
                  {t('press.links.revoke')}
                  <span class="visually-hidden"> – {l.note || t('press.links.expires', { time: formatDateTime(l.expires_at) })}</span>
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

// /s/{token}: what a share link opens, for someone without an account — a
// press kit (its release, materials and one ZIP) or one file. A password
// link asks for its password first (the server then sets a cookie for that
// link only). A link that does not open says why, in plain Vietnamese.
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, post } from '../api.js';
import { register, t } from '../i18n.js';
import { formatDateTime, formatSize } from '../format.js';
import { ErrorBox, Spinner, useTitle } from '../components.jsx';
import { KitView } from './press.jsx';

register({
  vi: {
    'share.title': 'Liên kết chia sẻ',
    'share.from': 'Bộ Giáo dục và Đào tạo chia sẻ với bạn',
    'share.valid_until': 'Liên kết có hiệu lực đến {time}.',
    'share.downloads_left': 'Còn {n} lượt tải xuống.',
    'share.password.title': 'Liên kết này cần mật khẩu',
    'share.password.intro': 'Hãy nhập mật khẩu bạn nhận được cùng liên kết.',
    'share.password.label': 'Mật khẩu',
    'share.password.submit': 'Mở liên kết',
    'share.reason.wrong_password': 'Mật khẩu không đúng.',
    'share.reason.throttled': 'Bạn đã nhập sai mật khẩu quá nhiều lần. Hãy thử lại sau ít phút.',
    'share.reason.invalid': 'Liên kết không hợp lệ',
    'share.reason.invalid.more': 'Địa chỉ có thể đã bị cắt ngắn hoặc sửa đổi. Hãy sao chép lại toàn bộ liên kết bạn nhận được.',
    'share.reason.password_required': 'Liên kết này cần mật khẩu',
    'share.reason.password_required.more': 'Hãy tải lại trang và nhập mật khẩu.',
    'share.reason.not_available': 'Tài liệu chưa được công bố',
    'share.reason.not_available.more': 'Tài liệu sẽ mở được từ thời điểm công bố. Hãy quay lại sau.',
    'share.reason.expired': 'Liên kết đã hết hạn',
    'share.reason.expired.more': 'Hãy liên hệ Bộ Giáo dục và Đào tạo để nhận liên kết mới.',
    'share.reason.revoked': 'Liên kết đã bị thu hồi',
    'share.reason.revoked.more': 'Liên kết này không còn dùng được. Hãy liên hệ Bộ Giáo dục và Đào tạo nếu bạn vẫn cần tài liệu.',
    'share.reason.exhausted': 'Liên kết đã hết lượt tải xuống',
    'share.reason.exhausted.more': 'Số lượt tải xuống cho phép đã dùng hết. Hãy liên hệ Bộ Giáo dục và Đào tạo để nhận liên kết mới.',
    'share.reason.withdrawn': 'Tài liệu không còn được cung cấp',
    'share.reason.withdrawn.more': 'Tài liệu của liên kết này đã được thu hồi hoặc thay thế.',
    'share.reason.other': 'Không mở được liên kết',
    'share.file.download': 'Tải xuống ({size})',
    'share.file.name': 'Tệp: {name}',
  },
  en: {
    'share.title': 'Share link',
    'share.from': 'Shared with you by the Ministry of Education and Training',
    'share.valid_until': 'This link is valid until {time}.',
    'share.downloads_left': '{n} downloads left.',
    'share.password.title': 'This link needs a password',
    'share.password.intro': 'Enter the password you received with the link.',
    'share.password.label': 'Password',
    'share.password.submit': 'Open the link',
    'share.reason.wrong_password': 'The password is wrong.',
    'share.reason.throttled': 'Too many wrong passwords. Try again in a few minutes.',
    'share.reason.invalid': 'This link is not valid',
    'share.reason.invalid.more': 'The address may have been cut short or altered. Copy the whole link you received again.',
    'share.reason.password_required': 'This link needs a password',
    'share.reason.password_required.more': 'Reload the page and enter the password.',
    'share.reason.not_available': 'The material has not been released yet',
    'share.reason.not_available.more': 'It opens from its release time. Please come back later.',
    'share.reason.expired': 'This link has expired',
    'share.reason.expired.more': 'Contact the Ministry of Education and Training for a new link.',
    'share.reason.revoked': 'This link has been revoked',
    'share.reason.revoked.more': 'It can no longer be used. Contact the Ministry of Education and Training if you still need the material.',
    'share.reason.exhausted': 'This link has no downloads left',
    'share.reason.exhausted.more': 'Its downloads have all been used. Contact the Ministry of Education and Training for a new link.',
    'share.reason.withdrawn': 'The material is no longer offered',
    'share.reason.withdrawn.more': 'The material of this link has been withdrawn or replaced.',
    'share.reason.other': 'The link could not be opened',
    'share.file.download': 'Download ({size})',
    'share.file.name': 'File: {name}',
  },
});

const REASONS = ['invalid', 'password_required', 'not_available', 'expired', 'revoked', 'exhausted', 'withdrawn'];

// The headline for a failure: the reason's own sentence when there is one.
function problemTitle(error) {
  if (REASONS.includes(error?.reason)) return t(`share.reason.${error.reason}`);
  return t('share.reason.other');
}

function Problem({ error, onRetry }) {
  const known = REASONS.includes(error.reason);
  return (
    <section class="card narrow share-problem">
      <h1>{problemTitle(error)}</h1>
      {known ? <p>{t(`share.reason.${error.reason}.more`)}</p> : <ErrorBox error={error} onRetry={onRetry} />}
    </section>
  );
}

function PasswordForm({ token, onUnlocked, onProblem }) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const input = useRef(null);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await post(`/api/v1/links/${encodeURIComponent(token)}/unlock`, { password });
      await onUnlocked();
    } catch (err) {
      if (err.reason === 'wrong_password' || err.reason === 'throttled') {
        setError(t(`share.reason.${err.reason}`));
        input.current?.select();
      } else if (REASONS.includes(err.reason)) {
        onProblem(err);
      } else {
        setError(err.message);
      }
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card narrow share-password">
      <p class="muted">{t('share.from')}</p>
      <h1>{t('share.password.title')}</h1>
      <p>{t('share.password.intro')}</p>
      <form onSubmit={submit}>
        <label>
          {t('share.password.label')}
          <input
            ref={input}
            name="password"
            type="password"
            autocomplete="off"
            required
            aria-invalid={error ? 'true' : undefined}
            aria-describedby={error ? 'share-password-error' : undefined}
            value={password}
            onInput={(e) => setPassword(e.target.value)}
          />
        </label>
        {error && (
          <p id="share-password-error" class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {t('share.password.submit')}
        </button>
      </form>
    </section>
  );
}

function LinkFacts({ link }) {
  if (!link) return null;
  const left = link.max_downloads ? Math.max(0, link.max_downloads - (link.downloads || 0)) : null;
  return (
    <p class="muted share-facts">
      {t('share.valid_until', { time: formatDateTime(link.expires_at) })}
      {left !== null && ` ${t('share.downloads_left', { n: left })}`}
    </p>
  );
}

export function ShareLandingPage({ params }) {
  const token = params.token;
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const load = async () => {
    try {
      const d = await get(`/api/v1/links/${encodeURIComponent(token)}`);
      setError(null);
      setData(d);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    setData(null);
    setError(null);
    load();
  }, [token]);

  const kit = data?.press_kit;
  const asset = data?.asset;
  // The landing still answers a link whose downloads are used up; only its
  // download refuses. Say so here rather than offer a button that fails.
  const link = data?.link;
  const used = data?.unlocked && link?.max_downloads && link.downloads >= link.max_downloads;
  const problem = error || (used ? { reason: 'exhausted' } : null);
  useTitle(
    problem ? problemTitle(problem) : kit ? kit.title : asset ? asset.title : data && !data.unlocked ? t('share.password.title') : t('share.title'),
  );

  if (problem) return <Problem error={problem} onRetry={load} />;
  if (!data) return <Spinner />;
  if (!data.unlocked) return <PasswordForm token={token} onUnlocked={load} onProblem={setError} />;
  if (kit) {
    return (
      <article class="stack share-landing">
        <p class="muted">{t('share.from')}</p>
        <h1>{kit.title}</h1>
        <LinkFacts link={data.link} />
        <KitView kit={kit} signedIn={false} />
      </article>
    );
  }
  if (asset) {
    const file = asset.file || {};
    return (
      <article class="card narrow share-landing share-file">
        <p class="muted">{t('share.from')}</p>
        <h1>{asset.title}</h1>
        <p class="muted">{t(`kind.${asset.kind}`)}</p>
        {asset.description && <p class="share-description">{asset.description}</p>}
        {file.file_name && <p>{t('share.file.name', { name: file.file_name })}</p>}
        <p>
          <a class="press-button" href={file.url} download={file.file_name || ''}>
            {file.size !== undefined ? t('share.file.download', { size: formatSize(file.size) }) : t('common.download')}
          </a>
        </p>
        <LinkFacts link={data.link} />
      </article>
    );
  }
  return <Problem error={{ reason: 'withdrawn' }} />;
}

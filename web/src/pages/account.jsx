// One's own account: who I am, changing my password, and my sign-in
// sessions and API tokens (create one for a script, revoke what I no longer
// use).
import { useEffect, useRef, useState } from 'preact/hooks';
import { del, get, post } from '../api.js';
import { register, t } from '../i18n.js';
import { formatDateTime } from '../format.js';
import { ErrorBox, Spinner, useTitle } from '../components.jsx';

register({
  vi: {
    'account.title': 'Tài khoản của tôi',
    'account.profile': 'Thông tin tài khoản',
    'account.display_name': 'Họ và tên',
    'account.username': 'Tên đăng nhập',
    'account.role': 'Vai trò',
    'account.unit': 'Đơn vị',
    'account.no_unit': 'Không thuộc đơn vị nào',
    'account.password.title': 'Đổi mật khẩu',
    'account.password.current': 'Mật khẩu hiện tại',
    'account.password.new': 'Mật khẩu mới',
    'account.password.confirm': 'Nhập lại mật khẩu mới',
    'account.password.hint': 'Ít nhất 10 ký tự, khác mật khẩu hiện tại. Có thể dùng cả câu tiếng Việt có dấu.',
    'account.password.submit': 'Đổi mật khẩu',
    'account.password.done': 'Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã kết thúc; các mã API vẫn dùng được.',
    'account.password.mismatch': 'Hai lần nhập mật khẩu mới không giống nhau.',
    'account.password.same': 'Mật khẩu mới phải khác mật khẩu hiện tại.',
    'account.password.short': 'Mật khẩu mới cần ít nhất 10 ký tự.',
    'account.password.wrong': 'Mật khẩu hiện tại không đúng.',
    'account.password.throttled': 'Bạn đã nhập sai quá nhiều lần. Hãy thử lại sau ít phút.',
    'account.tokens.title': 'Phiên đăng nhập và mã API',
    'account.tokens.intro': 'Mã API cho phép phần mềm (ví dụ công cụ đồng bộ ảnh của Sở) dùng kho thay bạn. Hãy thu hồi những gì bạn không còn dùng.',
    'account.tokens.label': 'Tên gọi (mã này dùng để làm gì)',
    'account.tokens.label_placeholder': 'Ví dụ: Đồng bộ ảnh – Sở GDĐT Hà Nội',
    'account.tokens.expires': 'Hết hạn vào cuối ngày (không bắt buộc)',
    'account.tokens.create': 'Tạo mã API',
    'account.tokens.created': 'Mã API mới. Hãy sao chép ngay: mã chỉ hiện một lần này.',
    'account.tokens.secret': 'Mã API',
    'account.tokens.copy': 'Sao chép',
    'account.tokens.copied': 'Đã sao chép.',
    'account.tokens.copy_failed': 'Không sao chép tự động được: mã đã được chọn, hãy bấm Ctrl+C.',
    'account.tokens.kind.session': 'Phiên đăng nhập',
    'account.tokens.kind.api_token': 'Mã API',
    'account.tokens.kind.bootstrap': 'Mã khởi tạo',
    'account.tokens.current': 'Phiên này',
    'account.tokens.created_at': 'Tạo lúc {time}',
    'account.tokens.expires_at': 'Hết hạn {time}',
    'account.tokens.never': 'Không hết hạn',
    'account.tokens.last_used': 'Dùng lần cuối {time}',
    'account.tokens.address': 'Từ {address}',
    'account.tokens.revoke': 'Thu hồi',
    'account.tokens.empty': 'Không có phiên hay mã API nào.',
  },
  en: {
    'account.title': 'My account',
    'account.profile': 'Account',
    'account.display_name': 'Name',
    'account.username': 'User name',
    'account.role': 'Role',
    'account.unit': 'Unit',
    'account.no_unit': 'No unit',
    'account.password.title': 'Change my password',
    'account.password.current': 'Current password',
    'account.password.new': 'New password',
    'account.password.confirm': 'New password again',
    'account.password.hint': 'At least 10 characters, different from the current one. A whole sentence, with diacritics, is fine.',
    'account.password.submit': 'Change the password',
    'account.password.done': 'Password changed. Your other sessions have ended; your API tokens still work.',
    'account.password.mismatch': 'The two new passwords differ.',
    'account.password.same': 'The new password must differ from the current one.',
    'account.password.short': 'The new password needs at least 10 characters.',
    'account.password.wrong': 'The current password is wrong.',
    'account.password.throttled': 'Too many wrong attempts. Try again in a few minutes.',
    'account.tokens.title': 'Sessions and API tokens',
    'account.tokens.intro': 'An API token lets a program (a provincial department\'s photo sync, for example) use kho on your behalf. Revoke what you no longer use.',
    'account.tokens.label': 'Label (what the token is for)',
    'account.tokens.label_placeholder': 'For example: Photo sync – Hà Nội department',
    'account.tokens.expires': 'Expires at the end of (optional)',
    'account.tokens.create': 'Create an API token',
    'account.tokens.created': 'Your new API token. Copy it now: it is shown only this once.',
    'account.tokens.secret': 'API token',
    'account.tokens.copy': 'Copy',
    'account.tokens.copied': 'Copied.',
    'account.tokens.copy_failed': 'Could not copy automatically: the token is selected, press Ctrl+C.',
    'account.tokens.kind.session': 'Sign-in session',
    'account.tokens.kind.api_token': 'API token',
    'account.tokens.kind.bootstrap': 'Bootstrap token',
    'account.tokens.current': 'This session',
    'account.tokens.created_at': 'Created {time}',
    'account.tokens.expires_at': 'Expires {time}',
    'account.tokens.never': 'Never expires',
    'account.tokens.last_used': 'Last used {time}',
    'account.tokens.address': 'From {address}',
    'account.tokens.revoke': 'Revoke',
    'account.tokens.empty': 'No session or API token.',
  },
});

function Profile({ user }) {
  const unit = user.unit_detail?.name || user.unit;
  return (
    <section class="card" aria-labelledby="account-profile-heading">
      <h2 id="account-profile-heading">{t('account.profile')}</h2>
      <dl class="account-profile">
        <dt>{t('account.display_name')}</dt>
        <dd>{user.display_name}</dd>
        <dt>{t('account.username')}</dt>
        <dd>{user.username}</dd>
        <dt>{t('account.role')}</dt>
        <dd>{t(`role.${user.role}`)}</dd>
        <dt>{t('account.unit')}</dt>
        <dd>{unit || t('account.no_unit')}</dd>
      </dl>
    </section>
  );
}

function PasswordChange({ onChanged }) {
  const [current, setCurrent] = useState('');
  const [fresh, setFresh] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    setDone(false);
    if ([...fresh.normalize('NFC')].length < 10) return setError(new Error(t('account.password.short')));
    if (fresh !== again) return setError(new Error(t('account.password.mismatch')));
    if (fresh.normalize('NFC') === current.normalize('NFC')) return setError(new Error(t('account.password.same')));
    setBusy(true);
    try {
      await post('/api/v1/me/password', { current_password: current, new_password: fresh });
      setCurrent('');
      setFresh('');
      setAgain('');
      setDone(true);
      onChanged();
    } catch (err) {
      if (err.status === 403 && err.code === 'forbidden') setError(new Error(t('account.password.wrong')));
      else if (err.status === 429) setError(new Error(t('account.password.throttled')));
      else setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby="account-password-heading">
      <h2 id="account-password-heading">{t('account.password.title')}</h2>
      <form class="account-form" onSubmit={submit}>
        <label>
          {t('account.password.current')}
          <input name="current-password" type="password" autocomplete="current-password" required value={current} onInput={(e) => setCurrent(e.target.value)} />
        </label>
        <label>
          {t('account.password.new')}
          <input
            name="new-password"
            type="password"
            autocomplete="new-password"
            required
            aria-describedby="account-password-hint"
            value={fresh}
            onInput={(e) => setFresh(e.target.value)}
          />
        </label>
        <p id="account-password-hint" class="account-hint">{t('account.password.hint')}</p>
        <label>
          {t('account.password.confirm')}
          <input name="confirm-password" type="password" autocomplete="new-password" required value={again} onInput={(e) => setAgain(e.target.value)} />
        </label>
        <ErrorBox error={error} />
        {done && (
          <p class="success" role="status">
            {t('account.password.done')}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {t('account.password.submit')}
        </button>
      </form>
    </section>
  );
}

function Secret({ value }) {
  const ref = useRef(null);
  const [copied, setCopied] = useState(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('ok');
    } catch {
      ref.current?.select();
      setCopied('failed');
    }
  };
  return (
    <div class="success" role="status">
      <p>{t('account.tokens.created')}</p>
      <label for="account-token-secret">{t('account.tokens.secret')}</label>
      <div class="account-secret">
        <input id="account-token-secret" ref={ref} readOnly value={value} onFocus={(e) => e.target.select()} />
        <button type="button" onClick={copy}>
          {t('account.tokens.copy')}
        </button>
      </div>
      <p class="account-hint" aria-live="polite">
        {copied === 'ok' ? t('account.tokens.copied') : copied === 'failed' ? t('account.tokens.copy_failed') : ''}
      </p>
    </div>
  );
}

function Tokens({ version }) {
  const [items, setItems] = useState(null);
  const [error, setError] = useState(null);
  const [label, setLabel] = useState('');
  const [expires, setExpires] = useState('');
  const [secret, setSecret] = useState(null);
  const [formError, setFormError] = useState(null);
  const [busy, setBusy] = useState(false);
  const load = async () => {
    try {
      setItems((await get('/api/v1/tokens')).items);
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    load();
  }, [version]);

  const create = async (e) => {
    e.preventDefault();
    setFormError(null);
    setSecret(null);
    setBusy(true);
    try {
      const body = { label: label.trim() };
      // The end of that day, Vietnam time.
      if (expires) body.expires_at = `${expires}T23:59:59+07:00`;
      const r = await post('/api/v1/tokens', body);
      setSecret(r.token);
      setLabel('');
      setExpires('');
      await load();
    } catch (err) {
      setFormError(err);
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (c) => {
    setError(null);
    try {
      await del(`/api/v1/tokens/${c.id}`);
    } catch (e) {
      if (e.status !== 404) setError(e);
    }
    await load();
  };

  return (
    <section class="card" aria-labelledby="account-tokens-heading">
      <h2 id="account-tokens-heading">{t('account.tokens.title')}</h2>
      <p class="muted">{t('account.tokens.intro')}</p>
      <form class="account-form" onSubmit={create}>
        <div class="account-fields">
          <label>
            {t('account.tokens.label')}
            <input name="label" required maxLength={200} placeholder={t('account.tokens.label_placeholder')} value={label} onInput={(e) => setLabel(e.target.value)} />
          </label>
          <label>
            {t('account.tokens.expires')}
            <input name="expires" type="date" value={expires} onInput={(e) => setExpires(e.target.value)} />
          </label>
        </div>
        <ErrorBox error={formError} />
        <button type="submit" disabled={busy}>
          {t('account.tokens.create')}
        </button>
      </form>
      {secret && <Secret value={secret} />}
      <ErrorBox error={error} onRetry={load} />
      {!items && !error && <Spinner />}
      {items && !items.length && <p class="muted">{t('account.tokens.empty')}</p>}
      {items && items.length > 0 && (
        <ul class="account-tokens">
          {items.map((c) => {
            const name = c.label || t(`account.tokens.kind.${c.kind}`);
            return (
              <li key={c.id} data-credential={c.id}>
                <strong>{name}</strong>
                {c.label && <span class="muted"> · {t(`account.tokens.kind.${c.kind}`)}</span>}
                {c.current && <span class="badge account-current">{t('account.tokens.current')}</span>}
                <p class="account-meta">
                  {t('account.tokens.created_at', { time: formatDateTime(c.created_at) })}
                  {' · '}
                  {c.expires_at ? t('account.tokens.expires_at', { time: formatDateTime(c.expires_at) }) : t('account.tokens.never')}
                  {c.last_used_at && ` · ${t('account.tokens.last_used', { time: formatDateTime(c.last_used_at) })}`}
                  {c.client_address && ` · ${t('account.tokens.address', { address: c.client_address })}`}
                </p>
                {!c.current && (
                  <button type="button" onClick={() => revoke(c)}>
                    {t('account.tokens.revoke')}
                    <span class="visually-hidden"> {name} ({formatDateTime(c.created_at)})</span>
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

export function AccountPage({ user }) {
  useTitle(t('account.title'));
  const [version, setVersion] = useState(0);
  return (
    <section class="stack account">
      <h1>{t('account.title')}</h1>
      <Profile user={user} />
      <PasswordChange onChanged={() => setVersion((n) => n + 1)} />
      <Tokens version={version} />
    </section>
  );
}

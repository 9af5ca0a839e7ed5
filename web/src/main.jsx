// kho's web UI: the shell (header, navigation, language) and the route
// table. Each page lives in pages/ and registers its own messages.
import { h, render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Link, match, navigate, useLocation } from './router.js';
import { language, setLang, t } from './i18n.js';
import { useSignal } from './state.js';
import { canUpload, isStaff, loadMe, me, signOut } from './session.js';
import { ErrorBox, Spinner } from './components.jsx';
import { LoginPage } from './pages/login.jsx';
import { CatalogPage } from './pages/catalog.jsx';

// Pages other than the catalog load when first opened (esbuild splits them
// into chunks), so the first load stays small.
function lazy(load, name) {
  let loaded = null;
  let pending = null;
  return function LazyPage(props) {
    const [, ready] = useState(0);
    const [error, setError] = useState(null);
    useEffect(() => {
      if (loaded) return;
      pending = pending || load().then((m) => (loaded = m[name]));
      pending.then(() => ready((n) => n + 1), setError);
    }, []);
    if (error) return <ErrorBox error={error} onRetry={() => location.reload()} />;
    return loaded ? h(loaded, props) : <Spinner />;
  };
}

const AssetPage = lazy(() => import('./pages/asset.jsx'), 'AssetPage');
const UploadPage = lazy(() => import('./pages/upload.jsx'), 'UploadPage');
const MyMaterialsPage = lazy(() => import('./pages/my.jsx'), 'MyMaterialsPage');
const ReviewsPage = lazy(() => import('./pages/reviews.jsx'), 'ReviewsPage');
const PressKitsPage = lazy(() => import('./pages/press.jsx'), 'PressKitsPage');
const PressKitPage = lazy(() => import('./pages/press.jsx'), 'PressKitPage');
const ShareLandingPage = lazy(() => import('./pages/share.jsx'), 'ShareLandingPage');
const UsersPage = lazy(() => import('./pages/admin.jsx'), 'UsersPage');
const UnitsPage = lazy(() => import('./pages/admin.jsx'), 'UnitsPage');
const ReportsPage = lazy(() => import('./pages/reports.jsx'), 'ReportsPage');
const AccountPage = lazy(() => import('./pages/account.jsx'), 'AccountPage');

// pattern, page, who may open it (null: anyone, even signed out)
const routes = [
  ['/s/{token}', ShareLandingPage, null],
  ['/login', LoginPage, null],
  ['/', CatalogPage, () => true],
  ['/catalog', CatalogPage, () => true],
  ['/assets/{id}', AssetPage, () => true],
  ['/upload', UploadPage, canUpload],
  ['/my', MyMaterialsPage, canUpload],
  ['/reviews', ReviewsPage, isStaff],
  ['/press-kits', PressKitsPage, () => true],
  ['/press-kits/{id}', PressKitPage, () => true],
  ['/admin/users', UsersPage, (u) => u.role === 'admin'],
  ['/admin/units', UnitsPage, (u) => u.role === 'admin'],
  ['/admin/reports', ReportsPage, isStaff],
  ['/account', AccountPage, () => true],
];

function Nav({ user }) {
  const [open, setOpen] = useState(false);
  const { path } = useLocation();
  const items = [
    ['/catalog', 'nav.catalog', true],
    ['/upload', 'nav.upload', canUpload(user)],
    ['/my', 'nav.my', canUpload(user)],
    ['/reviews', 'nav.reviews', isStaff(user)],
    ['/press-kits', 'nav.press', isStaff(user) || user.role === 'journalist'],
    ['/admin/reports', 'nav.reports', isStaff(user)],
    ['/admin/users', 'nav.users', user.role === 'admin'],
    ['/admin/units', 'nav.units', user.role === 'admin'],
  ].filter((i) => i[2]);
  return (
    <nav aria-label={t('nav.menu')}>
      <button type="button" class="menu-toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
        {t('nav.menu')}
      </button>
      <ul class={open ? 'open' : ''}>
        {items.map(([href, key]) => (
          <li key={href}>
            <Link href={href} aria-current={path.startsWith(href) ? 'page' : undefined} onClick={() => setOpen(false)}>
              {t(key)}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function Header({ user }) {
  const l = useSignal(language);
  return (
    <header class="top">
      <a class="skip" href="#main">{t('nav.skip')}</a>
      <Link href="/" class="brand">
        <span class="logo" aria-hidden="true" />
        <span>
          <strong>{t('app.name')}</strong>
          <small>{t('app.owner')}</small>
        </span>
      </Link>
      {user && <Nav user={user} />}
      <div class="tools">
        <button type="button" class="link" lang={l === 'vi' ? 'en' : 'vi'} onClick={() => setLang(l === 'vi' ? 'en' : 'vi')}>
          {t('lang.switch')}
        </button>
        {user && (
          <>
            <Link href="/account" class="user">{user.display_name}</Link>
            <button
              type="button"
              class="link"
              onClick={async () => {
                await signOut();
                navigate('/login');
              }}
            >
              {t('nav.signout')}
            </button>
          </>
        )}
      </div>
    </header>
  );
}

function App() {
  const user = useSignal(me);
  useSignal(language);
  const { path } = useLocation();
  const [error, setError] = useState(null);
  useEffect(() => {
    if (user === undefined) loadMe().catch(setError);
  }, [user]);

  let page = null;
  let params = {};
  let allowed = null;
  for (const [pattern, component, who] of routes) {
    const m = match(pattern, path);
    if (m) {
      page = component;
      params = m;
      allowed = who;
      break;
    }
  }

  let body;
  if (error) body = <ErrorBox error={error} onRetry={() => location.reload()} />;
  else if (!page) body = <p>{t('common.notfound')}</p>;
  else if (allowed === null) body = h(page, { params });
  else if (user === undefined) body = <Spinner />;
  else if (user === null || user.must_change_password) {
    if (path !== '/login') {
      navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
      body = <Spinner />;
    }
  } else if (!allowed(user)) body = <p>{t('common.notfound')}</p>;
  else body = h(page, { params, user });

  return (
    <>
      <Header user={user && !user.must_change_password ? user : null} />
      <main id="main" tabIndex={-1}>
        {body}
      </main>
    </>
  );
}

document.documentElement.lang = language.value;
render(<App />, document.getElementById('app'));

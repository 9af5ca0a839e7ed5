// What every browser test needs: a real kho-server on a loopback port with
// a fresh data directory, people in every role, materials made through the
// API, and Debian's chromium driven by playwright-core. Each journey's
// assertions are what a person would check on the screen.
//
// Environment (set by CTest, see tests/CMakeLists.txt): KHO_SERVER_PATH,
// KHO_WEB_ROOT, KHO_SOURCE_DIR; CHROMIUM_PATH (default /usr/bin/chromium).
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

export const ADMIN_TOKEN = 'kho_e2e_admin_token_0123456789abcdefXYZ';
export const ADMIN_PASSWORD = 'Mật khẩu quản trị Bộ GDĐT 2026';
export const PASSWORD = 'Thầy ra thầy, trò ra trò 2026';
const here = dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = join(here, '..', 'artifacts');
export const SOURCE_DIR = process.env.KHO_SOURCE_DIR || join(here, '..', '..', '..');

export const SAMPLE_UNITS =
  'code,name,parent_code,province,level\r\n' +
  'BGDDT,Bộ Giáo dục và Đào tạo,,,\r\n' +
  'SGD-HN,Sở GDĐT Hà Nội,BGDDT,Hà Nội,\r\n' +
  'SGD-HUE,Sở GDĐT Huế,BGDDT,Huế,\r\n' +
  'SGD-CT,Sở GDĐT Cần Thơ,BGDDT,Cần Thơ,\r\n' +
  'THPT-CVA,Trường THPT Chu Văn An,SGD-HN,Hà Nội,upper_secondary\r\n' +
  'THPT-QH,Trường THPT Quốc Học,SGD-HUE,Huế,upper_secondary\r\n' +
  'TH-VD,Trường Tiểu học Vĩnh Ninh,SGD-HUE,Huế,primary\r\n' +
  'THPT-CVL,Trường THPT Châu Văn Liêm,SGD-CT,Cần Thơ,upper_secondary\r\n';

// A running kho-server. `await startServer()`, then `server.stop()`.
export async function startServer(extraArgs = []) {
  const exe = process.env.KHO_SERVER_PATH;
  if (!exe) throw new Error('KHO_SERVER_PATH is not set (run through ctest)');
  const dir = mkdtempSync(join(tmpdir(), 'kho-e2e-'));
  const portFile = join(dir, 'port');
  const args = ['--data-dir', join(dir, 'data'), '--listen', '127.0.0.1:0', '--port-file', portFile,
    '--access-log', join(dir, 'access.log'), '--threads', '2', '--shutdown-grace', '2'];
  if (process.env.KHO_WEB_ROOT) args.push('--web-root', process.env.KHO_WEB_ROOT);
  args.push(...extraArgs);
  const log = [];
  const child = spawn(exe, args, {
    env: { ...process.env, KHO_ADMIN_TOKEN: ADMIN_TOKEN, KHO_ADMIN_PASSWORD: ADMIN_PASSWORD },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => log.push(d.toString()));
  child.stderr.on('data', (d) => log.push(d.toString()));
  let port = 0;
  for (let i = 0; i < 200 && !port; i++) {
    if (child.exitCode !== null) throw new Error(`kho-server exited at start:\n${log.join('')}`);
    if (existsSync(portFile)) port = Number(readFileSync(portFile, 'utf8').trim());
    if (!port) await sleep(50);
  }
  if (!port) throw new Error(`kho-server did not start:\n${log.join('')}`);
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) break;
    } catch {}
    await sleep(50);
  }
  return {
    base,
    port,
    dir,
    log: () => log.join(''),
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// The API as someone: api(server, token)('POST', '/api/v1/...', body).
export function apiAs(server, token = ADMIN_TOKEN) {
  return async (method, path, body, headers = {}) => {
    const h = { Authorization: `Bearer ${token}`, ...headers };
    let payload = body;
    if (body !== undefined && !(body instanceof Uint8Array) && typeof body !== 'string') {
      h['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const res = await fetch(server.base + path, { method, headers: h, body: payload });
    const text = await res.text();
    let data = text;
    try {
      data = JSON.parse(text);
    } catch {}
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return data;
  };
}

// Units, and one person per role (all with PASSWORD, no change required).
export async function seedPeople(server) {
  const admin = apiAs(server);
  await admin('POST', '/api/v1/units/import', SAMPLE_UNITS, { 'Content-Type': 'text/csv' });
  const people = {
    designer: ['lan.nguyen', 'Nguyễn Thị Lan', 'designer'],
    reviewer: ['binh.tran', 'Trần Văn Bình', 'reviewer'],
    teacher: ['cuong.le', 'Lê Văn Cường', 'unit_member', 'THPT-CVA'],
    primary: ['dung.pham', 'Phạm Thị Dung', 'unit_member', 'TH-VD'],
    journalist: ['phong.vien', 'Phóng viên Báo GD&TĐ', 'journalist'],
  };
  const out = {};
  for (const [key, [username, display_name, role, unit]] of Object.entries(people)) {
    const body = { username, display_name, role, password: PASSWORD, must_change_password: false };
    if (unit) body.unit = unit;
    const user = await admin('POST', '/api/v1/users', body);
    const session = await fetch(`${server.base}/api/v1/sessions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password: PASSWORD }),
    }).then((r) => r.json());
    out[key] = { username, id: user.id, token: session.token, api: apiAs(server, session.token) };
  }
  return out;
}

// Uploads a file as `person` with metadata; returns the asset.
export async function upload(server, person, bytes, { title, kind = 'poster', campaign, tags = [], description, fileName }) {
  const q = new URLSearchParams({ title, kind });
  if (campaign) q.set('campaign', campaign);
  if (description) q.set('description', description);
  for (const t of tags) q.append('tag', t);
  const headers = { Authorization: `Bearer ${person.token}` };
  if (fileName) headers['Content-Disposition'] = `attachment; filename*=UTF-8''${encodeURIComponent(fileName)}`;
  const res = await fetch(`${server.base}/api/v1/assets?${q}`, { method: 'POST', headers, body: bytes });
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
  return res.json();
}

// Submits (designer) and approves (reviewer) version n.
export async function approve(people, assetId, audience = { all_units: true, press: true }, n = 1, window = {}) {
  await people.designer.api('POST', `/api/v1/assets/${assetId}/versions/${n}/submit`, {});
  await people.reviewer.api('POST', `/api/v1/assets/${assetId}/versions/${n}/approve`, { audience, ...window });
}

// Waits until every rendition job of the asset's newest version is done.
export async function waitForRenditions(person, assetId, timeoutMs = 60000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const a = await person.api('GET', `/api/v1/assets/${assetId}/renditions`);
    const pending = a.items.filter((r) => r.state && r.state !== 'done');
    if (a.items.length && !pending.length) return a.items;
    if (pending.some((r) => r.state === 'failed')) throw new Error(`rendition failed: ${JSON.stringify(pending)}`);
    if (Date.now() > end) throw new Error(`renditions not ready: ${JSON.stringify(a.items)}`);
    await sleep(250);
  }
}

// Real media made with the ffmpeg program (Debian), into the test's dir.
export function ffmpeg(args) {
  return new Promise((resolve, reject) => {
    const p = spawn('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg ${args.join(' ')}: ${err}`))));
  });
}

// Chromium with the flags the issue lists. playwright-core gives every
// launch a fresh temporary --user-data-dir of its own (and refuses one
// passed as an argument), so no profile is shared between runs.
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

// A page for `server`; records foreign requests in page.foreignRequests.
export async function openPage(browser, server, { viewport = { width: 1280, height: 900 }, locale = 'vi-VN' } = {}) {
  const context = await browser.newContext({ viewport, locale, acceptDownloads: true });
  return openAnotherPage(context, server);
}

// Signs in through the form.
export async function signIn(page, server, username, password = PASSWORD) {
  await page.goto(`${server.base}/login`);
  await page.getByLabel('Tên đăng nhập').fill(username);
  await page.getByLabel('Mật khẩu').fill(password);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

// Runs `fn(page)`, keeping a screenshot under tests/e2e/artifacts when it
// throws.
export async function withScreenshot(page, name, fn) {
  try {
    return await fn(page);
  } catch (e) {
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, `${name.replace(/[^a-z0-9-]+/gi, '_')}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    e.message += `\n(screenshot: ${file})`;
    throw e;
  }
}

// A small PNG made by ffmpeg (a real image libvips can thumbnail).
export async function makeImage(dir, name, colour = 'red', size = '640x480') {
  const file = join(dir, name);
  await ffmpeg(['-f', 'lavfi', '-i', `color=c=${colour}:s=${size}:d=1`, '-frames:v', '1', file]);
  return file;
}

// Waits until `predicate(arg)`, run in the page, is truthy; returns its
// value. (page.waitForFunction polls through eval, which kho's CSP forbids
// once the first check fails; page.evaluate is not subject to it.)
// Waits until the page's title is `expected`: the UI sets it in an effect,
// so it may change just after the page's heading is on screen. Fails with
// the title it last saw.
export async function waitForTitle(page, expected, { timeout = 15000 } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const title = await page.title();
    if (title === expected) return;
    if (Date.now() > end) throw new Error(`the page title stayed "${title}", not "${expected}"`);
    await sleep(50);
  }
}

export async function pollPage(page, predicate, arg, { timeout = 15000, interval = 50 } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const value = await page.evaluate(predicate, arg);
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${predicate.toString().slice(0, 200)}`);
    await sleep(interval);
  }
}

// Drops files from disk onto `locator` (a drop zone) the way a person drags
// them from the file manager: a DataTransfer built in the page, then
// dragenter, dragover and drop. `files`: [{path, name?, type?, lastModified?}];
// lastModified defaults to a fixed time, so dropping the same path again
// drops the same File (resumable uploads recognise a file by it).
export async function dropFiles(locator, files) {
  const types = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', pdf: 'application/pdf', mp4: 'video/mp4',
    webm: 'video/webm', mp3: 'audio/mpeg', wav: 'audio/wav', tif: 'image/tiff', tiff: 'image/tiff' };
  const payload = files.map((f) => {
    const name = f.name ?? f.path.split('/').pop();
    const ext = name.split('.').pop().toLowerCase();
    return {
      name,
      type: f.type ?? types[ext] ?? 'application/octet-stream',
      lastModified: f.lastModified ?? Date.UTC(2026, 10, 1), // fixed: the same file is the same File
      data: readFileSync(f.path).toString('base64'),
    };
  });
  await locator.evaluate((el, list) => {
    const dt = new DataTransfer();
    for (const f of list) {
      const bin = atob(f.data);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      dt.items.add(new File([bytes], f.name, { type: f.type, lastModified: f.lastModified }));
    }
    for (const type of ['dragenter', 'dragover', 'drop']) {
      el.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
    }
  }, payload);
}

// A tab in a browser context (another one shares its cookies and
// localStorage), recording in page.foreignRequests every request to a host
// other than kho's and in page.consoleErrors what the page logged as errors.
export async function openAnotherPage(context, server) {
  const page = await context.newPage();
  page.foreignRequests = [];
  page.consoleErrors = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (!['data:', 'blob:'].includes(u.protocol) && u.host !== `127.0.0.1:${server.port}`) page.foreignRequests.push(r.url());
  });
  // The signed-out check of /api/v1/me answers 401 by design: not an error.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 401/.test(m.text())) page.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => page.consoleErrors.push(String(e)));
  return page;
}

// An image of random pixels, which hardly compresses (2200x1600: a PNG of
// about 5 MB), for uploads big enough to interrupt.
export async function makeNoiseImage(dir, name, size = '2200x1600') {
  const file = join(dir, name);
  await ffmpeg(['-f', 'lavfi', '-i', `nullsrc=s=${size}:d=1,format=rgb24,geq=r='random(1)*255':g='random(2)*255':b='random(3)*255'`,
    '-frames:v', '1', '-pix_fmt', 'rgb24', file]);
  return file;
}

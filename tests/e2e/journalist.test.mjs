// Journey 4, the journalist: a press kit under embargo stays invisible
// until the ministry lifts the embargo; then the journalist opens it, reads
// the release, captions and credits, and downloads everything as one ZIP
// whose bytes are the originals. Someone without an account opens a share
// link with its password; revoked, used-up, invalid and embargoed links
// each say why. The reviewer prepares a kit and shares it from the browser,
// and anyone changes their own password and manages API tokens.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PASSWORD, approve, launchBrowser, makeImage, openPage, seedPeople, signIn, startServer, upload,
  waitForRenditions, waitForTitle, withScreenshot,
} from './support/kho.mjs';

const KIT_TITLE = 'Thông cáo báo chí Nghị quyết 71 về đột phá giáo dục';
const LINK_PASSWORD = 'Báo chí 2026';
const POSTER_CAPTION = 'Áp phích khổ A0 tuyên truyền Nghị quyết 71-NQ/TW';
const INFO_CAPTION = 'Infographic: thầy ra thầy, trò ra trò';

let server, people, browser, dir;
const bytes = {};
const ids = {};
let kit, embargoedKit;

const sha256 = (b) => createHash('sha256').update(b).digest('hex');

// formatSize of web/src/format.js, in Vietnamese: "12,3 MB".
function viSize(n) {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const digits = i === 0 || v >= 100 ? 0 : 1;
  return `${v.toLocaleString('vi-VN', { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${units[i]}`;
}

// Clicks `locator`, saves what the browser downloads as `name`; returns the path.
async function download(page, locator, name) {
  const [dl] = await Promise.all([page.waitForEvent('download'), locator.click()]);
  const file = join(dir, name);
  await dl.saveAs(file);
  assert.equal(await dl.failure(), null);
  return { file, suggested: dl.suggestedFilename() };
}

// The browser logs every refused request; on the share landing those are
// the answers under test (403 wrong password or invalid, 404 embargoed,
// 410 revoked). Anything else is a bug.
function unexpectedConsoleErrors(page, statuses) {
  const expected = new RegExp(`^Failed to load resource: the server responded with a status of (${statuses.join('|')})\\b`);
  return page.consoleErrors.filter((e) => !expected.test(e));
}

before(async () => {
  server = await startServer();
  people = await seedPeople(server);
  browser = await launchBrowser();
  dir = mkdtempSync(join(tmpdir(), 'kho-e2e-press-'));
  bytes.poster = readFileSync(await makeImage(dir, 'poster.png', 'red'));
  bytes.info = readFileSync(await makeImage(dir, 'info.png', 'navy', '480x640'));
  ids.poster = (await upload(server, people.designer, bytes.poster, {
    title: 'Áp phích Nghị quyết 71', kind: 'poster', campaign: 'Nghị quyết 71', fileName: 'Áp phích Nghị quyết 71.png',
  })).id;
  ids.info = (await upload(server, people.designer, bytes.info, {
    title: 'Infographic thầy ra thầy, trò ra trò', kind: 'infographic', campaign: 'Nghị quyết 71', fileName: 'Infographic thầy ra thầy.png',
  })).id;
  for (const id of Object.values(ids)) await waitForRenditions(people.designer, id);
  for (const id of Object.values(ids)) await approve(people, id, { all_units: true, press: true });
  const inAnHour = new Date(Date.now() + 3600 * 1000).toISOString();
  kit = await people.reviewer.api('POST', '/api/v1/press-kits', {
    title: KIT_TITLE,
    release: '# Đột phá phát triển giáo dục\n\nBộ Giáo dục và Đào tạo công bố **kế hoạch truyền thông** Nghị quyết 71-NQ/TW.\n\n- quốc sách hàng đầu\n- thầy ra thầy, trò ra trò\n',
    contact: 'Vụ Truyền thông, Bộ GDĐT — 024 3869 0000',
    items: [
      { asset: ids.poster, version: 1, caption: POSTER_CAPTION, credit: 'Bộ GDĐT' },
      { asset: ids.info, version: 1, caption: INFO_CAPTION, credit: 'Báo Giáo dục và Thời đại' },
    ],
    embargo_until: inAnHour,
  });
  embargoedKit = await people.reviewer.api('POST', '/api/v1/press-kits', {
    title: 'Thông cáo: khai giảng năm học mới',
    release: 'Sẽ công bố sau.',
    items: [{ asset: ids.poster, version: 1, caption: 'Áp phích' }],
    embargo_until: inAnHour,
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a journalist sees the kit only once the embargo is lifted, and downloads all of it', async () => {
  const page = await openPage(browser, server);
  await withScreenshot(page, 'journalist-kit', async () => {
    await signIn(page, server, people.journalist.username);
    await page.getByRole('link', { name: 'Báo chí' }).click();
    await page.getByText('Chưa có bộ tài liệu báo chí nào được công bố.').waitFor();
    await waitForTitle(page, 'Bộ tài liệu báo chí · Kho tài liệu truyền thông');
    assert.equal(await page.getByText(KIT_TITLE).count(), 0);
    await assert.rejects(people.journalist.api('GET', `/api/v1/press-kits/${kit.id}`), /404/);

    // The ministry lifts the embargo.
    await people.reviewer.api('PATCH', `/api/v1/press-kits/${kit.id}`, { embargo_until: new Date(Date.now() - 60000).toISOString() });
    await page.reload();
    const link = page.getByRole('link', { name: KIT_TITLE });
    await link.waitFor();
    assert.match(await page.locator('.press-list li').textContent(), /2 tài liệu · Công bố \d\d\/\d\d\/\d{4}/);
    assert.equal(await page.getByText('Thông cáo: khai giảng năm học mới').count(), 0, 'the other kit is still under embargo');
    await link.click();

    await page.getByRole('heading', { level: 1, name: KIT_TITLE }).waitFor();
    await waitForTitle(page, `${KIT_TITLE} · Kho tài liệu truyền thông`);
    // The release is the server's HTML, not Markdown source.
    await page.locator('.press-release h1', { hasText: 'Đột phá phát triển giáo dục' }).waitFor();
    assert.equal(await page.locator('.press-release strong').textContent(), 'kế hoạch truyền thông');
    assert.equal(await page.locator('.press-release li').count(), 2);
    await page.getByText('Vụ Truyền thông, Bộ GDĐT — 024 3869 0000').waitFor();
    // Captions, credits and thumbnails, in kit order.
    assert.deepEqual(await page.locator('.press-items .press-caption').allTextContents(), [POSTER_CAPTION, INFO_CAPTION]);
    assert.deepEqual(await page.locator('.press-items .press-credit').allTextContents(), ['Nguồn: Bộ GDĐT', 'Nguồn: Báo Giáo dục và Thời đại']);
    await page.waitForFunction(() => {
      const imgs = [...document.querySelectorAll('.press-items img')];
      return imgs.length === 2 && imgs.every((i) => i.complete && i.naturalWidth > 0);
    });
    // No staff controls for a journalist.
    assert.equal(await page.getByRole('heading', { name: 'Liên kết chia sẻ' }).count(), 0);

    // "Download all": the ZIP's size is the one announced, it is sound, and
    // the poster inside is the original, byte for byte.
    const released = await people.journalist.api('GET', `/api/v1/press-kits/${kit.id}`);
    const button = page.getByRole('link', { name: `Tải toàn bộ (ZIP, ${viSize(released.zip.size)})` });
    const { file, suggested } = await download(page, button, 'kit.zip');
    assert.equal(suggested, released.zip.file_name);
    assert.equal(statSync(file).size, released.zip.size);
    execFileSync('unzip', ['-tq', file]);
    const names = execFileSync('unzip', ['-Z1', file]).toString().trim().split('\n');
    assert.ok(names.includes('press-release.md') && names.includes('manifest.csv'), names.join(', '));
    assert.equal(sha256(execFileSync('unzip', ['-p', file, '01 *'])), sha256(bytes.poster));
    assert.equal(sha256(execFileSync('unzip', ['-p', file, '02 *'])), sha256(bytes.info));

    assert.deepEqual(page.consoleErrors, []);
    assert.deepEqual(page.foreignRequests, []);
  });
  await page.context().close();
});

test('without an account, a share link asks for its password; revoked, invalid and embargoed links say why', async () => {
  const link = await people.reviewer.api('POST', '/api/v1/share-links', { kit: kit.id, expires_in_days: 7, password: LINK_PASSWORD });
  const page = await openPage(browser, server);
  await withScreenshot(page, 'journalist-share-password', async () => {
    await page.goto(server.base + link.url);
    await page.getByRole('heading', { name: 'Liên kết này cần mật khẩu' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Báo chí' }).count(), 0, 'nobody is signed in');
    assert.equal(await page.getByText(KIT_TITLE).count(), 0, 'nothing of the kit before the password');

    await page.getByLabel('Mật khẩu').fill('không phải mật khẩu');
    await page.getByRole('button', { name: 'Mở liên kết' }).click();
    await page.getByRole('alert').filter({ hasText: 'Mật khẩu không đúng.' }).waitFor();

    await page.getByLabel('Mật khẩu').fill(LINK_PASSWORD);
    await page.getByRole('button', { name: 'Mở liên kết' }).click();
    await page.getByRole('heading', { level: 1, name: KIT_TITLE }).waitFor();
    await waitForTitle(page, `${KIT_TITLE} · Kho tài liệu truyền thông`);
    await page.locator('.press-release strong', { hasText: 'kế hoạch truyền thông' }).waitFor();
    assert.deepEqual(await page.locator('.press-items .press-caption').allTextContents(), [POSTER_CAPTION, INFO_CAPTION]);
    const released = await people.reviewer.api('GET', `/api/v1/press-kits/${kit.id}`);
    const { file } = await download(page, page.getByRole('link', { name: `Tải toàn bộ (ZIP, ${viSize(released.zip.size)})` }), 'shared.zip');
    assert.equal(statSync(file).size, released.zip.size);
    execFileSync('unzip', ['-tq', file]);
    assert.equal(sha256(execFileSync('unzip', ['-p', file, '01 *'])), sha256(bytes.poster));

    // The ministry revokes the link.
    await people.reviewer.api('DELETE', `/api/v1/share-links/${link.id}`);
    await page.reload();
    await page.getByRole('heading', { name: 'Liên kết đã bị thu hồi' }).waitFor();
    assert.equal(await page.getByText(KIT_TITLE).count(), 0);

    await page.goto(`${server.base}/s/${link.token.slice(0, -4)}`);
    await page.getByRole('heading', { name: 'Liên kết không hợp lệ' }).waitFor();

    const early = await people.reviewer.api('POST', '/api/v1/share-links', { kit: embargoedKit.id, expires_in_days: 1 });
    await page.goto(server.base + early.url);
    await page.getByRole('heading', { name: 'Tài liệu chưa được công bố' }).waitFor();
    assert.equal(await page.getByText('Thông cáo: khai giảng năm học mới').count(), 0);

    assert.deepEqual(unexpectedConsoleErrors(page, [403, 404, 410]), []);
    assert.deepEqual(page.foreignRequests, []);
  });
  await page.context().close();
});

test('the reviewer prepares a kit in the browser and shares it; the link opens signed out', async () => {
  const page = await openPage(browser, server);
  const visitor = await openPage(browser, server, { viewport: { width: 390, height: 844 } });
  await withScreenshot(page, 'journalist-staff', async () => {
    await signIn(page, server, people.reviewer.username);
    await page.goto(`${server.base}/press-kits`);
    // Staff see every kit with its status.
    const row = (title) => page.locator('.press-list li', { has: page.getByRole('link', { name: title, exact: true }) });
    await row(KIT_TITLE).getByText('Đã công bố').waitFor();
    assert.match(await row('Thông cáo: khai giảng năm học mới').textContent(), /Cấm công bố đến \d\d:\d\d \d\d\/\d\d\/\d{4}/);

    await page.getByRole('button', { name: 'Tạo bộ tài liệu báo chí' }).click();
    const title = 'Thông cáo: Chuyển đổi số trong giáo dục';
    await page.getByLabel('Tiêu đề').fill(title);
    await page.getByLabel('Thông cáo báo chí (Markdown)').fill('Bộ GDĐT đẩy mạnh **chuyển đổi số** trong toàn ngành.');
    await page.getByLabel('Liên hệ báo chí').fill('Vụ Truyền thông, 024 3869 0000');
    await page.getByLabel('Tìm tài liệu đã duyệt').fill('ap phich nghi quyet');
    const add = page.getByRole('button', { name: 'Thêm – Áp phích Nghị quyết 71' });
    await add.click();
    await page.getByRole('button', { name: 'Đã thêm – Áp phích Nghị quyết 71' }).waitFor();
    await page.getByLabel('Chú thích – Áp phích Nghị quyết 71').fill('Áp phích chuyển đổi số');
    await page.getByLabel('Nguồn (ghi công) – Áp phích Nghị quyết 71').fill('Bộ GDĐT');
    await page.getByRole('button', { name: 'Tạo bộ tài liệu', exact: true }).click();
    await page.waitForURL((u) => /^\/press-kits\/[0-9A-Z]{26}$/.test(u.pathname));
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
    await page.locator('.press-meta').getByText('Đã công bố').waitFor();
    assert.deepEqual(await page.locator('.press-items .press-caption').allTextContents(), ['Áp phích chuyển đổi số']);
    await page.locator('.press-release strong', { hasText: 'chuyển đổi số' }).waitFor();

    // A share link for one download, without a password.
    await page.getByLabel('Số ngày hiệu lực (1–90)').fill('3');
    await page.getByLabel('Giới hạn lượt tải xuống (không bắt buộc)').fill('1');
    await page.getByRole('button', { name: 'Tạo liên kết chia sẻ' }).click();
    const address = page.getByRole('status').filter({ hasText: 'Đã tạo liên kết chia sẻ.' }).getByLabel('Địa chỉ liên kết');
    await address.waitFor();
    const url = await address.inputValue();
    assert.match(url, new RegExp(`^${server.base}/s/[A-Za-z0-9_-]+$`));
    const item = page.locator('.press-links > li');
    await item.getByText('Đang hoạt động').waitFor();
    assert.match(await item.textContent(), /0\/1 lượt tải xuống/);

    // Someone without an account, on a phone, opens it and downloads once.
    await visitor.goto(url);
    await visitor.getByRole('heading', { level: 1, name: title }).waitFor();
    await visitor.getByText('Còn 1 lượt tải xuống.').waitFor();
    const created = await people.reviewer.api('GET', `/api/v1/press-kits/${new URL(page.url()).pathname.split('/').pop()}`);
    const { file } = await download(visitor, visitor.getByRole('link', { name: /^Tải toàn bộ \(ZIP, / }), 'ui-shared.zip');
    assert.equal(statSync(file).size, created.zip.size);
    execFileSync('unzip', ['-tq', file]);
    await visitor.reload();
    await visitor.getByRole('heading', { name: 'Liên kết đã hết lượt tải xuống' }).waitFor();

    // The reviewer revokes it from the kit page.
    await page.reload();
    await item.getByText('Hết lượt tải').waitFor();
    await item.getByRole('button', { name: /^Thu hồi/ }).click();
    await item.getByText('Đã thu hồi').waitFor();
    await visitor.reload();
    await visitor.getByRole('heading', { name: 'Liên kết đã bị thu hồi' }).waitFor();

    assert.deepEqual(page.consoleErrors, []);
    assert.deepEqual(page.foreignRequests, []);
    assert.deepEqual(unexpectedConsoleErrors(visitor, [410]), []);
    assert.deepEqual(visitor.foreignRequests, []);
  });
  await visitor.context().close();
  await page.context().close();
});

test('on the account page a journalist makes and revokes an API token and changes the password', async () => {
  const page = await openPage(browser, server);
  const NEW_PASSWORD = 'Quyết liệt, nhanh chóng, hiệu quả';
  await withScreenshot(page, 'journalist-account', async () => {
    await signIn(page, server, people.journalist.username);
    await page.getByRole('link', { name: 'Phóng viên Báo GD&TĐ' }).click();
    await page.getByRole('heading', { level: 1, name: 'Tài khoản của tôi' }).waitFor();
    await waitForTitle(page, 'Tài khoản của tôi · Kho tài liệu truyền thông');
    const profile = page.locator('.account-profile');
    assert.match(await profile.textContent(), /phong\.vien/);
    assert.match(await profile.textContent(), /Nhà báo/);
    await page.locator('.account-tokens').getByText('Phiên này').waitFor();

    // An API token, shown once, that works until it is revoked.
    await page.getByLabel('Tên gọi (mã này dùng để làm gì)').fill('Đồng bộ ảnh – Báo GD&TĐ');
    await page.getByRole('button', { name: 'Tạo mã API' }).click();
    const secret = await page.getByLabel('Mã API', { exact: true }).inputValue();
    const me = (token) => fetch(`${server.base}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` } });
    const res = await me(secret);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).username, 'phong.vien');
    const revoke = page.getByRole('button', { name: /^Thu hồi Đồng bộ ảnh – Báo GD&TĐ/ });
    await revoke.click();
    await revoke.waitFor({ state: 'detached' });
    assert.equal((await me(secret)).status, 401);

    // A new password, then sign in with it (the old one no longer works).
    await page.getByLabel('Mật khẩu hiện tại').fill(PASSWORD);
    await page.getByLabel('Mật khẩu mới', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Nhập lại mật khẩu mới').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Đổi mật khẩu' }).click();
    await page.getByRole('status').filter({ hasText: 'Đã đổi mật khẩu.' }).waitFor();
    await page.getByRole('button', { name: 'Đăng xuất' }).click();
    await page.waitForURL((u) => u.pathname === '/login');
    await page.getByLabel('Tên đăng nhập').fill(people.journalist.username);
    await page.getByLabel('Mật khẩu').fill(PASSWORD);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.getByRole('alert').waitFor();
    await signIn(page, server, people.journalist.username, NEW_PASSWORD);
    await page.getByRole('link', { name: 'Phóng viên Báo GD&TĐ' }).waitFor();

    assert.deepEqual(page.consoleErrors, []);
    assert.deepEqual(page.foreignRequests, []);
  });
  await page.context().close();
});

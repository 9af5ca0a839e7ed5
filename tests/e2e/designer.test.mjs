// Journey 1, the designer: drops several files on "Tải lên", describes
// them, watches each progress bar, finds them in "Tài liệu của tôi" with
// their thumbnails; an upload cut by a lost network and then by a closed
// tab resumes where it stopped (the server never gets a byte twice); on the
// material's page she edits the details, submits it, reads the reviewer's
// reason, answers, uploads a corrected version 2 and submits it again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  dropFiles, launchBrowser, makeImage, makeNoiseImage, openAnotherPage, openPage, seedPeople, signIn, startServer,
  upload, withScreenshot,
} from './support/kho.mjs';

const CHUNK = 2 * 1024 * 1024; // web/src/pages/upload.jsx CHUNK_SIZE
const CAMPAIGN = 'Nghị quyết 71-NQ/TW';
let server, people, browser, dir;
const files = {};

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

// Waits until fn() is truthy (evaluated from Node: the CSP forbids
// page.waitForFunction's eval).
async function until(fn, what, timeout = 20000) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function original(person, id) {
  const res = await fetch(`${server.base}/api/v1/assets/${id}/original`, { headers: { Authorization: `Bearer ${person.token}` } });
  assert.equal(res.status, 200);
  return Buffer.from(await res.arrayBuffer());
}

before(async () => {
  server = await startServer();
  people = await seedPeople(server);
  browser = await launchBrowser();
  dir = mkdtempSync(join(tmpdir(), 'kho-e2e-designer-'));
  files.poster = await makeImage(dir, 'Áp phích Nghị quyết 71.png', 'red');
  files.infographic = await makeImage(dir, 'Infographic chuyển đổi số.png', 'navy');
  files.big = await makeNoiseImage(dir, 'Ảnh nền hội nghị.png');
  files.v1 = await makeImage(dir, 'Áp phích thầy ra thầy.png', 'orange');
  files.v2 = await makeImage(dir, 'Áp phích thầy ra thầy (bản sửa).png', 'maroon');
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a designer drops several files, describes them, and finds them with thumbnails in "Tài liệu của tôi"', async () => {
  const page = await openPage(browser, server);
  await withScreenshot(page, 'designer-upload', async () => {
    await signIn(page, server, people.designer.username);
    await page.getByRole('link', { name: 'Tải lên', exact: true }).click();
    await page.getByRole('heading', { name: 'Tải lên tài liệu truyền thông' }).waitFor();
    await until(async () => (await page.title()) === 'Tải lên tài liệu truyền thông · Kho tài liệu truyền thông', 'the page title');

    // Details shared by the files she is about to add.
    const common = page.getByRole('group', { name: 'Thông tin chung cho các tệp sắp thêm' });
    await common.getByLabel('Loại').selectOption({ label: 'Áp phích' });
    await common.getByLabel('Chiến dịch').fill(CAMPAIGN);
    await common.getByLabel('Thẻ (cách nhau bởi dấu phẩy)').fill('nq71, chuyển đổi số');

    // "Chọn tệp" is a real file input, reachable by keyboard, with a visible focus ring.
    const input = page.getByLabel('Chọn tệp');
    await input.focus();
    assert.notEqual(await page.locator('label[for="upload-files"]').evaluate((el) => getComputedStyle(el).outlineStyle), 'none');

    // She drops two files on the zone.
    await dropFiles(page.locator('[data-dropzone="upload-files"]'), [{ path: files.poster }, { path: files.infographic }]);
    const poster = page.getByRole('article', { name: 'Áp phích Nghị quyết 71.png' });
    const info = page.getByRole('article', { name: 'Infographic chuyển đổi số.png' });
    for (const [card, name] of [[poster, 'Áp phích Nghị quyết 71.png'], [info, 'Infographic chuyển đổi số.png']]) {
      await card.getByText('Đã tải lên.').waitFor();
      const bar = card.getByRole('progressbar', { name: `Tiến độ tải lên ${name}` });
      assert.equal(await bar.getAttribute('value'), '100');
      assert.equal(await card.locator('.upload-pct').textContent(), '100 %');
    }
    // The title is the file name without its extension; she corrects the
    // infographic's title and kind, and saves.
    assert.equal(await poster.getByLabel('Tiêu đề').inputValue(), 'Áp phích Nghị quyết 71');
    await info.getByLabel('Tiêu đề').fill('Infographic: chuyển đổi số trong giáo dục');
    await info.getByLabel('Loại').selectOption({ label: 'Infographic' });
    await info.getByRole('button', { name: 'Lưu thông tin' }).click();
    await info.getByText('Đã lưu thông tin.').waitFor();

    // A link to each new material.
    const link = poster.getByRole('link', { name: 'Mở tài liệu “Áp phích Nghị quyết 71”' });
    const posterId = (await link.getAttribute('href')).split('/').pop();
    await info.getByRole('link', { name: 'Mở tài liệu “Infographic: chuyển đổi số trong giáo dục”' }).waitFor();

    // What kho holds.
    const held = await people.designer.api('GET', `/api/v1/assets/${posterId}`);
    assert.equal(held.title, 'Áp phích Nghị quyết 71');
    assert.equal(held.kind, 'poster');
    assert.equal(held.campaign, CAMPAIGN);
    assert.deepEqual(held.tags, ['nq71', 'chuyển đổi số']);
    assert.equal(held.versions[0].file_name, 'Áp phích Nghị quyết 71.png');
    assert.equal(held.versions[0].sha256, sha256(readFileSync(files.poster)));
    const list = await people.designer.api('GET', '/api/v1/assets');
    const infoAsset = list.items.find((a) => a.title === 'Infographic: chuyển đổi số trong giáo dục');
    assert.equal(infoAsset?.kind, 'infographic');
    assert.equal(infoAsset.campaign, CAMPAIGN);

    // "Tài liệu của tôi": both, as drafts, with their thumbnails once made.
    // (The first answer about each material says its previews are still
    // being made, as on a busy day, so the page has to keep asking.)
    const answeredOnce = new Set();
    await page.route('**/api/v1/assets/*/versions', async (route) => {
      const res = await route.fetch();
      const id = new URL(route.request().url()).pathname.split('/').at(-2);
      if (answeredOnce.has(id) || !res.ok()) return route.fulfill({ response: res });
      answeredOnce.add(id);
      const body = await res.json();
      for (const v of body.items) v.renditions = v.renditions.map((r) => ({ name: r.name, state: 'running', error: null, job: r.job ?? '' }));
      return route.fulfill({ response: res, json: body });
    });
    await page.getByRole('link', { name: 'Tài liệu của tôi', exact: true }).click();
    await page.getByRole('heading', { name: 'Tài liệu của tôi' }).waitFor();
    await until(async () => (await page.title()) === 'Tài liệu của tôi · Kho tài liệu truyền thông', 'the page title');
    const items = page.locator('.my-item');
    await until(async () => (await items.count()) === 2, 'two materials');
    assert.deepEqual(
      (await page.locator('.my-item-title').allTextContents()).sort(),
      ['Áp phích Nghị quyết 71', 'Infographic: chuyển đổi số trong giáo dục'].sort(),
    );
    await items.first().getByText(/^Đang tạo bản xem trước: \d\/\d xong\.$/).waitFor();
    await items.first().locator('.my-r', { hasText: 'Ảnh thu nhỏ: đang chạy' }).waitFor();
    for (let i = 0; i < 2; i++) {
      const item = items.nth(i);
      await item.locator('.badge', { hasText: 'Bản nháp' }).waitFor();
      const img = item.locator('img.thumb');
      await img.waitFor({ timeout: 60000 }); // previews wait their turn on a busy machine
      await until(() => img.evaluate((el) => el.complete && el.naturalWidth > 0), 'the thumbnail to load');
      await item.getByText(/Đã tạo xong \d+ bản xem trước\./).waitFor();
    }
    await page.locator('button[data-state="draft"]', { hasText: '2' }).waitFor();
    await page.unroute('**/api/v1/assets/*/versions');

    // A draft goes to review straight from the list; the state filter follows.
    const posterItem = page.locator('.my-item', { hasText: 'Áp phích Nghị quyết 71' });
    await posterItem.getByRole('button', { name: 'Gửi duyệt' }).click();
    await page.getByText('Đã gửi duyệt “Áp phích Nghị quyết 71”.').waitFor();
    await posterItem.locator('.badge', { hasText: 'Chờ duyệt' }).waitFor();
    assert.equal((await people.designer.api('GET', `/api/v1/assets/${posterId}/versions/1`)).state, 'in_review');
    await page.locator('button[data-state="in_review"]', { hasText: '1' }).click();
    await until(async () => (await items.count()) === 1, 'the list filtered to the material in review');
    assert.equal(await page.locator('button[data-state="in_review"]').getAttribute('aria-pressed'), 'true');

    assert.deepEqual(page.consoleErrors, []);
    assert.deepEqual(page.foreignRequests, []);
  });
  await page.context().close();
});

test('an upload cut by a lost network, then by a closed tab, resumes where it stopped', async () => {
  const page = await openPage(browser, server);
  const context = page.context();
  const name = 'Ảnh nền hội nghị.png';
  const size = statSync(files.big).size;
  assert.ok(size > 2 * CHUNK, `${size} bytes: three chunks at least`);
  const title = 'Ảnh nền hội nghị triển khai Nghị quyết 71';

  // What reached the server: tus requests that got an answer.
  const answered = [];
  context.on('requestfinished', async (r) => {
    if (!r.url().includes('/api/v1/uploads')) return;
    const res = await r.response();
    answered.push({ method: r.method(), offset: Number(r.headers()['upload-offset'] ?? -1), status: res?.status() });
  });
  // The network fails on the second chunk, and again on the third, when
  // she closes the tab; in the new tab the third chunk waits until the
  // test has read the page.
  let phase = 'lose-network';
  let lostAgain, releaseThird;
  const lostAgainSeen = new Promise((resolve) => (lostAgain = resolve));
  const thirdReleased = new Promise((resolve) => (releaseThird = resolve));
  await context.route('**/api/v1/uploads/*', async (route) => {
    const req = route.request();
    const offset = Number(req.headers()['upload-offset']);
    if (req.method() === 'PATCH' && phase === 'lose-network' && offset === CHUNK) {
      phase = 'offline';
      await context.setOffline(true);
      return route.abort('internetdisconnected');
    }
    if (req.method() === 'PATCH' && phase === 'lose-again' && offset === 2 * CHUNK) {
      phase = 'closing';
      await context.setOffline(true);
      lostAgain();
      return route.abort('internetdisconnected');
    }
    if (req.method() === 'PATCH' && phase === 'new-tab' && offset === 2 * CHUNK) await thirdReleased;
    return route.continue();
  });

  await withScreenshot(page, 'designer-resume', async () => {
    await signIn(page, server, people.designer.username);
    await page.goto(`${server.base}/upload`);
    await dropFiles(page.locator('[data-dropzone="upload-files"]'), [{ path: files.big }]);
    const card = page.getByRole('article', { name });
    const bar = card.getByRole('progressbar', { name: `Tiến độ tải lên ${name}` });

    // The network goes: the card says so, its bar stays where the server is.
    const offline = card.getByText('Mất kết nối mạng: sẽ tự tiếp tục khi có mạng trở lại.');
    await offline.waitFor();
    assert.equal(Number(await bar.getAttribute('value')), Math.floor((CHUNK * 100) / size));
    // Meanwhile she gives it a proper title.
    await card.getByLabel('Tiêu đề').fill(title);

    // The network comes back: the upload continues by itself from 2 MB,
    // until the network goes again during the third chunk.
    phase = 'lose-again';
    await context.setOffline(false);
    await lostAgainSeen;
    await offline.waitFor();
    assert.equal(Number(await bar.getAttribute('value')), Math.floor((2 * CHUNK * 100) / size));
  });
  // She gives up for today and closes the tab.
  const firstTabErrors = page.consoleErrors;
  const firstTabForeign = page.foreignRequests;
  await page.close();
  await context.setOffline(false);

  phase = 'new-tab';
  const page2 = await openAnotherPage(context, server);
  await withScreenshot(page2, 'designer-resume-new-tab', async () => {
    await page2.goto(`${server.base}/upload`);
    // kho remembers the unfinished file and how far it got.
    const unfinished = page2.getByRole('region', { name: 'Tệp chưa tải xong' });
    const total = `${(size / 1048576).toFixed(1).replace('.', ',')} MB`;
    await unfinished.getByText(`${name} · đã tải 4,0 MB / ${total}`, { exact: false }).waitFor();
    // She drops the same file again: it continues from 4 MB and completes.
    await dropFiles(page2.locator('[data-dropzone="upload-files"]'), [{ path: files.big }]);
    const card = page2.getByRole('article', { name });
    await card.getByText('Đang tải lên, tiếp tục từ 4,0 MB đã có trên máy chủ…').waitFor();
    const bar = card.getByRole('progressbar', { name: `Tiến độ tải lên ${name}` });
    assert.equal(Number(await bar.getAttribute('value')), Math.floor((2 * CHUNK * 100) / size));
    // The title she typed before the tab closed is back.
    assert.equal(await card.getByLabel('Tiêu đề').inputValue(), title);
    releaseThird();
    await card.getByText('Đã tải lên.').waitFor();
    await card.getByText('Đã lưu thông tin.').waitFor(); // the title typed during the upload
    assert.equal(await bar.getAttribute('value'), '100');
    const link = card.getByRole('link', { name: `Mở tài liệu “${title}”` });
    await link.waitFor();
    const id = (await link.getAttribute('href')).split('/').pop();
    await until(() => unfinished.count().then((n) => n === 0), 'the unfinished list to empty');

    // One upload was created, and each byte went to the server once.
    await until(() => answered.filter((r) => r.method === 'PATCH').length >= 3, 'three chunks answered');
    const creations = answered.filter((r) => r.method === 'POST');
    const patches = answered.filter((r) => r.method === 'PATCH');
    assert.equal(creations.length, 1);
    assert.deepEqual(patches.map((r) => [r.offset, r.status]), [[0, 204], [CHUNK, 204], [2 * CHUNK, 204]]);
    assert.equal(answered.filter((r) => r.method === 'HEAD').length, 2, 'resumed twice, after asking the server its offset');

    // The stored bytes are the file's, under the title she chose.
    const asset = await people.designer.api('GET', `/api/v1/assets/${id}`);
    assert.equal(asset.title, title);
    assert.equal(asset.versions[0].size, size);
    assert.equal(sha256(await original(people.designer, id)), sha256(readFileSync(files.big)));
    assert.equal(await page2.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('tus::') || k.startsWith('kho.upload')).length), 0);

    // The only errors of the first tab are the two chunks the network dropped.
    assert.equal(firstTabErrors.length, 2, firstTabErrors.join('\n'));
    assert.ok(firstTabErrors.every((e) => /net::ERR_INTERNET_DISCONNECTED/.test(e)), firstTabErrors.join('\n'));
    assert.deepEqual(firstTabForeign, []);
    assert.deepEqual(page2.consoleErrors, []);
    assert.deepEqual(page2.foreignRequests, []);
  });
  await context.close();
});

test('the designer submits, reads the reviewer’s reason, answers and submits a corrected version 2', async () => {
  const created = await upload(server, people.designer, readFileSync(files.v1), {
    title: 'Áp phích “Thầy ra thầy, trò ra trò”', kind: 'poster', campaign: CAMPAIGN, tags: ['nq71'],
    fileName: 'Áp phích thầy ra thầy.png',
  });
  const id = created.id;
  const page = await openPage(browser, server);
  await withScreenshot(page, 'designer-panel', async () => {
    await signIn(page, server, people.designer.username);
    await page.goto(`${server.base}/assets/${id}`);
    const panel = page.getByRole('region', { name: 'Quản lý tài liệu' });
    await panel.waitFor();

    // She completes the details (saved with the asset's revision).
    await panel.getByLabel('Mô tả').fill('Áp phích khổ A0 cho các trường THPT.');
    await panel.getByLabel('Thẻ (cách nhau bởi dấu phẩy)').fill('nq71, áp phích, giáo viên');
    await panel.getByRole('button', { name: 'Lưu thông tin' }).click();
    await panel.getByText('Đã lưu thông tin.').waitFor();
    let held = await people.designer.api('GET', `/api/v1/assets/${id}`);
    assert.deepEqual(held.tags, ['nq71', 'áp phích', 'giáo viên']);
    assert.equal(held.description, 'Áp phích khổ A0 cho các trường THPT.');

    // Someone else changes the campaign meanwhile: her next save is refused,
    // explained, and goes through once she saves again, keeping both edits.
    await people.designer.api('PATCH', `/api/v1/assets/${id}`, { campaign: 'Nghị quyết 71' }, { 'If-Match': `"r${held.revision}"` });
    await panel.getByLabel('Tiêu đề').fill('Áp phích “Thầy ra thầy, trò ra trò” khổ A0');
    await panel.getByRole('button', { name: 'Lưu thông tin' }).click();
    await panel.getByRole('alert').filter({ hasText: 'Người khác vừa sửa tài liệu này' }).waitFor();
    // The form now shows the other change, and keeps hers.
    await until(async () => (await panel.getByLabel('Chiến dịch').inputValue()) === 'Nghị quyết 71', 'the campaign changed meanwhile');
    assert.equal(await panel.getByLabel('Tiêu đề').inputValue(), 'Áp phích “Thầy ra thầy, trò ra trò” khổ A0');
    await panel.getByRole('button', { name: 'Lưu thông tin' }).click();
    await panel.getByText('Đã lưu thông tin.').waitFor();
    await page.getByRole('heading', { level: 1, name: 'Áp phích “Thầy ra thầy, trò ra trò” khổ A0' }).waitFor();
    held = await people.designer.api('GET', `/api/v1/assets/${id}`);
    assert.equal(held.title, 'Áp phích “Thầy ra thầy, trò ra trò” khổ A0');
    assert.equal(held.campaign, 'Nghị quyết 71');

    // "Gửi duyệt", with a note for the reviewer.
    await panel.getByLabel('Lời nhắn cho người duyệt (không bắt buộc)').fill('Em gửi bản A0, nhờ anh chị xem giúp.');
    await panel.getByRole('button', { name: 'Gửi duyệt' }).click();
    await panel.getByText('Đã gửi duyệt. Người duyệt sẽ phê duyệt hoặc gửi lại nhận xét.').waitFor();
    await panel.locator('.designer-version .badge', { hasText: 'Chờ duyệt' }).waitFor();
    assert.equal((await people.designer.api('GET', `/api/v1/assets/${id}/versions/1`)).state, 'in_review');

    // The reviewer sends it back; she opens the page again and reads why.
    await people.reviewer.api('POST', `/api/v1/assets/${id}/versions/1/reject`, { comment: 'Logo Bộ chưa đúng màu' });
    await page.reload();
    const rejected = panel.getByRole('region', { name: /^Bị từ chối lúc \d\d:\d\d \d\d\/\d\d\/\d{4}$/ });
    await rejected.locator('blockquote', { hasText: 'Logo Bộ chưa đúng màu' }).waitFor();
    const thread = panel.locator('.designer-thread');
    await thread.locator('li', { hasText: 'Em gửi bản A0, nhờ anh chị xem giúp.' }).getByText('Bạn', { exact: true }).waitFor();
    const reason = thread.locator('li', { hasText: 'Logo Bộ chưa đúng màu' });
    await reason.getByText('Trần Văn Bình', { exact: true }).waitFor(); // the reviewer, by name
    await reason.getByText('Lý do từ chối').waitFor();

    // She answers in the conversation.
    await panel.getByLabel('Viết nhận xét').fill('Em đã đổi logo sang màu đỏ chuẩn của Bộ.');
    await panel.getByRole('button', { name: 'Gửi nhận xét' }).click();
    await thread.locator('li', { hasText: 'Em đã đổi logo sang màu đỏ chuẩn của Bộ.' }).waitFor();
    const comments = await people.reviewer.api('GET', `/api/v1/assets/${id}/versions/1/comments`);
    assert.deepEqual(comments.items.map((c) => c.text), ['Em gửi bản A0, nhờ anh chị xem giúp.', 'Em đã đổi logo sang màu đỏ chuẩn của Bộ.']);

    // The corrected file, with its own progress bar, becomes version 2, a draft.
    const v2name = 'Áp phích thầy ra thầy (bản sửa).png';
    await panel.getByLabel('Chọn tệp cho phiên bản mới').setInputFiles(files.v2);
    const card = panel.getByRole('article', { name: v2name });
    await card.getByText('Đã tải lên phiên bản 2.').waitFor();
    assert.equal(await card.getByRole('progressbar', { name: `Tiến độ tải lên ${v2name}` }).getAttribute('value'), '100');
    await panel.locator('.designer-version', { hasText: 'Phiên bản 2' }).locator('.badge', { hasText: 'Bản nháp' }).waitFor();
    const versions = (await people.designer.api('GET', `/api/v1/assets/${id}/versions`)).items;
    assert.deepEqual(versions.map((v) => [v.number, v.state]), [[1, 'rejected'], [2, 'draft']]);
    assert.equal(versions[1].sha256, sha256(readFileSync(files.v2)));
    assert.equal(versions[1].file_name, v2name);

    // And goes to review again.
    await panel.getByRole('button', { name: 'Gửi duyệt' }).click();
    await panel.locator('.designer-version', { hasText: 'Phiên bản 2' }).locator('.badge', { hasText: 'Chờ duyệt' }).waitFor();
    assert.equal((await people.designer.api('GET', `/api/v1/assets/${id}/versions/2`)).state, 'in_review');
    // The conversation about version 1 stays with version 1.
    await panel.getByLabel('Phiên bản', { exact: true }).selectOption({ label: 'Phiên bản 1 · Bị từ chối' });
    await thread.locator('li', { hasText: 'Logo Bộ chưa đúng màu' }).waitFor();

    // The only console error is the refused save (412), which the page explained.
    assert.deepEqual(page.consoleErrors.filter((e) => !/status of 412/.test(e)), []);
    assert.equal(page.consoleErrors.length, 1);
    assert.deepEqual(page.foreignRequests, []);
  });
  await page.context().close();
});

test('on a phone, "Tải lên" and "Tài liệu của tôi" fit the screen', async () => {
  const page = await openPage(browser, server, { viewport: { width: 390, height: 844 } });
  await withScreenshot(page, 'designer-phone', async () => {
    await signIn(page, server, people.designer.username);
    for (const [path, heading] of [['/upload', 'Tải lên tài liệu truyền thông'], ['/my', 'Tài liệu của tôi']]) {
      await page.goto(`${server.base}${path}`);
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      if (path === '/my') await page.locator('.my-item').first().waitFor();
      else await page.getByLabel('Chọn tệp').waitFor({ state: 'attached' });
      const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      assert.ok(scroll <= width, `${path}: ${scroll}px wide on a ${width}px screen`);
    }
    // In English too.
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'My materials' }).waitFor();
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('link', { name: 'Upload', exact: true }).click();
    await page.getByRole('heading', { name: 'Upload communication materials' }).waitFor();
    await page.getByLabel('Choose files').waitFor({ state: 'attached' });
    await page.getByRole('button', { name: 'Tiếng Việt' }).click();
    await page.getByRole('heading', { name: 'Tải lên tài liệu truyền thông' }).waitFor();
    assert.deepEqual(page.consoleErrors, []);
    assert.deepEqual(page.foreignRequests, []);
  });
  await page.context().close();
});

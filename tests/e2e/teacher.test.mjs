// Journey 3, the teacher: signs in, sees a grid of the materials offered to
// her school, searches as she types without diacritics, filters by kind
// with facet counts. The UI speaks Vietnamese first and switches to
// English, sends the security headers, and talks to nobody but kho.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  approve, launchBrowser, makeImage, openPage, seedPeople, signIn, startServer, upload,
  waitForRenditions, waitForTitle, withScreenshot,
} from './support/kho.mjs';

let server, people, browser, dir;
const ids = {};

before(async () => {
  server = await startServer();
  people = await seedPeople(server);
  browser = await launchBrowser();
  dir = mkdtempSync(join(tmpdir(), 'kho-e2e-media-'));
  const poster = readFileSync(await makeImage(dir, 'poster.png', 'red'));
  const video = readFileSync(await makeImage(dir, 'video.png', 'blue'));
  const primary = readFileSync(await makeImage(dir, 'primary.png', 'green'));
  ids.poster = (await upload(server, people.designer, poster, {
    title: 'Áp phích Nghị quyết 71', kind: 'poster', campaign: 'Nghị quyết 71', tags: ['chuyển đổi số'], fileName: 'Áp phích Nghị quyết 71.png',
  })).id;
  ids.video = (await upload(server, people.designer, video, {
    title: 'Video Nghị quyết 71 cho học sinh', kind: 'video', campaign: 'Nghị quyết 71',
  })).id;
  ids.primary = (await upload(server, people.designer, primary, {
    title: 'Đồ họa đào tạo giáo viên tiểu học', kind: 'infographic',
  })).id;
  for (const id of Object.values(ids)) await waitForRenditions(people.designer, id);
  await approve(people, ids.poster);
  await approve(people, ids.video);
  await approve(people, ids.primary, { levels: ['primary'] });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a teacher finds "Nghị quyết" typing "nghi quyet" and filters by kind', async () => {
  const page = await openPage(browser, server);
  await withScreenshot(page, 'teacher-search', async () => {
    await signIn(page, server, people.teacher.username);
    await page.goto(`${server.base}/catalog`);
    // The grid shows the two materials her school is offered, with thumbnails.
    const tiles = page.locator('.grid .tile');
    await tiles.first().waitFor();
    await waitForTitle(page, 'Thư viện tài liệu truyền thông · Kho tài liệu truyền thông');
    assert.equal(await tiles.count(), 2);
    const img = page.locator('.grid .tile img').first();
    await img.waitFor();
    assert.ok(await img.evaluate((el) => el.complete && el.naturalWidth > 0), 'the thumbnail is shown');
    // Search as you type, without diacritics.
    await page.getByLabel('Tìm tài liệu').fill('nghi quyet ap phi');
    await page.waitForURL((u) => u.searchParams.get('q') === 'nghi quyet ap phi');
    await page.getByText('1 tài liệu').waitFor();
    assert.deepEqual(await page.locator('.grid .tile .title').allTextContents(), ['Áp phích Nghị quyết 71']);
    // Facets: clear the words, pick "Video" by its count.
    await page.getByLabel('Tìm tài liệu').fill('');
    await page.getByText('2 tài liệu').waitFor();
    const videoChip = page.locator('button[data-facet="kind"][data-value="video"]');
    assert.match(await videoChip.textContent(), /Video\s*1/);
    await videoChip.click();
    await page.getByText('1 tài liệu').waitFor();
    assert.deepEqual(await page.locator('.grid .tile .title').allTextContents(), ['Video Nghị quyết 71 cho học sinh']);
    // The primary-school infographic never appears for an upper-secondary school.
    await page.locator('button[data-facet="kind"][data-value="video"]').click();
    await page.getByLabel('Tìm tài liệu').fill('dao tao');
    await page.getByText('0 tài liệu').waitFor();
    assert.deepEqual(page.consoleErrors, []);
    assert.deepEqual(page.foreignRequests, []);
  });
  await page.context().close();
});

test('the UI switches to English and back, and keeps the choice', async () => {
  const page = await openPage(browser, server);
  await withScreenshot(page, 'teacher-language', async () => {
    await signIn(page, server, people.primary.username);
    await page.goto(`${server.base}/catalog`);
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Library of communication materials' }).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await page.reload();
    await page.getByRole('heading', { name: 'Library of communication materials' }).waitFor();
    await page.getByRole('button', { name: 'Tiếng Việt' }).click();
    await page.getByRole('heading', { name: 'Thư viện tài liệu truyền thông' }).waitFor();
  });
  await page.context().close();
});

test('pages carry a strict CSP and the other security headers; a phone gets a menu', async () => {
  const res = await fetch(`${server.base}/catalog`);
  assert.equal(res.status, 200);
  const csp = res.headers.get('content-security-policy');
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
  const html = await res.text();
  assert.doesNotMatch(html, /<script>(?!<)/, 'no inline script');
  assert.match(html, /<script type="module" src="\/static\/app-[^"]+\.js"><\/script>/);

  const page = await openPage(browser, server, { viewport: { width: 390, height: 844 } });
  // Every script the catalog's first load fetches (the entry and the
  // chunks it imports; other pages' chunks load when opened): under 300 KB.
  let scriptBytes = 0;
  const counted = [];
  page.on('response', async (r) => {
    if (r.url().endsWith('.js')) {
      counted.push(r.url());
      scriptBytes += (await r.body()).byteLength;
    }
  });
  await withScreenshot(page, 'teacher-phone', async () => {
    await signIn(page, server, people.teacher.username);
    await page.locator('.grid .tile').first().waitFor();
    assert.ok(counted.length > 0);
    assert.ok(scriptBytes < 300 * 1024, `${scriptBytes} bytes of script for the catalog`);
    const menu = page.getByRole('button', { name: 'Trình đơn' });
    await menu.click();
    assert.equal(await menu.getAttribute('aria-expanded'), 'true');
    await page.getByRole('link', { name: 'Thư viện' }).click();
    await page.locator('.grid .tile').first().waitFor();
  });
  await page.context().close();
});

// Journey 2, the reviewer: the designer submits a poster, a video and a
// podcast; the reviewer finds all three in the queue, oldest first, sees
// each one's preview, approves the poster for Hà Nội's upper-secondary
// schools for a month, rejects the video with a reason, and the queue, the
// history, the API and the schools' libraries all agree.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ffmpeg, launchBrowser, makeImage, openPage, pollPage, seedPeople, signIn, startServer, upload,
  waitForRenditions, withScreenshot,
} from './support/kho.mjs';

let server, people, browser, dir;
const ids = {};
const TITLES = {
  poster: 'Áp phích: Quốc sách hàng đầu, quyết định tương lai dân tộc',
  video: 'Video: Hành động, thực tiễn, khả thi',
  podcast: 'Podcast: Mô hình, điển hình chuyển đổi số',
};
const REASON = 'Âm thanh bị rè ở giây thứ 2';

// A Vietnam day as YYYY-MM-DD (for <input type=date>) and dd/mm/yyyy.
function vnDay(offsetDays = 0) {
  const d = new Date(Date.now() + 7 * 3600 * 1000 + offsetDays * 86400 * 1000);
  const p = (n) => String(n).padStart(2, '0');
  return { iso: `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}`, shown: `${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}` };
}
// The instant a Vietnam day starts, as the API writes it.
const vnStart = (iso) => new Date(Date.parse(`${iso}T00:00:00+07:00`)).toISOString();

before(async () => {
  server = await startServer();
  people = await seedPeople(server);
  browser = await launchBrowser();
  dir = mkdtempSync(join(tmpdir(), 'kho-e2e-review-'));
  const video = join(dir, 'video.mp4');
  const podcast = join(dir, 'podcast.m4a');
  const [poster] = await Promise.all([
    makeImage(dir, 'poster.png', 'navy', '1200x1600'),
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=1280x720:rate=25:duration=3', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=3',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', '-movflags', '+faststart', video]),
    ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=220:duration=4', '-c:a', 'aac', '-b:a', '64k', podcast]),
  ]);
  const files = {
    poster: [readFileSync(poster), 'poster', 'Áp phích quốc sách hàng đầu.png'],
    video: [readFileSync(video), 'video', 'Hành động thực tiễn khả thi.mp4'],
    podcast: [readFileSync(podcast), 'podcast', 'Podcast chuyển đổi số.m4a'],
  };
  // Uploaded, then submitted in this order: the queue shows them oldest first.
  for (const [key, [body, kind, fileName]] of Object.entries(files)) {
    ids[key] = (await upload(server, people.designer, body, {
      title: TITLES[key], kind, campaign: 'Nghị quyết 71-NQ/TW', tags: ['nq71'], fileName,
    })).id;
  }
  for (const key of Object.keys(files)) {
    await waitForRenditions(people.designer, ids[key]);
    await people.designer.api('POST', `/api/v1/assets/${ids[key]}/versions/1/submit`, { comment: 'Kính đề nghị duyệt.' });
  }
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function queueTitles(page) {
  await page.locator('.reviews-count').filter({ hasText: /\S/ }).waitFor();
  return page.locator('.reviews-list .reviews-title').allTextContents();
}

async function openFromQueue(page, title) {
  await page.getByRole('link', { name: title }).click();
  await page.getByRole('heading', { level: 1, name: title }).waitFor();
  await page.getByRole('heading', { name: 'Duyệt tài liệu' }).waitFor();
}

test('the reviewer approves the poster for Hà Nội THPT schools and rejects the video with a reason', async () => {
  const page = await openPage(browser, server);
  const today = vnDay(0);
  const until = vnDay(30);
  await withScreenshot(page, 'reviewer-decide', async () => {
    await signIn(page, server, people.reviewer.username);
    await page.getByRole('link', { name: 'Duyệt' }).click();
    await page.getByRole('heading', { level: 1, name: 'Hàng chờ duyệt' }).waitFor();
    await pollPage(page, (title) => document.title === title, 'Hàng chờ duyệt · Kho tài liệu truyền thông');

    // All three, oldest submission first, with thumbnails, kinds and dates.
    assert.deepEqual(await queueTitles(page), [TITLES.poster, TITLES.video, TITLES.podcast]);
    await page.getByText('3 tài liệu chờ duyệt').waitFor();
    const items = page.locator('.reviews-item');
    for (let i = 0; i < 3; i++) {
      const img = items.nth(i).locator('img.thumb');
      await img.waitFor();
      await pollPage(page, (n) => {
        const el = document.querySelectorAll('.reviews-item img.thumb')[n];
        return el.complete && el.naturalWidth > 0;
      }, i);
    }
    assert.deepEqual(await items.locator('.reviews-kind').allTextContents(), ['Áp phích', 'Video', 'Podcast']);
    const first = await items.first().textContent();
    assert.match(first, new RegExp(`Gửi bởi .+ lúc \\d{2}:\\d{2} ${today.shown.replaceAll('/', '\\/')}`));
    assert.match(first, /Phiên bản 1/);

    // The poster: its preview image, then approval for an audience and a window.
    await openFromQueue(page, TITLES.poster);
    assert.match(page.url(), new RegExp(`/assets/${ids.poster}\\?v=1$`));
    await pollPage(page, () => {
      const el = document.querySelector('.asset-image img');
      return el && el.complete && el.naturalWidth > 0;
    });
    await page.getByText('Chờ duyệt', { exact: true }).first().waitFor();
    await page.getByLabel('Phê duyệt', { exact: true }).check();
    await page.getByLabel('Chọn theo tỉnh/thành, cấp học hoặc đơn vị').check();
    await page.getByRole('group', { name: 'Tỉnh/thành phố' }).getByLabel('Hà Nội').check();
    await page.getByRole('group', { name: 'Cấp học' }).getByLabel('THPT').check();
    await page.getByText('Tóm tắt: Tỉnh/thành: Hà Nội; cấp học: THPT').waitFor();
    await page.getByLabel('Từ ngày').fill(today.iso);
    await page.getByLabel('Đến hết ngày').fill(until.iso);
    await page.getByText(`Thời hạn: ${today.shown} – ${until.shown}`).waitFor();
    await page.getByLabel('Nhận xét (không bắt buộc)').fill('Đạt yêu cầu, phát hành cho các trường THPT Hà Nội.');
    await page.getByRole('button', { name: 'Phê duyệt', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Đã phê duyệt phiên bản 1.' }).waitFor();
    // The history, newest first: the approval with its audience and window.
    const history = page.locator('.review-history li');
    await history.filter({ hasText: 'Phê duyệt' }).waitFor();
    assert.deepEqual(await history.evaluateAll((els) => els.map((e) => e.dataset.action)),
      ['version.approved', 'version.submitted', 'asset.created']);
    const approved = await history.first().textContent();
    assert.match(approved, /Trần Văn Bình \(bạn\)/);
    assert.match(approved, new RegExp(`Tỉnh/thành: Hà Nội; cấp học: THPT · ${today.shown} – ${until.shown}`));
    assert.match(approved, /Đạt yêu cầu, phát hành cho các trường THPT Hà Nội\./);
    assert.match(await history.nth(1).textContent(), /Gửi duyệt.*Kính đề nghị duyệt\./);
    assert.match(await page.locator('.asset-details').textContent(), new RegExp(`Thời hạn sử dụng\\s*${today.shown} – ${until.shown}`));

    // Back in the queue the poster is gone.
    await page.getByRole('link', { name: 'Về hàng chờ duyệt' }).click();
    assert.deepEqual(await queueTitles(page), [TITLES.video, TITLES.podcast]);

    // The video plays; rejecting needs a reason.
    await openFromQueue(page, TITLES.video);
    const video = page.locator('video.asset-video');
    await video.waitFor();
    await video.evaluate(async (v) => {
      v.muted = true;
      await v.play();
    });
    await pollPage(page, () => document.querySelector('video.asset-video').currentTime > 0.3);
    await page.getByLabel('Từ chối', { exact: true }).check();
    const reason = page.getByLabel('Lý do từ chối (bắt buộc)');
    await page.getByRole('button', { name: 'Từ chối', exact: true }).click();
    await page.getByText('Hãy ghi lý do từ chối để người thiết kế biết cần sửa gì.').waitFor();
    assert.equal(await reason.getAttribute('aria-invalid'), 'true');
    assert.equal(await reason.evaluate((el) => el === document.activeElement), true, 'the reason box has the focus');
    await page.keyboard.type(REASON);
    await page.getByRole('button', { name: 'Từ chối', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Đã từ chối phiên bản 1.' }).waitFor();
    await page.locator('.review-history li[data-action="version.rejected"]').filter({ hasText: REASON }).waitFor();
    assert.match(await page.locator('.review-history li').first().textContent(), /^Từ chối · phiên bản 1/);
    await page.getByText('Bị từ chối', { exact: true }).first().waitFor();

    await page.getByRole('link', { name: 'Về hàng chờ duyệt' }).click();
    assert.deepEqual(await queueTitles(page), [TITLES.podcast]);
    await page.getByText('1 tài liệu chờ duyệt').waitFor();
    assert.deepEqual(page.consoleErrors, []);
    assert.deepEqual(page.foreignRequests, []);
  });
  await page.context().close();

  // The API agrees.
  const v = await people.reviewer.api('GET', `/api/v1/assets/${ids.video}/versions/1`);
  assert.equal(v.state, 'rejected');
  assert.equal(v.reviewed.comment, REASON);
  assert.equal(v.reviewed.by, people.reviewer.id);
  const p = await people.reviewer.api('GET', `/api/v1/assets/${ids.poster}/versions/1`);
  assert.equal(p.state, 'approved');
  assert.deepEqual(p.audience, { all_units: false, provinces: ['Hà Nội'], levels: ['upper_secondary'], units: [], press: false });
  assert.equal(p.valid_from, vnStart(today.iso));
  assert.equal(p.valid_until, vnStart(vnDay(31).iso));
  const h = await people.reviewer.api('GET', `/api/v1/assets/${ids.video}/history`);
  assert.deepEqual(h.items.map((e) => e.action), ['version.rejected', 'version.submitted', 'asset.created']);
  assert.equal(h.items[0].comment, REASON);
  const queue = await people.reviewer.api('GET', '/api/v1/reviews');
  assert.deepEqual(queue.items.map((i) => i.id), [ids.podcast]);
});

test('the podcast waiting in the queue plays with its waveform', async () => {
  const page = await openPage(browser, server, { viewport: { width: 390, height: 844 } });
  await withScreenshot(page, 'reviewer-podcast', async () => {
    await signIn(page, server, people.reviewer.username);
    await page.goto(`${server.base}/reviews`);
    await openFromQueue(page, TITLES.podcast);
    const wave = page.getByRole('img', { name: /^Dạng sóng âm thanh/ });
    await wave.waitFor();
    assert.ok(Number(await wave.getAttribute('data-points')) >= 100);
    await page.locator('.asset-audio audio').evaluate(async (a) => {
      a.muted = true;
      await a.play();
    });
    await pollPage(page, () => document.querySelector('.asset-audio audio').currentTime > 0.3);
    // Nothing decided yet: the form waits, and the history has the submission.
    await page.getByRole('button', { name: 'Phê duyệt', exact: true }).waitFor();
    assert.deepEqual(await page.locator('.review-history li').evaluateAll((els) => els.map((e) => e.dataset.action)),
      ['version.submitted', 'asset.created']);
    // A question for the designer, without deciding: it joins the history.
    await page.getByLabel('Nhận xét về phiên bản 1 (không đổi trạng thái)').fill('Đề nghị kiểm tra lại âm lượng đoạn cuối.');
    await page.getByRole('button', { name: 'Gửi nhận xét' }).click();
    await page.getByText('Đã gửi nhận xét.').waitFor();
    await page.locator('.review-history li[data-action="comment.added"]').filter({ hasText: 'Đề nghị kiểm tra lại âm lượng đoạn cuối.' }).waitFor();
    assert.equal((await people.reviewer.api('GET', `/api/v1/assets/${ids.podcast}/versions/1`)).state, 'in_review');
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling');
    assert.deepEqual(page.consoleErrors, []);
    assert.deepEqual(page.foreignRequests, []);
  });
  await page.context().close();
});

test('the Hà Nội THPT teacher now finds the poster; the primary school in Huế does not', async () => {
  const teacher = await openPage(browser, server);
  await withScreenshot(teacher, 'reviewer-teacher', async () => {
    await signIn(teacher, server, people.teacher.username);
    await teacher.goto(`${server.base}/catalog`);
    await teacher.getByText('1 tài liệu').waitFor();
    assert.deepEqual(await teacher.locator('.grid .tile .title').allTextContents(), [TITLES.poster]);
    await teacher.getByRole('link', { name: TITLES.poster }).click();
    await teacher.getByRole('heading', { level: 1, name: TITLES.poster }).waitFor();
    await teacher.locator('.asset-files').getByRole('link', { name: /^Bản in gốc/ }).waitFor();
    assert.deepEqual(teacher.consoleErrors, []);
    assert.deepEqual(teacher.foreignRequests, []);
  });
  await teacher.context().close();

  const primary = await openPage(browser, server);
  await withScreenshot(primary, 'reviewer-primary', async () => {
    await signIn(primary, server, people.primary.username);
    await primary.goto(`${server.base}/catalog`);
    await primary.getByText('0 tài liệu').waitFor();
    await primary.getByText('Không có tài liệu nào khớp.').waitFor();
    assert.deepEqual(primary.consoleErrors, []);
    assert.deepEqual(primary.foreignRequests, []);
  });
  await primary.context().close();
  await assert.rejects(people.primary.api('GET', `/api/v1/assets/${ids.poster}`), /404/);
  await assert.rejects(people.teacher.api('GET', `/api/v1/assets/${ids.video}`), /404/);
});

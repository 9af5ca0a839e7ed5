// Journey 3 continued, the teacher on a material's page: a real video
// (H.264/AAC, 1280×720) plays inline from its 720p rendition, a podcast
// plays with its waveform drawn, a poster zooms to 100 %, and the files
// download with their sizes, the original byte for byte.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  approve, ffmpeg, launchBrowser, makeImage, openPage, pollPage, seedPeople, signIn, startServer, upload,
  waitForRenditions, withScreenshot,
} from './support/kho.mjs';

let server, people, browser, dir;
const ids = {};
const bytes = {};
const renditions = {};
const sha256 = (b) => createHash('sha256').update(b).digest('hex');

before(async () => {
  server = await startServer();
  people = await seedPeople(server);
  browser = await launchBrowser();
  dir = mkdtempSync(join(tmpdir(), 'kho-e2e-asset-'));
  const video = join(dir, 'video.mp4');
  const podcast = join(dir, 'podcast.mp3');
  await Promise.all([
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=1280x720:rate=25:duration=3', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=3',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', '-movflags', '+faststart', video]),
    ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=330:duration=5', '-af', 'volume=0.5', '-c:a', 'libmp3lame', '-b:a', '64k', podcast]),
  ]);
  bytes.video = readFileSync(video);
  bytes.podcast = readFileSync(podcast);
  bytes.poster = readFileSync(await makeImage(dir, 'poster.png', 'orange', '1600x1000'));
  ids.video = (await upload(server, people.designer, bytes.video, {
    title: 'Video: Thầy ra thầy, trò ra trò', kind: 'video', campaign: 'Nghị quyết 71', tags: ['nq71', 'video ngắn'],
    description: 'Video ngắn giới thiệu Nghị quyết 71-NQ/TW cho học sinh THPT.', fileName: 'Thầy ra thầy, trò ra trò.mp4',
  })).id;
  ids.podcast = (await upload(server, people.designer, bytes.podcast, {
    title: 'Podcast: Chuyển đổi số trong giáo dục', kind: 'podcast', campaign: 'Nghị quyết 71', tags: ['chuyển đổi số'],
    fileName: 'Podcast chuyển đổi số.mp3',
  })).id;
  ids.poster = (await upload(server, people.designer, bytes.poster, {
    title: 'Áp phích: Hiện đại, chất lượng, công bằng', kind: 'poster', campaign: 'Nghị quyết 71',
    fileName: 'Áp phích hiện đại chất lượng công bằng.png',
  })).id;
  for (const [k, id] of Object.entries(ids)) {
    renditions[k] = Object.fromEntries((await waitForRenditions(people.designer, id)).map((r) => [r.name, r]));
    await approve(people, id);
  }
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a teacher plays the video inline and downloads its original byte for byte', async () => {
  const page = await openPage(browser, server);
  await withScreenshot(page, 'asset-video', async () => {
    await signIn(page, server, people.teacher.username);
    // From the library to the material's page.
    await page.goto(`${server.base}/catalog`);
    await page.getByRole('link', { name: 'Video: Thầy ra thầy, trò ra trò' }).click();
    await page.waitForURL(`${server.base}/assets/${ids.video}`);
    await page.getByRole('heading', { level: 1, name: 'Video: Thầy ra thầy, trò ra trò' }).waitFor();
    await pollPage(page, (title) => document.title === title, 'Video: Thầy ra thầy, trò ra trò · Kho tài liệu truyền thông');
    await page.getByText('Video ngắn giới thiệu Nghị quyết 71-NQ/TW cho học sinh THPT.').waitFor();
    const details = page.locator('.asset-details');
    assert.match(await details.textContent(), /Chiến dịch\s*Nghị quyết 71/);
    assert.match(await details.textContent(), /Thời lượng\s*0:03/);
    assert.match(await details.textContent(), /Ngày phê duyệt\s*\d{2}\/\d{2}\/\d{4}/);
    // A school sees no review state, no versions and no review panel.
    assert.equal(await page.locator('.asset-versions, .review-panel, .badge.state-approved').count(), 0);

    // The 720p rendition plays inline, with the preview as its poster.
    const video = page.locator('video.asset-video');
    await video.waitFor();
    assert.match(await video.getAttribute('src'), new RegExp(`/api/v1/assets/${ids.video}/versions/1/renditions/video_720p$`));
    assert.match(await video.getAttribute('poster'), /\/renditions\/preview_jpeg$/);
    assert.equal(await video.getAttribute('controls'), '');
    const state = await video.evaluate(async (v) => {
      v.muted = true;
      const ready = v.readyState >= 4 ? Promise.resolve() : new Promise((resolve, reject) => {
        v.addEventListener('canplaythrough', resolve, { once: true });
        setTimeout(() => reject(new Error(`no canplaythrough: readyState ${v.readyState}, error ${v.error?.message}`)), 20000);
      });
      const start = v.currentTime;
      await v.play();
      await ready;
      return { start, width: v.videoWidth, height: v.videoHeight, duration: v.duration };
    });
    assert.equal(state.start, 0);
    assert.equal(state.width, renditions.video.video_720p.width);
    assert.equal(state.height, renditions.video.video_720p.height);
    assert.equal(state.width, 1280);
    assert.ok(Math.abs(state.duration - 3) < 0.2, `duration ${state.duration}`);
    await pollPage(page, () => document.querySelector('video.asset-video').currentTime > 0.5);
    assert.equal(await video.evaluate((v) => v.error), null);

    // The files to download, with their human sizes.
    const files = page.locator('.asset-files');
    const link720 = files.getByRole('link', { name: /^Video 720p/ });
    assert.match(await link720.textContent(), /^Video 720p\s+\d+(,\d)?\s+KB$/);
    assert.equal(await link720.getAttribute('download'), 'Video: Thầy ra thầy, trò ra trò (Video 720p).mp4');
    const original = files.getByRole('link', { name: /^Bản gốc/ });
    assert.match(await original.textContent(), /^Bản gốc\s+\d+(,\d)?\s+KB$/);
    const [download] = await Promise.all([page.waitForEvent('download'), original.click()]);
    assert.equal(download.suggestedFilename(), 'Thầy ra thầy, trò ra trò.mp4');
    const got = readFileSync(await download.path());
    assert.equal(got.length, bytes.video.length);
    assert.equal(sha256(got), sha256(bytes.video));

    // The page speaks English on request.
    await page.getByRole('button', { name: 'English' }).click();
    await files.getByRole('heading', { name: 'Download' }).waitFor();
    await files.getByRole('link', { name: /^720p video/ }).waitFor();
    await page.getByRole('button', { name: 'Tiếng Việt' }).click();
    await files.getByRole('heading', { name: 'Tải xuống' }).waitFor();

    assert.deepEqual(page.consoleErrors, []);
    assert.deepEqual(page.foreignRequests, []);
  });
  await page.context().close();
});

test('a teacher on a phone plays the podcast and sees its waveform drawn', async () => {
  const page = await openPage(browser, server, { viewport: { width: 390, height: 844 } });
  await withScreenshot(page, 'asset-podcast', async () => {
    await signIn(page, server, people.teacher.username);
    await page.goto(`${server.base}/assets/${ids.podcast}`);
    await page.getByRole('heading', { level: 1, name: 'Podcast: Chuyển đổi số trong giáo dục' }).waitFor();
    // The waveform is an SVG drawn from the waveform rendition's peaks.
    const wave = page.getByRole('img', { name: /^Dạng sóng âm thanh, dài 0:05/ });
    await wave.waitFor();
    const points = Number(await wave.getAttribute('data-points'));
    assert.ok(points >= 100, `${points} points`);
    const box = await wave.boundingBox();
    assert.ok(box.width > 300 && box.height >= 100, JSON.stringify(box));
    const played = wave.locator('clipPath rect');
    assert.equal(Number(await played.getAttribute('width')), 0);
    const d = await wave.locator('path.asset-wave-base').getAttribute('d');
    assert.ok(d.length > points * 8, 'the outline follows every point');
    // The player plays the AAC rendition, and the waveform follows it.
    const audio = page.locator('.asset-audio audio');
    const src = await audio.evaluate(async (a) => {
      a.muted = true;
      await a.play();
      return a.currentSrc;
    });
    assert.match(src, /\/renditions\/audio_m4a$/);
    await pollPage(page, () => document.querySelector('.asset-audio audio').currentTime > 0.5);
    await pollPage(page, () => Number(document.querySelector('.asset-wave clipPath rect').getAttribute('width')) > 0);
    // Both podcast files are offered with sizes; nothing is wider than the phone.
    const files = page.locator('.asset-files');
    assert.match(await files.getByRole('link', { name: /^Podcast MP3/ }).textContent(), /KB$/);
    assert.match(await files.getByRole('link', { name: /^Podcast M4A/ }).textContent(), /KB$/);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling');
    assert.deepEqual(page.consoleErrors, []);
    assert.deepEqual(page.foreignRequests, []);
  });
  await page.context().close();
});

test('a poster fits the screen and zooms to 100 % by click and by keyboard', async () => {
  const page = await openPage(browser, server, { viewport: { width: 1024, height: 768 } });
  await withScreenshot(page, 'asset-poster', async () => {
    await signIn(page, server, people.teacher.username);
    await page.goto(`${server.base}/assets/${ids.poster}`);
    const img = page.getByRole('img', { name: 'Áp phích: Hiện đại, chất lượng, công bằng' });
    await img.waitFor();
    await pollPage(page, () => document.querySelector('.asset-image img')?.complete);
    assert.equal(await img.getAttribute('data-rendition'), 'preview');
    const fit = await img.boundingBox();
    assert.ok(fit.width < 1024, `fits: ${fit.width}`);
    // Click: the web rendition at its real size, in a scrolling frame.
    await img.click();
    await pollPage(page, () => {
      const i = document.querySelector('.asset-image img');
      return i.dataset.rendition === 'web' && i.complete && i.naturalWidth === 1600;
    });
    assert.equal((await img.boundingBox()).width, 1600);
    assert.equal(await page.getByRole('button', { name: 'Kích thước thật (100%)' }).getAttribute('aria-pressed'), 'true');
    await page.getByText('Đang xem ở 100% (1600×1000 điểm ảnh)').waitFor();
    // Esc fits it again; the keyboard reaches the 100 % toggle too.
    await page.keyboard.press('Escape');
    await pollPage(page, () => document.querySelector('.asset-image img').dataset.rendition === 'preview');
    await page.getByRole('button', { name: 'Kích thước thật (100%)' }).focus();
    await page.keyboard.press('Enter');
    await pollPage(page, () => document.querySelector('.asset-image img').dataset.rendition === 'web');
    // The focus moves to the scrolling frame, so the arrow keys scroll it.
    await pollPage(page, () => document.activeElement.classList.contains('asset-image-full'));
    // The print original and the web image, with sizes.
    const files = page.locator('.asset-files');
    assert.match(await files.getByRole('link', { name: /^Bản in gốc/ }).textContent(), /^Bản in gốc\s+\d+(,\d)?\s+KB$/);
    assert.match(await files.getByRole('link', { name: /^Ảnh cho web/ }).textContent(), /KB$/);
    assert.deepEqual(page.consoleErrors, []);
    assert.deepEqual(page.foreignRequests, []);
  });
  await page.context().close();
});

// Journey 5, the ministry: the first admin signs in, creates a school's
// member and reads the first password once; imports units from CSV (a file
// with two bad rows shows both lines and reasons, a good one adds the units);
// then opens the downloads dashboard and finds the numbers the API reports:
// downloads today, Hà Nội against Huế, THPT against Tiểu học, the most
// downloaded material, the material nobody in Huế downloaded, and CSV files
// Excel reads (UTF-8 with a byte order mark).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ADMIN_PASSWORD, apiAs, approve, launchBrowser, makeImage, openPage, seedPeople, signIn, startServer, upload,
  withScreenshot,
} from './support/kho.mjs';

let server, people, browser, dir, admin;
const ids = {};
const TITLE_A = 'Áp phích "Thầy ra thầy, trò ra trò" – Nghị quyết 71';
const TITLE_B = 'Infographic chuyển đổi số trong giáo dục';

// Today and 29 days ago as Vietnam days, the dashboard's default period.
const vnDay = (ms) => new Date(ms + 7 * 3600 * 1000).toISOString().slice(0, 10);
const today = vnDay(Date.now());
const dmy = (d) => d.split('-').reverse().join('/');

// Chromium logs every 4xx answer to fetch as a console error: the ones a
// test provokes on purpose are taken out (and counted); nothing else may be
// there.
function unexpectedErrors(page, expected = {}) {
  const rest = [];
  const seen = {};
  for (const e of page.consoleErrors) {
    const m = /status of (\d{3})/.exec(e);
    if (m && expected[m[1]]) seen[m[1]] = (seen[m[1]] || 0) + 1;
    else rest.push(e);
  }
  assert.deepEqual(seen, expected, 'the refused requests the test made on purpose');
  return rest;
}

// Downloads `link` in the browser and returns the file's bytes.
async function download(page, link) {
  const [dl] = await Promise.all([page.waitForEvent('download'), link.click()]);
  return { name: dl.suggestedFilename(), bytes: readFileSync(await dl.path()) };
}

before(async () => {
  server = await startServer();
  people = await seedPeople(server);
  admin = apiAs(server);
  browser = await launchBrowser();
  dir = mkdtempSync(join(tmpdir(), 'kho-e2e-admin-'));
  const a = readFileSync(await makeImage(dir, 'a.png', 'red', '320x240'));
  const b = readFileSync(await makeImage(dir, 'b.png', 'navy', '320x240'));
  ids.a = (await upload(server, people.designer, a, { title: TITLE_A, kind: 'poster', campaign: 'Nghị quyết 71' })).id;
  ids.b = (await upload(server, people.designer, b, { title: TITLE_B, kind: 'infographic', campaign: 'Nghị quyết 71' })).id;
  await approve(people, ids.a);
  await approve(people, ids.b);
  // The teacher in Hà Nội (THPT) downloads both, the primary school in Huế
  // only the poster: 3 downloads, Hà Nội 2, Huế 1, THPT 2, Tiểu học 1.
  const fetchOriginal = async (person, id) => {
    const res = await fetch(`${server.base}/api/v1/assets/${id}/original`, { headers: { Authorization: `Bearer ${person.token}` } });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  };
  await fetchOriginal(people.teacher, ids.a);
  await fetchOriginal(people.teacher, ids.b);
  await fetchOriginal(people.primary, ids.a);
  // A download is recorded when its response ends: wait until the report has all three.
  const end = Date.now() + 15000;
  for (;;) {
    const r = await admin('GET', '/api/v1/reports/downloads?group_by=day');
    if (r.totals.downloads === 3) break;
    if (Date.now() > end) throw new Error(`downloads not counted: ${JSON.stringify(r.totals)}`);
    await sleep(100);
  }
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the ministry creates a school member and sees the first password once', async () => {
  const page = await openPage(browser, server);
  await withScreenshot(page, 'admin-users', async () => {
    await signIn(page, server, 'admin', ADMIN_PASSWORD);
    // KHO_ADMIN_PASSWORD gives the first admin a password they need not change.
    const me = await page.evaluate(() => fetch('/api/v1/me').then((r) => r.json()));
    assert.equal(me.must_change_password, false);

    await page.getByRole('link', { name: 'Người dùng' }).click();
    await page.getByRole('heading', { name: 'Người dùng', level: 1 }).waitFor();
    await page.waitForFunction((title) => document.title === title, 'Người dùng · Kho tài liệu truyền thông');
    await page.locator('tr[data-username="cuong.le"]').waitFor();

    const form = page.getByRole('form', { name: 'Tạo người dùng' });
    await form.getByLabel('Tên đăng nhập').fill('hoa.vu');
    await form.getByLabel('Họ và tên').fill('Vũ Thị Hoa');
    await form.getByLabel('Vai trò').selectOption({ label: 'Thành viên đơn vị' });
    await form.getByLabel('Đơn vị', { exact: true }).fill('TH-VD');
    // The picker names the unit the code stands for.
    await form.locator('.admin-hint', { hasText: 'Trường Tiểu học Vĩnh Ninh — Huế · Tiểu học' }).waitFor();
    await form.getByRole('button', { name: 'Tạo người dùng' }).click();

    const secret = page.getByRole('region', { name: 'Mật khẩu đầu tiên của hoa.vu' });
    await secret.waitFor();
    const password = (await secret.locator('code').textContent()).trim();
    assert.match(password, /^[a-z0-9]{5}(-[a-z0-9]{5}){3}$/i);
    await secret.getByText('Mật khẩu này chỉ hiện một lần').waitFor();
    // Keyboard and screen-reader users land on it.
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Mật khẩu đầu tiên của hoa.vu');
    // It is the password: signing in with it works and asks for a new one.
    const res = await fetch(`${server.base}/api/v1/sessions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'hoa.vu', password }),
    });
    assert.equal(res.status, 201);
    const signedIn = await res.json();
    assert.equal(signedIn.user.must_change_password, true);
    assert.equal(signedIn.user.unit, 'TH-VD');

    const row = page.locator('tr[data-username="hoa.vu"]');
    await row.waitFor();
    assert.match(await row.textContent(), /Vũ Thị Hoa.*Thành viên đơn vị.*Trường Tiểu học Vĩnh Ninh.*Chờ đổi mật khẩu/);
    await secret.getByRole('button', { name: 'Đã ghi lại, ẩn mật khẩu' }).click();
    await secret.waitFor({ state: 'detached' });
    assert.equal(await page.getByText(password).count(), 0, 'the password is gone from the page');

    // A taken user name: the API's answer next to the form.
    await form.getByLabel('Tên đăng nhập').fill('hoa.vu');
    await form.getByLabel('Họ và tên').fill('Vũ Thị Hoa');
    await form.getByLabel('Đơn vị', { exact: true }).fill('TH-VD');
    await form.getByRole('button', { name: 'Tạo người dùng' }).click();
    await form.getByRole('alert').getByText('Tên đăng nhập này đã có người dùng.').waitFor();

    // Move her to the Quốc Học school, then disable her.
    await row.getByRole('button', { name: 'Sửa hoa.vu' }).click();
    const edit = page.getByRole('form', { name: 'Sửa người dùng hoa.vu' });
    // The form opens with the keyboard in its first field.
    await page.waitForFunction(() => document.activeElement?.closest('form')?.getAttribute('aria-label') === 'Sửa người dùng hoa.vu');
    await edit.getByLabel('Đơn vị', { exact: true }).fill('THPT-QH');
    await edit.locator('.admin-hint', { hasText: 'Trường THPT Quốc Học — Huế · THPT' }).waitFor();
    await edit.getByRole('button', { name: 'Lưu' }).click();
    await page.getByText('Đã lưu thay đổi của hoa.vu.').waitFor();
    await row.getByText('Trường THPT Quốc Học').waitFor();
    assert.equal((await admin('GET', `/api/v1/users/${signedIn.user.id}`)).unit, 'THPT-QH');

    await row.getByRole('button', { name: 'Vô hiệu hoá hoa.vu' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Đồng ý' }).click();
    await row.getByText('Đã vô hiệu hoá').waitFor();
    assert.equal((await admin('GET', `/api/v1/users/${signedIn.user.id}`)).disabled, true);
    await row.getByRole('button', { name: 'Kích hoạt lại hoa.vu' }).waitFor();

    // A reset shows a new password, once, in the same way.
    await row.getByRole('button', { name: 'Đặt lại mật khẩu hoa.vu' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Đồng ý' }).click();
    const fresh = page.getByRole('region', { name: 'Mật khẩu mới của hoa.vu' });
    const second = (await fresh.locator('code').textContent()).trim();
    assert.match(second, /^[a-z0-9]{5}(-[a-z0-9]{5}){3}$/i);
    assert.notEqual(second, password);
    await fresh.getByRole('button', { name: 'Đã ghi lại, ẩn mật khẩu' }).click();
    await fresh.waitFor({ state: 'detached' });

    // The role filter and the search (accents optional).
    await page.getByLabel('Lọc theo vai trò').selectOption({ label: 'Nhà báo' });
    await page.locator('tr[data-username="hoa.vu"]').waitFor({ state: 'detached' });
    assert.deepEqual(await page.locator('tbody tr[data-username]').evaluateAll((rs) => rs.map((r) => r.dataset.username)), ['phong.vien']);
    await page.getByLabel('Lọc theo vai trò').selectOption({ label: 'Tất cả' });
    await page.locator('tr[data-username="admin"]').waitFor();
    await page.getByLabel('Tìm người dùng').fill('vu thi hoa');
    await page.locator('tr[data-username="admin"]').waitFor({ state: 'detached' });
    assert.deepEqual(await page.locator('tbody tr[data-username]').evaluateAll((rs) => rs.map((r) => r.dataset.username)), ['hoa.vu']);

    assert.deepEqual(unexpectedErrors(page, { 409: 1 }), []);
    assert.deepEqual(page.foreignRequests, []);
  });
  await page.context().close();
});

test('a CSV with two bad rows shows both lines and reasons; a good one adds the units', async () => {
  const page = await openPage(browser, server);
  await withScreenshot(page, 'admin-units', async () => {
    await signIn(page, server, 'admin', ADMIN_PASSWORD);
    await page.goto(`${server.base}/admin/units`);
    await page.getByRole('heading', { name: 'Đơn vị', level: 1 }).waitFor();
    await page.waitForFunction((title) => document.title === title, 'Đơn vị · Kho tài liệu truyền thông');
    await page.locator('tr[data-code="THPT-CVA"]').waitFor();

    const importForm = page.getByRole('form', { name: 'Nhập danh sách đơn vị từ CSV' });
    await importForm.getByLabel('Hoặc dán nội dung CSV').fill(
      'code,name,parent_code,province,level\n' +
        'THCS-NT,Trường THCS Nguyễn Trãi,SGD-HN,Hà Nội,lower_secondary\n' +
        'MN-HS,Trường Mầm non Hoa Sen,SGD-XX,Huế,preschool\n' +
        'THPT-LL,Trường THPT Lê Lợi,SGD-HUE,Huế,trung_hoc\n',
    );
    await importForm.getByRole('button', { name: 'Nhập', exact: true }).click();
    await importForm.getByRole('alert').getByText('Không nhập dòng nào: tệp có 2 lỗi.').waitFor();
    const rows = await importForm.locator('table tbody tr').evaluateAll((rs) => rs.map((r) => [...r.cells].map((c) => c.textContent)));
    assert.equal(rows.length, 2);
    assert.equal(rows[0][0], '3');
    assert.match(rows[0][1], /parent_code "SGD-XX"/);
    assert.equal(rows[1][0], '4');
    assert.match(rows[1][1], /level "trung_hoc"/);
    // All or nothing: the good row was not imported either.
    assert.deepEqual((await admin('GET', '/api/v1/units?q=THCS-NT')).items, []);

    // The corrected file, chosen from disk this time.
    const good =
      '\uFEFFcode,name,parent_code,province,level\r\n' +
      'THCS-NT,Trường THCS Nguyễn Trãi,SGD-HN,Hà Nội,lower_secondary\r\n' +
      'MN-HS,"Trường Mầm non Hoa Sen, Huế",SGD-HUE,Huế,preschool\r\n' +
      'THPT-LL,Trường THPT Lê Lợi,SGD-HUE,Huế,upper_secondary\r\n';
    await importForm.getByLabel('Chọn tệp CSV').setInputFiles({ name: 'đơn-vị-mới.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
    await importForm.getByText('Sẽ nhập tệp đơn-vị-mới.csv').waitFor();
    await importForm.getByRole('button', { name: 'Nhập', exact: true }).click();
    await importForm.getByText('Đã nhập xong: 3 đơn vị mới, 0 cập nhật, 0 không đổi.').waitFor();
    assert.equal(await importForm.locator('table').count(), 0, 'the errors are gone');

    // The new units are listed: by name without accents, and by province.
    const list = page.locator('table[data-table="units"]');
    await list.locator('tr[data-code="THCS-NT"]').waitFor();
    await page.getByLabel('Tìm đơn vị').fill('nguyen trai');
    await list.locator('tr[data-code="THPT-CVA"]').waitFor({ state: 'detached' });
    const nt = await list.locator('tbody tr[data-code]').evaluateAll((rs) => rs.map((r) => [...r.cells].map((c) => c.textContent.trim())));
    assert.deepEqual(nt, [['THCS-NT', 'Trường THCS Nguyễn Trãi', 'Sở GDĐT Hà Nội (SGD-HN)', 'Hà Nội', 'THCS', 'Sửa']]);
    await page.getByLabel('Tìm đơn vị').fill('');
    await list.locator('tr[data-code="THPT-CVA"]').waitFor();
    await page.getByRole('search').getByLabel('Tỉnh, thành phố').selectOption('Huế');
    await list.locator('tr[data-code="THPT-CVA"]').waitFor({ state: 'detached' });
    await list.locator('tr[data-code="MN-HS"]').waitFor();
    const hue = await list.locator('tbody tr[data-code]').evaluateAll((rs) => rs.map((r) => r.dataset.code));
    assert.deepEqual(hue, ['MN-HS', 'SGD-HUE', 'TH-VD', 'THPT-LL', 'THPT-QH']);
    assert.match(await list.locator('tr[data-code="MN-HS"]').textContent(), /Trường Mầm non Hoa Sen, Huế.*Mầm non/);

    // Edit a unit in place.
    await list.getByRole('button', { name: 'Sửa THPT-LL' }).click();
    const edit = page.getByRole('form', { name: 'Sửa đơn vị THPT-LL' });
    await page.waitForFunction(() => document.activeElement?.closest('form')?.getAttribute('aria-label') === 'Sửa đơn vị THPT-LL');
    await edit.getByLabel('Tên đơn vị').fill('Trường THPT chuyên Lê Lợi');
    await edit.getByRole('button', { name: 'Lưu' }).click();
    await page.getByText('Đã lưu đơn vị THPT-LL.').waitFor();
    assert.match(await list.locator('tr[data-code="THPT-LL"]').textContent(), /Trường THPT chuyên Lê Lợi/);
    assert.equal((await admin('GET', '/api/v1/units/THPT-LL')).name, 'Trường THPT chuyên Lê Lợi');

    // The export is what Excel opens: a BOM, then the units with Vietnamese names.
    const file = await download(page, page.getByRole('link', { name: 'Xuất CSV (Excel)' }));
    assert.deepEqual([...file.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    const csv = file.bytes.toString('utf8');
    assert.match(csv, /^\uFEFFcode,name,parent_code,province,level\r\n/);
    assert.match(csv, /MN-HS,"Trường Mầm non Hoa Sen, Huế",SGD-HUE,Huế,preschool\r\n/);
    assert.match(csv, /THPT-LL,Trường THPT chuyên Lê Lợi,SGD-HUE,Huế,upper_secondary\r\n/);

    assert.deepEqual(unexpectedErrors(page, { 422: 1 }), []);
    assert.deepEqual(page.foreignRequests, []);
  });
  await page.context().close();
});

test('the dashboard shows the numbers the API reports, and what Huế has not downloaded', async () => {
  const page = await openPage(browser, server);
  await withScreenshot(page, 'admin-reports', async () => {
    const [byDay, byProvince, byLevel, top, coverageHue] = await Promise.all([
      admin('GET', '/api/v1/reports/downloads?group_by=day'),
      admin('GET', '/api/v1/reports/downloads?group_by=province'),
      admin('GET', '/api/v1/reports/downloads?group_by=level'),
      admin('GET', '/api/v1/reports/downloads?group_by=asset&limit=10'),
      admin('GET', `/api/v1/reports/coverage?province=${encodeURIComponent('Huế')}`),
    ]);
    // What the API says, which the screen must repeat.
    assert.equal(byDay.items.find((i) => i.key === today).downloads, 3);
    assert.deepEqual(byProvince.items.map((i) => [i.key, i.downloads]), [['Hà Nội', 2], ['Huế', 1]]);
    assert.deepEqual(byLevel.items.map((i) => [i.key, i.downloads]), [['upper_secondary', 2], ['primary', 1]]);
    assert.equal(top.items[0].label, TITLE_A);

    await signIn(page, server, 'admin', ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Báo cáo' }).click();
    await page.getByRole('heading', { name: 'Báo cáo tải xuống', level: 1 }).waitFor();
    await page.waitForFunction((title) => document.title === title, 'Báo cáo tải xuống · Kho tài liệu truyền thông');
    // The default period: the last 30 days.
    assert.equal(await page.getByLabel('Đến ngày').inputValue(), today);
    assert.equal(await page.getByLabel('Từ ngày').inputValue(), vnDay(Date.now() - 29 * 86400000));
    await page.getByText(`Từ ${dmy(vnDay(Date.now() - 29 * 86400000))} đến ${dmy(today)}`).waitFor();

    // Downloads per day: the total, the chart's text alternative, today's row.
    const days = page.getByRole('region', { name: 'Lượt tải xuống theo ngày', exact: true });
    await days.locator('dd[data-total="downloads"]').waitFor();
    assert.equal(await days.locator('dd[data-total="downloads"]').textContent(), String(byDay.totals.downloads));
    const chart = days.getByRole('img');
    assert.match(await chart.getAttribute('aria-label'), new RegExp(`tổng 3 lượt; nhiều nhất 3 lượt ngày ${dmy(today)}`));
    assert.equal(await chart.locator('rect.reports-bar-day').count(), 1);
    await days.getByText('Xem bảng số liệu').click();
    const todayRow = days.getByRole('row', { name: new RegExp(`^${dmy(today)}`) });
    assert.equal(await todayRow.locator('td').first().textContent(), '3');
    assert.equal(await days.getByRole('row').count(), 31, 'a header and 30 days');

    // Provinces and levels: names and numbers as the API has them.
    const cells = async (name) => {
      const region = page.getByRole('region', { name, exact: true });
      await region.locator('tbody tr').first().waitFor();
      return region.locator('tbody tr').evaluateAll((rs) => rs.map((r) => [r.cells[0].textContent, r.querySelector('[data-col="downloads"]').textContent]));
    };
    assert.deepEqual(await cells('Theo tỉnh, thành phố'), byProvince.items.map((i) => [i.key, String(i.downloads)]));
    assert.deepEqual(await cells('Theo cấp học'), [['THPT', '2'], ['Tiểu học', '1']]);
    const topRows = await cells('Tài liệu được tải xuống nhiều nhất');
    assert.deepEqual(topRows, top.items.map((i) => [i.label, String(i.downloads)]));
    assert.deepEqual(topRows[0], [TITLE_A, '2']);

    // Huế: the material nobody there downloaded, and the units that downloaded nothing.
    const coverage = page.getByRole('region', { name: 'Độ phủ theo tỉnh, thành phố', exact: true });
    await coverage.getByLabel('Tỉnh, thành phố').selectOption('Huế');
    await page.waitForURL((u) => u.searchParams.get('province') === 'Huế');
    await coverage.getByText('1/2 tài liệu đã duyệt chưa được Huế tải xuống trong kỳ.').waitFor();
    assert.deepEqual(await coverage.locator('ul.reports-missing li a').allTextContents(), [TITLE_B]);
    const idle = await coverage.locator('table[data-table="idle"] tbody tr').evaluateAll((rs) => rs.map((r) => r.dataset.code));
    assert.deepEqual(idle, coverageHue.provinces[0].not_downloaded.map((u) => u.code));
    assert.ok(idle.includes('THPT-QH') && !idle.includes('TH-VD'));
    const hueRow = coverage.locator('table[data-table="coverage"] tr[data-key="Huế"]');
    assert.match(await hueRow.textContent(), new RegExp(`^Huế${coverageHue.provinces[0].units}1${coverageHue.provinces[0].units - 1}$`));

    // CSV for Excel: a BOM, Vietnamese headers and province names.
    const file = await download(page, page.getByRole('link', { name: 'Xuất CSV: Theo tỉnh, thành phố' }));
    assert.deepEqual([...file.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    const csv = file.bytes.toString('utf8');
    assert.match(csv, /Tỉnh\/thành phố/);
    assert.match(csv, /Hà Nội/);
    assert.match(csv, /Huế/);
    assert.match(file.name, /\.csv$/);

    // In English the same numbers carry English names.
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Download reports', level: 1 }).waitFor();
    assert.deepEqual(await cells('By education level'), [['Upper secondary', '2'], ['Primary', '1']]);
    await page.getByRole('button', { name: 'Tiếng Việt' }).click();

    assert.deepEqual(unexpectedErrors(page), []);
    assert.deepEqual(page.foreignRequests, []);
  });
  await page.context().close();
});

test('a reviewer of the Ministry reads the same dashboard', async () => {
  const page = await openPage(browser, server, { viewport: { width: 390, height: 844 } });
  await withScreenshot(page, 'admin-reports-reviewer', async () => {
    await signIn(page, server, people.reviewer.username);
    await page.goto(`${server.base}/admin/reports?from=${today}&to=${today}`);
    const days = page.getByRole('region', { name: 'Lượt tải xuống theo ngày', exact: true });
    await days.locator('dd[data-total="downloads"]').waitFor();
    assert.equal(await days.locator('dd[data-total="downloads"]').textContent(), '3');
    assert.match(await days.getByRole('img').getAttribute('aria-label'), new RegExp(`từ ${dmy(today)} đến ${dmy(today)}: tổng 3 lượt`));
    const top = page.getByRole('region', { name: 'Tài liệu được tải xuống nhiều nhất', exact: true });
    await top.getByRole('link', { name: TITLE_A }).waitFor();
    assert.deepEqual(unexpectedErrors(page), []);
    assert.deepEqual(page.foreignRequests, []);
  });
  await page.context().close();
});

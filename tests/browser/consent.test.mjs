// Consent in the widget, against the real server: the shipped finders offer to email the picks; the shopper gives
// an address and consent, and one button withdraws it again; a returning shopper who agreed before is offered the
// button instead of the form. The ledger is read back through the shop's API.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BASE, axe, completeWithMouse, demoUrl, fmtViolations, launch, newPage, shot, waitFrames, widget } from './lib.mjs';

const KEY = process.env.SHOPKEEP_API_KEY || '';

async function consents(visitor) {
  const res = await fetch(`${BASE}/v1/visitors/${visitor}/consents`, { headers: { authorization: `Bearer ${KEY}` } });
  const body = await res.text();
  assert.equal(res.status, 200, body);
  return JSON.parse(body);
}

const given = (ledger) => ledger.state.find((s) => s.purpose === 'email_recommendations')?.given;

async function finish(browser, visitor, locale = 'en') {
  const { context, page, rec } = await newPage(browser, { locale: locale === 'ja' ? 'ja-JP' : 'en-US' });
  await page.goto(demoUrl({ open: 'true', visitor, flow: 'running-shoes', locale }));
  const w = widget(page);
  await completeWithMouse(w);
  const products = await waitFrames(rec, 'received', (m) => m.type === 'products', 'products');
  return { context, page, rec, w, products };
}

describe('consent in the widget', () => {
  let browser;
  before(async () => {
    assert.ok(KEY, 'SHOPKEEP_API_KEY is set by the test runner (tests/it/browser.rs)');
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test('a shopper gives an address and consent under the picks, then stops the emails with one button', async () => {
    const visitor = `v-browser-consent-${Date.now()}`;
    const { context, page, rec, w, products } = await finish(browser, visitor);
    assert.equal(products.email_capture, true, 'the shipped finder offers the email');
    assert.equal(products.consented, false);
    const form = w.locator('form.email');
    await form.waitFor();
    assert.match(await form.locator('.ck label').textContent(), /emails me running shoe recommendations/);
    await form.locator('input[type=email]').fill('browser-consent@example.com');
    await form.locator('input[type=checkbox]').check();
    await form.locator('button[type=submit]').click();
    await w.locator('.msg.bot', { hasText: 'Your consent is recorded' }).waitFor();
    assert.equal(given(await consents(visitor)), true, 'recorded before the thanks');

    const stop = form.locator('button.stop');
    assert.equal(await stop.textContent(), 'Stop emails');
    const found = await axe(page);
    assert.deepEqual(found, [], fmtViolations(found));
    await stop.click();
    await w.locator('.msg.bot', { hasText: "we won't email you" }).waitFor();
    const sent = rec.sent.filter((m) => m.type === 'consent');
    assert.deepEqual(sent.at(-1), { type: 'consent', email: '', consent: false });
    const ledger = await consents(visitor);
    assert.equal(given(ledger), false, 'withdrawn at once');
    assert.deepEqual(ledger.entries.map((e) => [e.action, e.channel]), [['given', 'widget'], ['withdrawn', 'widget']]);
    assert.match(await form.textContent(), /no more emails/);
    await shot(page, 'consent-withdrawn');
    assert.deepEqual(rec.errors, []);
    await context.close();
  });

  test('a returning shopper who agreed before is offered the stop button, not the form, in Japanese too', async () => {
    const visitor = `v-browser-agreed-${Date.now()}`;
    const first = await finish(browser, visitor, 'ja');
    const form = first.w.locator('form.email');
    await form.locator('input[type=email]').fill('browser-agreed@example.jp');
    await form.locator('input[type=checkbox]').check();
    await form.locator('button[type=submit]').click();
    await first.w.locator('.msg.bot', { hasText: 'ご同意を記録しました' }).waitFor();
    await first.context.close();

    const again = await finish(browser, visitor, 'ja');
    assert.equal(again.products.consented, true);
    const box = again.w.locator('.res .email');
    await box.waitFor();
    assert.equal(await box.locator('input[type=email]').count(), 0, 'no address asked again');
    assert.match(await box.textContent(), /メールをお届けしています/);
    await box.locator('button.stop', { hasText: 'メール配信を停止' }).click();
    await again.w.locator('.msg.bot', { hasText: 'メールはお送りしません' }).waitFor();
    assert.equal(given(await consents(visitor)), false);
    await again.context.close();
  });
});

// Shared helpers for the shopkeep widget browser tests (node:test + playwright-core + Debian's Chromium).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

export const BASE = (process.env.SHOPKEEP_URL || '').replace(/\/+$/, '');
if (!BASE) {
  throw new Error(
    'SHOPKEEP_URL is not set. Start the server (cargo run -- serve --addr 127.0.0.1:8089) and run:\n' +
      '  SHOPKEEP_URL=http://127.0.0.1:8089 node --test tests/browser/',
  );
}

export const OUT = join(here, 'output');
mkdirSync(OUT, { recursive: true });

/** Bounded waits: every wait in these tests ends within this many ms. */
export const T = Number(process.env.SHOPKEEP_TEST_TIMEOUT_MS || 15000);

let chromiumMod;
/** Headless Chromium; `extraArgs` adds flags (e.g. host-resolver rules that give a loopback server a name). */
export async function launch(extraArgs = []) {
  chromiumMod ??= require('playwright-core').chromium;
  return chromiumMod.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}

export const PHONE = { width: 390, height: 844 };
/** The same phone on its side. */
export const PHONE_SIDEWAYS = { width: 844, height: 390 };
export const DESKTOP = { width: 1280, height: 860 };

/**
 * A fresh context + page. Records every frame the page sends and receives on the chat socket, every
 * dialog (alert/confirm/prompt: the XSS test fails on any) and page errors.
 */
export async function newPage(
  browser,
  { viewport = DESKTOP, reducedMotion = 'reduce', locale = 'en-US', colorScheme = 'light', touch = false } = {},
) {
  // touch: a phone or tablet (a touch screen, the page's viewport meta honoured)
  const context = await browser.newContext({ viewport, reducedMotion, locale, colorScheme, hasTouch: touch, isMobile: touch });
  if (process.env.SHOPKEEP_DEV_WIDGET) {
    // Development shortcut: serve widget.js from this file instead of the one built into the server binary.
    const js = readFileSync(process.env.SHOPKEEP_DEV_WIDGET, 'utf8');
    await context.route(`${BASE}/widget.js`, (route) => route.fulfill({ contentType: 'text/javascript; charset=utf-8', body: js }));
  }
  const page = await context.newPage();
  page.setDefaultTimeout(T);
  const rec = { sent: [], received: [], dialogs: [], errors: [], sockets: 0 };
  page.on('websocket', (ws) => {
    if (!/\/v1\/chat/.test(ws.url())) return;
    rec.sockets++;
    ws.on('framesent', (f) => rec.sent.push(parse(f.payload)));
    ws.on('framereceived', (f) => rec.received.push(parse(f.payload)));
  });
  page.on('dialog', (d) => {
    rec.dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  page.on('pageerror', (e) => rec.errors.push(String(e)));
  return { context, page, rec };
}
function parse(p) {
  try {
    return JSON.parse(typeof p === 'string' ? p : p.toString('utf8'));
  } catch {
    return { unparsed: String(p) };
  }
}

/** Wait until `pred` holds for the recorded frames (bounded). */
export async function waitFrames(rec, list, pred, what) {
  const t0 = Date.now();
  for (;;) {
    const hit = rec[list].find(pred);
    if (hit) return hit;
    if (Date.now() - t0 > T) assert.fail(`timed out waiting for a ${list} frame: ${what}\n${JSON.stringify(rec[list].slice(-8))}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The demo page with query parameters. The inline finder is left out unless asked for. */
export function demoUrl(params = {}) {
  const q = new URLSearchParams({ inline: 'none', ...params });
  return `${BASE}/?${q}`;
}

/** The floating widget's host element (its shadow root is open: Playwright's CSS pierces it). */
export const widget = (page) => page.locator('#shopkeep-widget');

/** The turn (question or products) the widget is waiting on, once it is ready for input. */
export async function current(root) {
  const cur = root.locator('[data-current]:not([data-pending])');
  await cur.waitFor({ state: 'visible' });
  const kind = await cur.getAttribute('data-kind');
  const id = await cur.getAttribute('data-question');
  const step = await cur.getAttribute('data-step');
  return { el: cur, kind, id, step };
}

export async function openWidget(page, params) {
  await page.goto(demoUrl({ open: 'true', ...params }));
  const w = widget(page);
  await w.locator('[role=dialog]').waitFor({ state: 'visible' });
  return w;
}

/**
 * Answer the current question with the mouse. `prefs` maps a question id to the option value(s) to pick.
 * Returns what was answered.
 */
export async function answerWithMouse(root, prefs = {}) {
  const c = await current(root);
  const pref = prefs[c.id];
  if (pref && typeof pref === 'object' && !Array.isArray(pref) && 'text' in pref) {
    // answer in words, through the free-text input
    const input = root.locator('form.comp input');
    await input.fill(String(pref.text));
    await input.press('Enter');
    return { ...c, text: pref.text };
  }
  switch (c.kind) {
    case 'single':
    case 'yes_no': {
      const chip = pref != null ? c.el.locator(`.chip[data-value="${pref}"]`) : c.el.locator('.chip').first();
      const value = await chip.getAttribute('data-value');
      await chip.click();
      return { ...c, value };
    }
    case 'multi': {
      const values = [];
      const wanted = pref ? [].concat(pref) : null;
      const chips = c.el.locator('.chip');
      const confirm = c.el.locator('.btn');
      const n = await chips.count();
      for (let i = 0; i < n; i++) {
        const v = await chips.nth(i).getAttribute('data-value');
        if (wanted && !wanted.includes(v)) continue;
        await chips.nth(i).click();
        values.push(v);
        if (!wanted && (await confirm.isEnabled())) break;
      }
      await confirm.click();
      return { ...c, values };
    }
    case 'range': {
      const num = c.el.locator('input[type=number]');
      if (pref != null) await num.fill(String(pref));
      const value = Number(await num.inputValue());
      await c.el.locator('button[type=submit]').click();
      return { ...c, value };
    }
    case 'text': {
      const skip = c.el.locator('.ghost', { hasText: /skip|スキップ/i });
      if ((await skip.count()) && pref == null) {
        await skip.click();
        return { ...c, skipped: true };
      }
      const input = root.locator('form.comp input');
      await input.fill(String(pref ?? 'anything'));
      await input.press('Enter');
      return { ...c, text: pref };
    }
    default:
      throw new Error(`the current turn is ${c.kind}, not a question`);
  }
}

/** Answer questions with the mouse until products show (bounded). Returns the answered questions. */
export async function completeWithMouse(root, prefs = {}, max = 15) {
  const done = [];
  for (let i = 0; i < max; i++) {
    const c = await current(root);
    if (c.kind === 'products') return done;
    done.push(await answerWithMouse(root, prefs));
  }
  throw new Error(`no products after ${max} answers`);
}

/** Answer until a question of `kind` is current (bounded); returns it. */
export async function answerUntil(root, kind, prefs = {}, max = 15) {
  for (let i = 0; i < max; i++) {
    const c = await current(root);
    if (c.kind === kind) return c;
    if (c.kind === 'products') return null;
    await answerWithMouse(root, prefs);
  }
  return null;
}

/** Products shown: at least one card with a title, a price and an explanation line. */
export async function assertCards(root, { price = /[$¥￥€£]\s?\d/ } = {}) {
  const res = root.locator('[data-current][data-kind=products]');
  await res.waitFor();
  const cards = res.locator('.card');
  const n = await cards.count();
  assert.ok(n >= 1, 'at least one product card');
  const first = cards.first();
  const title = (await first.locator('.ttl').textContent()).trim();
  const priceText = (await first.locator('.price').textContent()).trim();
  const why = (await first.locator('.why').textContent()).trim();
  assert.ok(title.length > 0, 'the card has a title');
  assert.match(priceText, price, 'the card has a formatted price');
  assert.ok(why.length > 0, 'the card explains why it was picked');
  return { n, title, price: priceText, why };
}

/** The focused element, through shadow roots: a few facts about it. */
export function activeInfo(page) {
  return page.evaluate(() => {
    let a = document.activeElement;
    while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
    if (!a) return null;
    return {
      tag: a.tagName.toLowerCase(),
      cls: a.className && typeof a.className === 'string' ? a.className : '',
      type: a.getAttribute('type'),
      label: a.getAttribute('aria-label') || '',
      text: (a.textContent || '').trim().slice(0, 80),
      value: a.getAttribute('data-value'),
      inWidget: a.getRootNode() !== document,
      disabled: !!a.disabled,
    };
  });
}

/** Press Tab (bounded) until the focused element satisfies `pred`. */
export async function tabTo(page, pred, what, max = 60) {
  for (let i = 0; i < max; i++) {
    const a = await activeInfo(page);
    if (a && pred(a)) return a;
    await page.keyboard.press('Tab');
  }
  assert.fail(`keyboard: could not reach ${what} with Tab`);
}

export async function shot(page, name) {
  await page.screenshot({ path: join(OUT, `${name}.png`) });
}

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Run axe-core on the element matched by `selector` (shadow DOM included); returns serious/critical violations. */
export async function axe(page, selector = '#shopkeep-widget') {
  await page.evaluate(AXE);
  const results = await page.evaluate(async (sel) => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document.querySelector(sel), { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => `${JSON.stringify(n.target)} ${n.failureSummary}`).slice(0, 5),
    }));
  }, selector);
  return results.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export function fmtViolations(v) {
  return v.map((x) => `${x.id} (${x.impact}): ${x.help}\n    ${x.nodes.join('\n    ')}`).join('\n');
}

/*! shopkeep chat widget (protocol v1) — self-contained, no dependencies.
 *
 * Floating launcher:
 *   <script src="https://shop.example/widget.js" data-flow="running-shoes" data-locale="en"
 *           data-theme="#0b6e4f" data-position="right" data-open="false" data-visitor="cust-42" async></script>
 * Inline (any number of them; attributes as above, per element):
 *   <div data-shopkeep-inline data-flow="knives" data-locale="ja"></div>
 * or on the script tag: data-shopkeep-mount="#finder" renders the script's finder inside that element.
 *
 * More: data-cta="Need help choosing?", data-auto-open="10" (seconds) or "exit" (desktop exit intent), at most once a
 * day; data-add-to-cart="https://shop.example/cart/add?id={id}" or window.shopkeepAddToCart(productId);
 * data-color-scheme="auto|light|dark"; data-context="PRODUCT-ID" on a product page (the "recommended for you"
 * strip). Events on the host element (they bubble): shopkeep:open, shopkeep:close, shopkeep:answer,
 * shopkeep:results, shopkeep:recommendations, shopkeep:product-click (cancelable), shopkeep:add-to-cart.
 * API: Shopkeep.open({flow, context}), Shopkeep.close(). Theming: --sk-accent, --sk-accent-text, --sk-accent-ink, --sk-bg,
 * --sk-fg, --sk-muted, --sk-border, --sk-surface, --sk-radius, --sk-font, --sk-inline-height. See docs/embedding.md.
 * Every string from the server is rendered as text (textContent / text nodes), never as HTML.
 */
(() => {
  'use strict';
  const W = window;
  const D = document;
  if (W.Shopkeep && W.Shopkeep.loaded) return;

  const SCRIPT =
    D.currentScript ||
    [...D.querySelectorAll('script[src]')].find((s) => /\/widget\.js(?:[?#]|$)/.test(s.src));
  if (!SCRIPT) return;
  const BASE = new URL(SCRIPT.src, location.href);
  const WS_URL = (() => {
    const u = new URL('v1/chat', BASE);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    u.search = u.hash = '';
    return u.href;
  })();
  const ACCESS_URL = new URL('v1/access', BASE).href;

  // ---------------------------------------------------------------- strings
  const STR = {
    en: {
      open: 'Open shopping assistant',
      close: 'Close assistant',
      assistant: 'Shopping assistant',
      restart: 'Start over',
      back: 'Back',
      skip: 'Skip',
      skipped: 'Skip this one',
      resultsNow: 'Show results now',
      resultsNowSaid: 'Show me results now',
      send: 'Send',
      typeHere: 'Type your answer…',
      typeLabel: 'Type your answer',
      typeBelow: 'Type your answer in the box below.',
      step: (n, m) => `Step ${n} of ${m}`,
      progress: 'Progress',
      done: 'Your picks',
      confirm: 'Confirm',
      pick: (a, b) => (a === b ? `Choose ${a}` : `Choose ${a} to ${b}`),
      selected: (n) => `${n} selected`,
      upTo: (v) => `Up to ${v}`,
      amount: 'Amount',
      yes: 'Yes',
      no: 'No',
      typing: 'The assistant is typing',
      loosened: 'We loosened: ',
      view: 'View product',
      cart: 'Add to cart',
      cartNamed: (t) => `Add to cart: ${t}`,
      adding: 'Adding…',
      added: 'Added to cart',
      addedSaid: (t) => `${t} was added to your cart.`,
      cartFailed: 'Could not add. Try again',
      viewNamed: (t) => `View product: ${t}`,
      rating: (r) => `Rated ${r} out of 5`,
      picks: 'Products',
      forYou: 'Recommended for you',
      noResults: 'Sorry, nothing matched. Try going back or starting over.',
      reconnecting: 'Connection lost. Reconnecting…',
      outage: 'The assistant can’t be reached right now. Still trying — what you typed is kept.',
      unavailable: 'Sorry, the shopping assistant isn’t available on this page.',
      elsewhere: 'This conversation continued in another tab. Answer here to continue it here.',
      offline: 'Not connected right now. Please try again in a moment.',
      welcomeBack: 'Welcome back! Picking up where you left off.',
      backSaid: 'Go back',
      restartSaid: 'Start over',
      emailTitle: 'Want these picks by email?',
      emailLabel: 'Email address',
      consent:
        'I agree that this shop may keep my answers and email me these picks. I can unsubscribe at any time.',
      emailSend: 'Email me my picks',
      consentNeeded: 'Please tick the box to agree first.',
      emailInvalid: 'Please enter a valid email address.',
      emailSent: (e) => `Sending your picks to ${e}.`,
      subscribed: 'You get our recommendations by email.',
      stopEmails: 'Stop emails',
      emailsStopped: 'Done: no more emails from us.',
      err: {
        bad_message: 'Sorry, I couldn’t read that. Please try again.',
        unknown_type: 'Sorry, something went wrong. Please try again.',
        unknown_flow: 'Sorry, this finder isn’t available right now.',
        no_session: 'One moment, reconnecting…',
        not_allowed: 'Sorry, that isn’t possible for this question.',
        unsupported_version: 'This assistant needs an update. Please reload the page.',
        internal: 'Sorry, something went wrong on our side. Please try again.',
        other: 'Sorry, something went wrong. Please try again.',
      },
    },
    ja: {
      open: 'ショッピングアシスタントを開く',
      close: 'アシスタントを閉じる',
      assistant: 'ショッピングアシスタント',
      restart: '最初からやり直す',
      back: '戻る',
      skip: 'スキップ',
      skipped: 'この質問はスキップ',
      resultsNow: '今すぐ結果を見る',
      resultsNowSaid: '今すぐ結果を見せて',
      send: '送信',
      typeHere: '回答を入力…',
      typeLabel: '回答を入力',
      typeBelow: '下の入力欄に回答を入力してください。',
      step: (n, m) => `ステップ ${n} / ${m}`,
      progress: '進み具合',
      done: 'おすすめ',
      confirm: '決定',
      pick: (a, b) => (a === b ? `${a}つ選んでください` : `${a}〜${b}つ選んでください`),
      selected: (n) => `${n}件選択中`,
      upTo: (v) => `${v}まで`,
      amount: '金額',
      yes: 'はい',
      no: 'いいえ',
      typing: 'アシスタントが入力中',
      loosened: '条件を緩めました：',
      view: '商品を見る',
      cart: 'カートに入れる',
      cartNamed: (t) => `カートに入れる：${t}`,
      adding: '追加しています…',
      added: 'カートに追加しました',
      addedSaid: (t) => `${t}をカートに追加しました。`,
      cartFailed: '追加できませんでした。もう一度お試しください',
      viewNamed: (t) => `商品を見る：${t}`,
      rating: (r) => `5点中${r}点`,
      picks: '商品',
      forYou: 'あなたへのおすすめ',
      noResults: '条件に合う商品が見つかりませんでした。戻るか、最初からやり直してください。',
      reconnecting: '接続が切れました。再接続しています…',
      outage: '現在アシスタントに接続できません。再接続を続けています（入力内容は残ります）。',
      unavailable: '申し訳ありません。このページではショッピングアシスタントをご利用いただけません。',
      elsewhere: 'この会話は別のタブで続けられています。ここで回答すると、こちらで続けられます。',
      offline: '現在接続されていません。少し待ってからもう一度お試しください。',
      welcomeBack: 'おかえりなさい。前回の続きから再開します。',
      backSaid: '戻る',
      restartSaid: '最初から',
      emailTitle: 'おすすめをメールで受け取りますか？',
      emailLabel: 'メールアドレス',
      consent: '回答内容の保存と、おすすめ商品のメール送信に同意します。配信はいつでも停止できます。',
      emailSend: 'メールで受け取る',
      consentNeeded: '先に同意のチェックを入れてください。',
      emailInvalid: '正しいメールアドレスを入力してください。',
      emailSent: (e) => `${e} にお送りします。`,
      subscribed: 'おすすめ商品のメールをお届けしています。',
      stopEmails: 'メール配信を停止',
      emailsStopped: '配信を停止しました。今後メールはお送りしません。',
      err: {
        bad_message: 'すみません、うまく読み取れませんでした。もう一度お試しください。',
        unknown_type: 'すみません、問題が発生しました。もう一度お試しください。',
        unknown_flow: 'すみません、この診断は現在ご利用いただけません。',
        no_session: '再接続しています…',
        not_allowed: 'すみません、この質問ではその操作はできません。',
        unsupported_version: 'アシスタントの更新が必要です。ページを再読み込みしてください。',
        internal: 'すみません、こちら側で問題が発生しました。もう一度お試しください。',
        other: 'すみません、問題が発生しました。もう一度お試しください。',
      },
    },
  };
  const langOf = (l) => String(l || '').trim().split(/[-_]/)[0].toLowerCase();

  // ---------------------------------------------------------------- helpers
  /** Build an element. Children that are strings become text nodes (never parsed as HTML). */
  function h(tag, attrs, ...kids) {
    const e = D.createElement(tag);
    if (attrs)
      for (const k of Object.keys(attrs)) {
        const v = attrs[k];
        if (v == null || v === false) continue;
        if (k === 'class') e.className = v;
        else if (k === 'text') e.textContent = v;
        else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, v === true ? '' : String(v));
      }
    for (const c of kids.flat()) if (c != null && c !== false) e.append(c);
    return e;
  }
  const SVGNS = 'http://www.w3.org/2000/svg';
  function icon(d, size = 24) {
    const s = D.createElementNS(SVGNS, 'svg');
    s.setAttribute('viewBox', '0 0 24 24');
    s.setAttribute('width', size);
    s.setAttribute('height', size);
    s.setAttribute('aria-hidden', 'true');
    s.setAttribute('focusable', 'false');
    const p = D.createElementNS(SVGNS, 'path');
    p.setAttribute('d', d);
    p.setAttribute('fill', 'currentColor');
    s.append(p);
    return s;
  }
  const I_CHAT =
    'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z';
  const I_CLOSE =
    'M18.3 5.7a1 1 0 0 0-1.4 0L12 10.6 7.1 5.7a1 1 0 1 0-1.4 1.4l4.9 4.9-4.9 4.9a1 1 0 1 0 1.4 1.4l4.9-4.9 4.9 4.9a1 1 0 0 0 1.4-1.4L13.4 12l4.9-4.9a1 1 0 0 0 0-1.4z';
  const I_RESTART =
    'M12 5V2L7 6l5 4V7a5 5 0 1 1-5 5H5a7 7 0 1 0 7-7z';
  const I_SEND = 'M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z';
  const I_BACK = 'M20 11H7.8l5.6-5.6L12 4l-8 8 8 8 1.4-1.4L7.8 13H20z';

  /** Only http(s) URLs, or a path on the shopkeep server ("/…", not "//…"); anything else is dropped. */
  function safeUrl(s) {
    if (typeof s !== 'string') return null;
    s = s.trim();
    if (!s) return null;
    try {
      if (s[0] === '/') {
        if (s[1] === '/' || s[1] === '\\') return null;
        const u = new URL(s, BASE);
        return u.origin === BASE.origin ? u.href : null;
      }
      const u = new URL(s);
      return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
    } catch {
      return null;
    }
  }
  /**
   * A decorative picture. One that cannot load (a page CSP without img-src, a dead link) gives up its place (a card
   * keeps an empty frame) instead of showing a broken-image icon.
   */
  function pic(src, cls) {
    const i = h('img', { class: cls, src, alt: '', loading: 'lazy', decoding: 'async' });
    i.addEventListener('error', () => (cls ? i.replaceWith(h('div', { class: cls, 'aria-hidden': 'true' })) : i.remove()), { once: true });
    return i;
  }
  const str = (v) => (v == null ? '' : typeof v === 'string' ? v : String(v));
  const store = {
    get(k) {
      try {
        return W.sessionStorage.getItem(k);
      } catch {
        return null;
      }
    },
    set(k, v) {
      try {
        if (v == null) W.sessionStorage.removeItem(k);
        else W.sessionStorage.setItem(k, v);
      } catch {
        /* storage unavailable: no resume */
      }
    },
  };
  // A phone: a narrow screen, or a touch screen as short as a phone on its side (where a floating panel would be
  // a sliver). The panel is then full screen and a modal; the CSS below uses the same query.
  const NARROW = '(max-width:520px),(max-height:520px) and (pointer:coarse)';
  const reducedMotion = () => W.matchMedia && W.matchMedia('(prefers-reduced-motion: reduce)').matches;

  // WCAG relative luminance of a #rgb / #rrggbb colour, or null.
  function lum(hex) {
    const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(str(hex).trim());
    if (!m) return null;
    let x = m[1];
    if (x.length === 3) x = [...x].map((c) => c + c).join('');
    const ch = [0, 2, 4].map((i) => {
      const c = parseInt(x.slice(i, i + 2), 16) / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
  }
  const contrast = (a, b) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);

  // ---------------------------------------------------------------- styles
  const CSS = `
/* No page style reaches inside: the host is reset (the launcher's host with !important, which beats page rules),
   and the wrapper resets every inherited property (all:initial) before setting what the widget needs. */
:host{all:initial;display:block}
:host([data-shopkeep=launcher]){all:initial!important}
:host([hidden]){display:none!important}
.w{all:initial;display:block;--a:var(--sk-accent,#0b6e4f);--at:var(--sk-accent-text,#fff);--ai:var(--sk-accent-ink,var(--li,var(--a)));
--bg:var(--sk-bg,#fff);--fg:var(--sk-fg,#1d232a);--mu:var(--sk-muted,#555f6b);--bd:var(--sk-border,#cfd6dd);
--sf:var(--sk-surface,#f1f4f6);--r:var(--sk-radius,16px);
--f:var(--sk-font,system-ui,-apple-system,"Segoe UI",Roboto,"Hiragino Sans","Hiragino Kaku Gothic ProN","Noto Sans JP","IPAGothic",Meiryo,sans-serif);
--wb:#fff4d6;--wf:#4d3900;--eb:#fde8e8;--ef:#8a1111;--st:#7a4f00;color-scheme:light;
font:15px/1.45 var(--f);color:var(--fg);direction:ltr;text-align:left;-webkit-text-size-adjust:100%;text-size-adjust:100%}
@media (prefers-color-scheme:dark){.w:not(.cs-light):not(.cs-shop){--bg:var(--sk-bg,#161b20);--fg:var(--sk-fg,#e9eef2);--mu:var(--sk-muted,#a9b4be);
--bd:var(--sk-border,#3b4651);--sf:var(--sk-surface,#242c34);--ai:var(--sk-accent-ink,color-mix(in srgb,var(--a) 40%,#fff));--wb:#3d3214;--wf:#ffe3a1;--eb:#4a1d1d;--ef:#ffc9c9;--st:#ffd27a;color-scheme:dark}}
.w.cs-dark{--bg:var(--sk-bg,#161b20);--fg:var(--sk-fg,#e9eef2);--mu:var(--sk-muted,#a9b4be);--bd:var(--sk-border,#3b4651);
--sf:var(--sk-surface,#242c34);--ai:var(--sk-accent-ink,color-mix(in srgb,var(--a) 40%,#fff));--wb:#3d3214;--wf:#ffe3a1;--eb:#4a1d1d;--ef:#ffc9c9;--st:#ffd27a;color-scheme:dark}
*,*::before,*::after{box-sizing:border-box}
button,input{font:inherit;color:inherit}
button{cursor:pointer}
:focus-visible{outline:3px solid var(--a);outline-offset:2px}
.sr{position:absolute!important;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.launch{position:fixed;bottom:20px;right:20px;z-index:2147483000;width:60px;height:60px;border-radius:50%;border:0;
background:var(--a);color:var(--at);display:grid;place-items:center;box-shadow:0 6px 20px rgba(0,0,0,.25);transition:transform .15s}
.launch:hover{transform:scale(1.06)}
.left .launch{right:auto;left:20px}
.panel{display:flex;flex-direction:column;background:var(--bg);color:var(--fg);overflow:hidden;border-radius:var(--r)}
.float .panel{position:fixed;z-index:2147483001;bottom:92px;right:20px;width:min(400px,calc(100vw - 40px));
height:min(660px,calc(100vh - 120px));box-shadow:0 12px 40px rgba(0,0,0,.28);animation:pop .18s ease-out}
.float.left .panel{right:auto;left:20px}
.inline .panel{position:relative;width:100%;height:var(--sk-inline-height,600px);border:1px solid var(--bd)}
.panel[hidden]{display:none}
@keyframes pop{from{opacity:0;transform:translateY(12px) scale(.98)}to{opacity:1;transform:none}}
@media (max-width:520px),(max-height:520px) and (pointer:coarse){.float .panel{inset:0;width:100%;height:100%;border-radius:0}.float.open .launch{display:none}}
.hd{background:var(--a);color:var(--at);padding:12px 12px 10px 16px;flex:none}
.hrow{display:flex;align-items:center;gap:6px}
h2{flex:1;margin:0;font-size:16px;font-weight:700;line-height:1.3;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.ib{border:0;background:transparent;color:inherit;width:36px;height:36px;border-radius:50%;display:grid;place-items:center;flex:none}
.ib:hover{background:rgba(255,255,255,.18)}
.hd :focus-visible{outline-color:var(--at)}
.prog{display:flex;align-items:center;gap:10px;margin-top:6px;font-size:12.5px;font-weight:600}
.prog[hidden]{display:none}
.bar{flex:1;height:6px;border-radius:3px;background:rgba(255,255,255,.35);overflow:hidden}
.bar>i{display:block;height:100%;width:0;background:var(--at);border-radius:3px;transition:width .3s}
.status{background:var(--wb);color:var(--wf);font-size:13px;padding:6px 14px;flex:none}
.status[hidden]{display:none}
.log{flex:1;overflow-y:auto;overscroll-behavior:contain;padding:16px 14px 8px;position:relative;container-type:inline-size;scroll-behavior:smooth}
.msg{max-width:88%;margin:0 0 10px;padding:9px 13px;border-radius:16px;white-space:pre-wrap;overflow-wrap:anywhere;animation:in .18s ease-out}
@keyframes in{from{opacity:0;transform:translateY(6px)}to{opacity:1;transform:none}}
.bot{background:var(--sf);border-bottom-left-radius:5px}
.q{font-weight:600}
.q:focus{outline:none}.q:focus-visible{outline:3px solid var(--a)}
.hint{background:var(--wb);color:var(--wf)}
.err{background:var(--eb);color:var(--ef)}
.me{margin-left:auto;background:var(--a);color:var(--at);border-bottom-right-radius:5px;width:fit-content}
.note{text-align:center;color:var(--mu);font-size:13px;margin:4px 0 10px}
.ctrl{margin:0 0 12px}
.ctrl[inert]{opacity:.55}
.chips{display:flex;flex-wrap:wrap;gap:8px;margin:0;padding:0;list-style:none}
.chip{border:1.5px solid var(--ai);background:var(--bg);color:var(--ai);border-radius:999px;padding:7px 15px;min-height:38px;
font-weight:600;display:inline-flex;align-items:center;gap:8px;transition:background .12s}
.chip:hover{background:color-mix(in srgb,var(--a) 10%,var(--bg))}
.chip[aria-pressed=true]{background:var(--a);color:var(--at)}
.chip[aria-pressed=true]::before{content:"✓"}
.chip:disabled{opacity:.45;cursor:not-allowed}
.chip img{width:28px;height:28px;border-radius:50%;object-fit:cover;margin-left:-8px}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(104px,1fr))}
.tile{position:relative;border-radius:12px;flex-direction:column;padding:6px 6px 8px;width:100%;height:100%;gap:4px;text-align:center;justify-content:flex-start}
.tile img{width:100%;height:auto;aspect-ratio:1;border-radius:8px;margin:0;background:var(--sf);object-fit:contain}
.tile[aria-pressed=true]::before{position:absolute;margin:4px}
.launch.pill{width:auto;border-radius:30px;padding:0 20px 0 16px;display:flex;gap:8px;font-weight:700;font-size:15px}
.cart{border:1.5px solid var(--ai);background:var(--bg);color:var(--ai);border-radius:8px;padding:4px 12px;font-weight:700;font-size:14px;min-height:32px}
.cart[data-done]{border-color:transparent;background:transparent;cursor:default}.cart[data-done]::before{content:"✓ "}
.cta-row{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin-top:auto}
.help{color:var(--mu);font-size:13px;margin:8px 2px 0}
.btn{border:0;border-radius:10px;padding:8px 16px;min-height:38px;background:var(--a);color:var(--at);font-weight:700}
.btn:disabled{opacity:.45;cursor:not-allowed}
.ghost{border:1.5px solid var(--bd);background:var(--bg);color:var(--fg);font-weight:600;border-radius:10px;padding:6px 12px;min-height:36px;font-size:14px;display:inline-flex;align-items:center;gap:6px}
.ghost:hover{border-color:var(--mu)}
.acts{display:flex;flex-wrap:wrap;gap:8px;margin-top:10px}
.range{background:var(--sf);border-radius:12px;padding:12px 14px}
.rrow{display:flex;align-items:center;gap:10px;margin-top:8px}
.rv{font-size:20px;font-weight:700;color:var(--fg)}
input[type=range]{flex:1;accent-color:var(--a);min-width:0;height:28px}
.num{width:96px;padding:6px 8px;border:1.5px solid var(--mu);border-radius:8px;background:var(--bg)}
.unit{color:var(--mu);font-weight:600}
.scale{display:flex;justify-content:space-between;color:var(--mu);font-size:12.5px}
.typing{display:flex;gap:4px;width:fit-content;padding:12px 14px}
.typing i{width:7px;height:7px;border-radius:50%;background:var(--mu);animation:b 1s infinite}
.typing i:nth-child(2){animation-delay:.15s}.typing i:nth-child(3){animation-delay:.3s}
@keyframes b{0%,60%,100%{transform:none;opacity:.5}30%{transform:translateY(-4px);opacity:1}}
.res{margin:4px 0 14px}
.res h3{margin:0 0 4px;font-size:16px}
.res .intro{margin:0 0 8px;color:var(--mu)}
.relaxed{background:var(--wb);color:var(--wf);border-radius:10px;padding:8px 12px;margin:0 0 10px;font-size:14px}
.recs{margin:4px 0 14px}.recs h3{margin:0 0 6px;font-size:15px}
.cards{list-style:none;margin:0;padding:0;display:grid;gap:10px}
.card{display:grid;grid-template-columns:92px 1fr;gap:12px;border:1px solid var(--bd);border-radius:14px;padding:10px;background:var(--bg)}
.im{width:92px;height:92px;border-radius:10px;background:var(--sf);object-fit:contain;display:block}
.cb{min-width:0;display:flex;flex-direction:column;gap:2px}
@container (min-width:540px){.cards{grid-template-columns:repeat(auto-fill,minmax(220px,1fr))}.card{grid-template-columns:1fr;gap:10px}.card .im{width:100%;height:150px}}
.strip{display:flex;overflow-x:auto;scroll-snap-type:x mandatory;padding-bottom:4px}.strip .card{flex:0 0 78%;scroll-snap-align:start}
.brand{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--mu);font-weight:700}
.ttl{margin:0;font-size:15px;font-weight:700;overflow-wrap:anywhere}
.meta{display:flex;align-items:baseline;gap:10px;flex-wrap:wrap}
.price{font-weight:800;font-size:16px}
.stars{color:var(--st);font-size:13px;font-weight:600}
.why{font-size:13.5px;color:var(--fg);margin:4px 0 6px;padding-left:20px;position:relative}
.why::before{content:"✓";position:absolute;left:2px;color:var(--ai);font-weight:800}
.view{align-self:flex-start;text-decoration:none;border-radius:8px;padding:5px 12px;background:var(--a);color:var(--at);font-weight:700;font-size:14px}
.view:hover{text-decoration:underline}
.email{margin-top:12px;background:var(--sf);border-radius:12px;padding:12px 14px}
.email h4{margin:0 0 8px;font-size:15px}
.email label{display:block}
.email input[type=email]{width:100%;padding:8px 10px;border:1.5px solid var(--mu);border-radius:8px;margin-top:4px;background:var(--bg)}
.email .ck{display:flex;gap:8px;align-items:flex-start;margin:10px 0;font-size:13.5px}
.email .ck input{margin-top:3px;width:18px;height:18px;accent-color:var(--a);flex:none}
.email .bad{color:var(--ef);font-size:13.5px;margin:0 0 8px}
form.comp{display:flex;gap:8px;padding:10px 12px;border-top:1px solid var(--bd);background:var(--bg);flex:none}
.comp input{flex:1;min-width:0;border:1.5px solid var(--mu);border-radius:999px;padding:9px 14px;background:var(--bg)}
.comp button{border:0;width:42px;height:42px;border-radius:50%;background:var(--a);color:var(--at);display:grid;place-items:center;flex:none}
@media (max-width:520px),(pointer:coarse){input{font-size:16px}}
@media (prefers-reduced-motion:reduce){*,*::before,*::after{animation:none!important;transition:none!important;scroll-behavior:auto!important}}
@media (forced-colors:active){.chip[aria-pressed=true]{outline:3px solid CanvasText}.bar>i{background:CanvasText}}
`;

  // A constructable stylesheet adopted by each shadow root: a page's `style-src` CSP without 'unsafe-inline'
  // blocks a <style> element, not this. Browsers without it (Safari < 16.4) get the <style> element.
  let sheet = null;
  function adoptStyles(root) {
    try {
      if (!sheet) {
        sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
      }
      root.adoptedStyleSheets = [sheet];
    } catch {
      root.append(h('style', { text: CSS }));
    }
  }

  // ---------------------------------------------------------------- the chat
  let seq = 0;
  const instances = [];

  class Chat {
    constructor(host, cfg) {
      this.host = host;
      this.cfg = cfg;
      this.inline = !!cfg.inline;
      this.id = 'sk' + ++seq;
      this.lang = langOf(cfg.locale) || langOf(D.documentElement.lang) || 'en';
      this.key = 'shopkeep:' + cfg.flow + (cfg.storeSuffix || '');
      this.ws = null;
      this.attempt = 0;
      this.retryTimer = 0;
      this.stopped = false;
      this.started = false; // a session exists (session message seen on this socket)
      this.turn = null; // {el, ctrl, kind:'question'|'products', q}
      this.pending = false;
      this.wantFocus = false;
      this.viewedObs = null;
      this.build();
      this.restore();
      instances.push(this);
    }

    get t() {
      return STR[this.lang] || STR.en;
    }
    /** A DOM event on the host element for the shop's analytics and cart (bubbles; see docs/embedding.md). */
    emit(name, detail, cancelable) {
      return this.host.dispatchEvent(
        new CustomEvent('shopkeep:' + name, {
          detail: Object.assign({ flow: this.cfg.flow }, detail),
          bubbles: true,
          composed: true,
          cancelable: !!cancelable,
        }),
      );
    }
    get nf() {
      const page = D.documentElement.lang || '';
      return langOf(page) === this.lang ? page : this.lang;
    }

    // -------------------------------------------------------------- DOM
    build() {
      const root = (this.root = this.host.attachShadow({ mode: 'open' }));
      const t = this.t;
      const wrap = (this.wrap = h('div', {
        class: 'w ' + (this.inline ? 'inline' : 'float') + (this.cfg.position === 'left' ? ' left' : '') +
          (/^(light|dark)$/.test(this.cfg.scheme) ? ' cs-' + this.cfg.scheme : ''),
        lang: this.lang,
      }));
      if (this.cfg.theme) {
        const th = this.cfg.theme;
        this.host.style.setProperty('--sk-accent', th);
        const L = lum(th);
        if (L != null) {
          const white = contrast(L, 1);
          const black = contrast(L, 0);
          this.host.style.setProperty('--sk-accent-text', white >= 4.5 || white >= black ? '#fff' : '#111');
          // the accent as text and borders on the light background: dark ink if it is too light (the dark theme
          // lightens the accent instead)
          if (white < 4.5) wrap.style.setProperty('--li', '#1d232a');
        }
      }
      const titleId = this.id + '-title';
      this.titleEl = h('h2', { id: titleId, text: t.assistant });
      this.stepText = h('span', { 'aria-hidden': 'true' });
      this.barFill = h('i');
      this.bar = h('div', {
        class: 'bar',
        role: 'progressbar',
        'aria-label': t.progress,
        'aria-valuemin': 0,
        'aria-valuemax': 1,
        'aria-valuenow': 0,
      }, this.barFill);
      this.prog = h('div', { class: 'prog', hidden: true }, this.bar, this.stepText);
      this.restartBtn = h('button', {
        type: 'button', class: 'ib', 'aria-label': t.restart, title: t.restart,
        onclick: () => this.restart(),
      }, icon(I_RESTART, 20));
      const hrow = h('div', { class: 'hrow' }, this.titleEl, this.restartBtn);
      if (!this.inline) {
        this.closeBtn = h('button', {
          type: 'button', class: 'ib', 'aria-label': t.close, title: t.close,
          onclick: () => this.close(true),
        }, icon(I_CLOSE, 22));
        hrow.append(this.closeBtn);
      }
      this.status = h('div', { class: 'status', role: 'status', hidden: true });
      this.log = h('div', { class: 'log' });
      this.live = h('div', { class: 'sr', 'aria-live': 'polite', 'aria-atomic': 'true' });
      this.input = h('input', {
        type: 'text', 'aria-label': t.typeLabel, placeholder: t.typeHere,
        autocomplete: 'off', enterkeyhint: 'send', maxlength: 500,
      });
      const form = h('form', {
        class: 'comp',
        onsubmit: (e) => {
          e.preventDefault();
          const v = this.input.value.trim();
          if (!v) return;
          if (this.answer({ text: v }, v, false)) this.input.value = '';
        },
      }, this.input, h('button', { type: 'submit', 'aria-label': t.send, title: t.send }, icon(I_SEND, 20)));
      this.panel = h('div', {
        class: 'panel',
        id: this.id + '-panel',
        role: this.inline ? 'region' : 'dialog',
        'aria-labelledby': titleId,
        'aria-modal': this.inline ? null : 'false',
      }, h('div', { class: 'hd' }, hrow, this.prog), this.status, this.log, form, this.live);
      this.panel.addEventListener('keydown', (e) => {
        if (e.key === 'Escape' && !this.inline) {
          e.preventDefault();
          this.close(true);
        } else if (e.key === 'Tab' && this.trapped) this.trap(e);
      });
      if (!this.inline) {
        this.panel.hidden = true;
        const cta = str(this.cfg.cta).trim().slice(0, 60);
        // with a call to action the launcher is a pill whose visible text is its name
        this.launch = h('button', {
          type: 'button', class: cta ? 'launch pill' : 'launch', 'aria-label': cta ? null : t.open, title: t.open,
          'aria-expanded': 'false', 'aria-controls': this.panel.id,
          onclick: () => (this.isOpen ? this.close(true) : this.open(true)),
        }, icon(I_CHAT, cta ? 22 : 28), cta ? h('span', { text: cta }) : null);
        wrap.append(this.launch);
        // turning a phone or resizing a window crosses the breakpoint: become (or stop being) a modal
        if (W.matchMedia) W.matchMedia(NARROW).addEventListener('change', () => this.modal(this.narrow()));
      }
      wrap.append(this.panel);
      adoptStyles(root);
      root.append(wrap);
      // The launcher and its panel live in the top layer (a manual popover), so no page style puts them elsewhere:
      // a transform or filter on <body> would make `position: fixed` follow the page instead of the screen.
      if (!this.inline && wrap.showPopover) {
        wrap.popover = 'manual';
        wrap.showPopover();
      }
      this.palette();
    }
    /**
     * A shop that sets its own colours (--sk-bg, --sk-fg, …) gets them on every visitor's screen: the dark palette
     * would fill the colours it did not set with dark ones (its dark text on our dark bubbles). Looked at again when
     * the panel opens and when the page's styles have loaded.
     */
    palette() {
      const cs = getComputedStyle(this.host);
      this.wrap.classList.toggle('cs-shop', ['bg', 'fg', 'muted', 'border', 'surface'].some((p) => cs.getPropertyValue('--sk-' + p).trim()));
    }

    relabel() {
      const t = this.t;
      this.wrap.lang = this.lang;
      this.bar.setAttribute('aria-label', t.progress);
      for (const [el, s] of [[this.restartBtn, t.restart], [this.closeBtn, t.close], [this.launch, t.open]])
        if (el) {
          if (el.hasAttribute('aria-label')) el.setAttribute('aria-label', s);
          el.title = s;
        }
      this.input.setAttribute('aria-label', t.typeLabel);
      this.input.placeholder = t.typeHere;
      const sb = this.input.nextElementSibling;
      sb.setAttribute('aria-label', t.send);
      sb.title = t.send;
    }

    get isOpen() {
      return this.inline || !this.panel.hidden;
    }
    /**
     * On a narrow screen the open panel covers the page and is a true modal: the page behind is inert (no Tab, no
     * clicks, hidden from screen readers) and does not scroll; Tab cycles inside the panel.
     */
    modal(on) {
      if (!on === !this.trapped) return;
      const de = D.documentElement.style;
      const bs = D.body.style;
      this.panel.setAttribute('aria-modal', on ? 'true' : 'false');
      if (on) {
        this.trapped = [];
        for (const el of D.body.children)
          if (el !== this.host && !el.inert && !/^(SCRIPT|STYLE|LINK|TEMPLATE)$/.test(el.tagName)) {
            el.inert = true;
            this.trapped.push(el);
          }
        this.overflow = [de.overflow, bs.overflow];
        de.overflow = bs.overflow = 'hidden';
      } else {
        for (const el of this.trapped) el.inert = false;
        this.trapped = null;
        [de.overflow, bs.overflow] = this.overflow;
      }
    }
    trap(e) {
      const f = [...this.panel.querySelectorAll('button,input,a[href],[tabindex="0"]')].filter(
        (el) => !el.disabled && !el.closest('[inert],[hidden]') && el.getClientRects().length,
      );
      if (!f.length) return;
      const a = this.root.activeElement;
      const [first, last] = [f[0], f[f.length - 1]];
      if (a === (e.shiftKey ? first : last)) {
        e.preventDefault();
        (e.shiftKey ? last : first).focus();
      }
    }
    narrow() {
      return !this.inline && !this.panel.hidden && !!W.matchMedia && W.matchMedia(NARROW).matches;
    }
    open(byUser) {
      if (!this.shown) this.emit('open', { byUser: !!byUser });
      this.palette();
      this.shown = true;
      if (!this.inline) {
        this.panel.hidden = false;
        this.wrap.classList.add('open');
        this.launch.setAttribute('aria-expanded', 'true');
        store.set(this.key + ':open', '1');
        this.modal(this.narrow());
      }
      if (byUser) this.wantFocus = true;
      this.connect();
      if (byUser) {
        const q = this.turn && this.turn.el.querySelector('.q');
        (q || this.input).focus({ preventScroll: true });
      }
      this.scrollEnd();
    }
    close(byUser) {
      if (this.inline) return;
      this.panel.hidden = true;
      this.wrap.classList.remove('open');
      this.launch.setAttribute('aria-expanded', 'false');
      store.set(this.key + ':open', '0');
      this.modal(false);
      if (this.shown) this.emit('close', { byUser: !!byUser });
      this.shown = false;
      if (byUser) this.launch.focus();
    }

    // -------------------------------------------------------------- socket
    connect() {
      if (this.refused) return;
      this.stopped = false;
      if (this.ws && this.ws.readyState <= 1) return;
      clearTimeout(this.retryTimer);
      this.retryTimer = 0;
      let ws;
      try {
        ws = new WebSocket(WS_URL);
      } catch {
        this.retry();
        return;
      }
      this.ws = ws;
      this.started = false;
      let opened = false;
      ws.onopen = () => {
        opened = true;
        this.sendStart();
      };
      ws.onmessage = (e) => {
        if (this.ws !== ws || typeof e.data !== 'string') return;
        let m;
        try {
          m = JSON.parse(e.data);
        } catch {
          return;
        }
        if (m && typeof m === 'object') this.onMessage(m);
      };
      ws.onclose = (e) => {
        if (this.ws !== ws) return;
        this.ws = null;
        this.started = false;
        this.typing(false);
        if (this.pending) this.unlock();
        // 1000: the server closed a long-silent conversation; reconnect when the shopper next acts, not now
        if (e.code === 1000 || this.stopped) return;
        // 4001: another tab resumed this conversation; do not take it back until the shopper acts here
        if (e.code === 4001) {
          this.elsewhere = true;
          return this.setStatus(this.t.elsewhere);
        }
        // The page cannot read why an upgrade failed (403 and "server down" both close with 1006): ask.
        if (opened) this.retry();
        else this.diagnose();
      };
      ws.onerror = () => {};
    }
    /** The socket failed before it opened: is this page's origin refused (stop) or is the server away (retry)? */
    diagnose() {
      fetch(ACCESS_URL, { mode: 'cors', credentials: 'omit', cache: 'no-store' }).then(
        (r) => (r.status === 403 ? this.refuse() : this.retry()),
        () => this.retry(),
      );
    }
    /** Not allowed on this page: nothing to retry. Tell the shopper plainly and the developer how to fix it. */
    refuse(why) {
      if (this.refused) return;
      this.refused = this.stopped = true;
      clearTimeout(this.retryTimer);
      this.retryTimer = 0;
      this.typing(false);
      this.setStatus(this.t.unavailable);
      this.wrap.setAttribute('data-state', 'unavailable');
      this.input.disabled = this.input.nextElementSibling.disabled = true;
      if (this.turn && this.turn.ctrl) this.turn.ctrl.inert = true;
      const o = location.origin;
      console.error(
        why ||
          (/^https?:\/\//.test(o)
            ? `shopkeep: the server at ${BASE.origin} refuses chats from pages of ${o}. Start it with --allow-origin ${o}`
            : `shopkeep: this page has no web origin (${o}: a file opened from disk or a sandboxed frame), so the server at ${BASE.origin} refuses its chats. Serve the page over https (or http) from an origin given to --allow-origin`) +
            ' (see docs/embedding.md).',
      );
    }
    retry() {
      if (this.retryTimer || this.refused) return;
      // exponential backoff with jitter: 0.5 s, 1 s, 2 s … capped at 20 s, each × [0.5, 1)
      const exp = Math.min(20000, 500 * 2 ** Math.min(this.attempt++, 10));
      const delay = exp / 2 + Math.random() * (exp / 2);
      // the first failure of a conversation that was going: a blip; after that, or before any reply: an outage
      this.setStatus(this.attempt > 1 || !this.everStarted ? this.t.outage : this.t.reconnecting);
      this.wrap.setAttribute('data-state', 'offline');
      this.retryTimer = setTimeout(() => {
        this.retryTimer = 0;
        this.connect();
      }, delay);
    }
    sendStart(fresh) {
      const tok = fresh ? null : store.get(this.key);
      if (fresh) store.set(this.key, null);
      this.resuming = !!tok;
      const m = { type: 'start', v: 1, flow: this.cfg.flow };
      if (this.cfg.locale) m.locale = langOf(this.cfg.locale);
      else if (D.documentElement.lang) m.locale = langOf(D.documentElement.lang);
      const visitor = this.cfg.visitor || visitorId();
      if (visitor) m.visitor = visitor;
      if (this.cfg.customer) Object.assign(m, { customer: this.cfg.customer, signature: this.cfg.signature });
      if (tok) m.resume = tok;
      else Object.assign(m, visitSource());
      this.raw(m);
      this.typing(true);
    }
    raw(m) {
      const ws = this.ws;
      if (!ws || ws.readyState !== 1) return false;
      ws.send(JSON.stringify(m));
      return true;
    }
    /** Send a conversational message; shows the typing indicator while the reply is pending. */
    send(m) {
      if (!this.started || !this.raw(m)) {
        // continued in another tab: this action takes the conversation back (the resume repeats where it is now)
        if (!this.elsewhere) this.note(this.refused ? this.t.unavailable : this.t.offline, 'err');
        this.connect();
        return false;
      }
      this.typing(true);
      return true;
    }
    setStatus(s) {
      this.status.textContent = s || '';
      this.status.hidden = !s;
    }

    // -------------------------------------------------------------- incoming
    onMessage(m) {
      if (m.type !== 'session') this.typing(false);
      switch (m.type) {
        case 'session':
          return this.onSession(m);
        case 'message':
          // a plain message may be the whole reply (e.g. to consent): free the controls unless a
          // question or products follow right away
          clearTimeout(this.unlockTimer);
          this.unlockTimer = setTimeout(() => this.unlock(), 300);
          this.add(h('div', { class: 'msg bot', text: str(m.text) }));
          this.remember('b', str(m.text));
          return this.say(str(m.text));
        case 'question':
          return this.onQuestion(m);
        case 'products':
          return this.onProducts(m);
        case 'recommendations':
          return this.onRecs(m);
        case 'error':
          return this.onError(m);
        default:
          return undefined; // unknown message types are ignored (forward compatible)
      }
    }

    onSession(m) {
      this.started = this.everStarted = true;
      this.elsewhere = false;
      this.attempt = 0;
      this.setStatus('');
      this.wrap.removeAttribute('data-state');
      if (typeof m.token === 'string' && m.token) store.set(this.key, m.token);
      if (m.locale && STR[langOf(m.locale)] && langOf(m.locale) !== this.lang) {
        this.lang = langOf(m.locale);
        this.relabel();
      }
      if (m.title) this.titleEl.textContent = str(m.title);
      // the question or picks that follow a resume are repeats: a shop's analytics should not count them twice
      this.repeat = !!m.resumed;
      if (m.resumed) {
        // the server repeats the current question/products: drop our unanswered copy
        if (this.turn) {
          this.turn.el.remove();
          this.turn = null;
        }
        // a new page (a reload): only the kept transcript shows, so say where the shopper is
        if (!this.log.querySelector('.msg:not(.typing):not(.past)')) this.note(this.t.welcomeBack);
      } else {
        this.clear();
        this.recommend();
      }
      this.resuming = false;
    }

    /** Asks for the "recommended for you" strip: shown to a returning shopper, or with a product in view. */
    recommend() {
      const m = { type: 'recommend', limit: 4 };
      if (this.cfg.context) m.context = String(this.cfg.context);
      this.raw(m);
    }

    onRecs(m) {
      const list = Array.isArray(m.products) ? m.products.filter((p) => p && p.id != null) : [];
      const old = this.log.querySelector('.recs');
      if (old) old.remove();
      if (!list.length || !(m.returning || this.cfg.context)) return;
      const tid = this.id + '-r' + ++seq;
      const sec = h('section', { class: 'recs', 'aria-labelledby': tid, 'data-kind': 'recommendations' });
      sec.append(h('h3', { id: tid, text: this.t.forYou }));
      const ul = h('ul', { class: 'cards strip' });
      for (const p of list) ul.append(this.card(Object.assign({}, p, { explanation: { line: str(p.reason) } })));
      sec.append(ul);
      // before the first question, where a returning shopper looks first
      const first = this.log.querySelector('.turn,.res');
      if (first) this.log.insertBefore(sec, first);
      else this.add(sec);
      this.emit('recommendations', {
        products: list.map((p) => ({ id: str(p.id), title: str(p.title), kind: str(p.kind), reason: str(p.reason) })),
      });
    }

    onError(m) {
      const code = str(m.code);
      if (code === 'bad_resume') {
        // unknown or expired token: forget it and start afresh on the same socket
        this.clear();
        this.sendStart(true);
        return;
      }
      if (code === 'bad_event') {
        // a background event (add to cart) was refused: not the shopper's business
        console.warn('shopkeep: ' + str(m.message));
        return;
      }
      if (code === 'no_session') {
        if (this.ws && this.ws.readyState === 1) this.sendStart();
        return;
      }
      this.unlock();
      const t = this.t;
      const text = t.err[code] || t.err.other;
      this.add(h('div', { class: 'msg err', role: 'alert', text }));
      this.scrollEnd();
    }

    onQuestion(q) {
      const t = this.t;
      this.repeat = false;
      this.drop();
      this.progress(q.step, q.steps);
      const el = h('div', {
        class: 'turn', 'data-question': str(q.id), 'data-kind': str(q.kind), 'data-step': str(q.step),
        'data-current': '',
      });
      if (q.hint) el.append(h('div', { class: 'msg bot hint', text: str(q.hint) }));
      const qid = this.id + '-q' + ++seq;
      const qel = h('div', { class: 'msg bot q', id: qid, tabindex: '-1', text: str(q.text) });
      el.append(qel);
      const ctrl = h('div', { class: 'ctrl', role: 'group', 'aria-labelledby': qid });
      const kind = str(q.kind);
      let opts = Array.isArray(q.options) ? q.options.filter((o) => o && o.value != null) : [];
      if (kind === 'yes_no' && !opts.length)
        opts = [{ value: 'yes', label: t.yes }, { value: 'no', label: t.no }];
      if (kind === 'multi') ctrl.append(this.multi(q, opts));
      else if (kind === 'range' && q.range) ctrl.append(this.range(q));
      else if (opts.length && (kind !== 'text' || q.offer_buttons)) ctrl.append(this.single(opts));
      if (kind === 'text') ctrl.append(h('p', { class: 'help', text: t.typeBelow }));
      const acts = h('div', { class: 'acts' });
      if (q.can_back) acts.append(this.ghost(t.back, () => this.back(), I_BACK));
      if (q.can_skip) acts.append(this.ghost(t.skip, () => this.act({ type: 'skip' }, t.skipped)));
      if (q.can_results_now)
        acts.append(this.ghost(t.resultsNow, () => this.act({ type: 'results_now' }, t.resultsNowSaid)));
      if (acts.childNodes.length) ctrl.append(acts);
      if (ctrl.childNodes.length) el.append(ctrl);
      this.turn = { el, ctrl, kind: 'question', q };
      this.add(el);
      this.say((q.hint ? str(q.hint) + ' ' : '') + str(q.text));
      const focus = this.wantFocus && this.isOpen;
      this.wantFocus = false;
      if (focus) qel.focus({ preventScroll: true });
      else if (kind === 'text' && this.isOpen && this.root.activeElement === this.input) this.input.focus();
      this.scrollTo(el);
    }

    ghost(label, fn, ic) {
      return h('button', { type: 'button', class: 'ghost', onclick: fn }, ic ? icon(ic, 16) : null, label);
    }

    /** Options with pictures show as tiles (a grid of pictures with their labels) instead of chips. */
    chips(opts) {
      const tiles = opts.some((o) => safeUrl(o.image));
      return [h('ul', { class: tiles ? 'chips tiles' : 'chips' }), tiles ? 'chip tile' : 'chip'];
    }
    single(opts) {
      const [ul, cls] = this.chips(opts);
      for (const o of opts) {
        const label = str(o.label != null ? o.label : o.value);
        const img = safeUrl(o.image);
        ul.append(
          h('li', null, h('button', {
            type: 'button', class: cls, 'data-value': str(o.value),
            onclick: () => this.answer({ value: str(o.value) }, label, true),
          }, img ? pic(img) : null, label)),
        );
      }
      return ul;
    }

    multi(q, opts) {
      const t = this.t;
      const sel = q.select || {};
      const min = Math.max(0, Number.isFinite(sel.min) ? sel.min : 1);
      const max = Math.max(1, Number.isFinite(sel.max) ? sel.max : opts.length);
      const chosen = new Set();
      const box = h('div');
      const [ul, cls] = this.chips(opts);
      const count = h('span', { class: 'sr', 'aria-live': 'polite' });
      const confirm = h('button', {
        type: 'button', class: 'btn', disabled: true,
        onclick: () => {
          if (chosen.size < min || chosen.size > max) return;
          const vals = opts.filter((o) => chosen.has(str(o.value)));
          this.answer(
            { values: vals.map((o) => str(o.value)) },
            vals.map((o) => str(o.label != null ? o.label : o.value)).join(', '),
            true,
          );
        },
      }, t.confirm);
      const chips = [];
      const sync = () => {
        for (const [b, v] of chips) {
          const on = chosen.has(v);
          b.setAttribute('aria-pressed', on ? 'true' : 'false');
          b.disabled = !on && chosen.size >= max;
        }
        confirm.disabled = chosen.size < min || chosen.size === 0;
        count.textContent = t.selected(chosen.size);
      };
      for (const o of opts) {
        const v = str(o.value);
        const label = str(o.label != null ? o.label : o.value);
        const img = safeUrl(o.image);
        const b = h('button', {
          type: 'button', class: cls, 'aria-pressed': 'false', 'data-value': v,
          onclick: () => {
            if (chosen.has(v)) chosen.delete(v);
            else if (chosen.size < max) chosen.add(v);
            sync();
          },
        }, img ? pic(img) : null, label);
        chips.push([b, v]);
        ul.append(h('li', null, b));
      }
      sync();
      count.textContent = '';
      box.append(ul, h('p', { class: 'help', text: t.pick(Math.max(min, 1), max) }), h('div', { class: 'acts' }, confirm), count);
      return box;
    }

    fmtUnit(v, unit) {
      if (/^[A-Z]{3}$/.test(unit || '')) {
        const m = this.price(v, unit, true, true);
        if (m) return m;
      }
      const n = new Intl.NumberFormat(this.nf).format(v);
      return unit ? `${n} ${unit}` : n;
    }

    range(q) {
      const t = this.t;
      const r = q.range;
      const min = Number.isFinite(r.min) ? r.min : 0;
      const max = Number.isFinite(r.max) && r.max > min ? r.max : min + 100;
      const step = Number.isFinite(r.step) && r.step > 0 ? r.step : 1;
      const unit = str(r.unit);
      let start = min + Math.round((max - min) / 2 / step) * step;
      if (start > max) start = max;
      const sid = this.id + '-r' + ++seq;
      const out = h('output', { class: 'rv', for: sid });
      const slider = h('input', {
        type: 'range', id: sid, min, max, step, value: start,
        'aria-label': str(q.text) || t.amount,
      });
      const num = h('input', {
        type: 'number', class: 'num', min, max, step, value: start, inputmode: 'decimal',
        'aria-label': `${str(q.text) || t.amount} (${unit || t.amount})`,
      });
      const show = (v) => {
        out.textContent = t.upTo(this.fmtUnit(v, unit));
        slider.setAttribute('aria-valuetext', out.textContent);
      };
      slider.addEventListener('input', () => {
        num.value = slider.value;
        show(+slider.value);
      });
      num.addEventListener('input', () => {
        const v = parseFloat(num.value);
        if (Number.isFinite(v)) {
          slider.value = String(Math.min(max, Math.max(min, v)));
          show(Math.min(max, Math.max(min, v)));
        }
      });
      show(start);
      const form = h('form', {
        class: 'range',
        onsubmit: (e) => {
          e.preventDefault();
          let v = parseFloat(num.value);
          if (!Number.isFinite(v)) v = +slider.value;
          v = Math.min(max, Math.max(min, v));
          this.answer({ range: { max: v } }, t.upTo(this.fmtUnit(v, unit)), true);
        },
      },
      out,
      h('div', { class: 'rrow' }, slider),
      h('div', { class: 'scale', 'aria-hidden': 'true' }, h('span', { text: this.fmtUnit(min, unit) }), h('span', { text: this.fmtUnit(max, unit) })),
      h('div', { class: 'rrow' }, num, h('span', { class: 'unit', 'aria-hidden': 'true', text: unit }), h('button', { type: 'submit', class: 'btn' }, t.confirm)));
      return form;
    }

    onProducts(m) {
      const t = this.t;
      this.drop();
      this.progress(1, 1, true);
      const res = h('section', {
        class: 'res', 'aria-label': str(m.title) || t.picks, 'data-kind': 'products', 'data-current': '',
      });
      const tid = this.id + '-p' + ++seq;
      if (m.title) res.append(h('h3', { id: tid, tabindex: '-1', class: 'q', text: str(m.title) }));
      if (m.intro) res.append(h('p', { class: 'intro', text: str(m.intro) }));
      const relaxed = Array.isArray(m.relaxed) ? m.relaxed.filter(Boolean) : [];
      if (relaxed.length) {
        const parts = relaxed.map((r) => {
          const l = str(r.label || r.question);
          return r.reason ? `${l} (${str(r.reason)})` : l;
        });
        res.append(h('p', { class: 'relaxed', text: t.loosened + parts.join('; ') }));
      }
      const list = Array.isArray(m.products) ? m.products.filter((p) => p && p.id != null) : [];
      const ul = h('ul', { class: 'cards', 'aria-label': str(m.title) || t.picks });
      if (this.viewedObs) this.viewedObs.disconnect();
      const seen = new Set();
      this.viewedObs =
        'IntersectionObserver' in W
          ? new IntersectionObserver(
              (ents) => {
                for (const e of ents) {
                  if (!e.isIntersecting) continue;
                  const id = e.target.getAttribute('data-product');
                  this.viewedObs.unobserve(e.target);
                  if (seen.has(id)) continue;
                  seen.add(id);
                  this.raw({ type: 'event', kind: 'viewed', product: id });
                }
              },
              { root: this.log, threshold: 0.5 },
            )
          : null;
      for (const p of list) ul.append(this.card(p));
      if (list.length) res.append(ul);
      else res.append(h('p', { class: 'msg bot', text: t.noResults }));
      const acts = h('div', { class: 'acts' });
      if (m.can_back) acts.append(this.ghost(t.back, () => this.back(), I_BACK));
      acts.append(this.ghost(t.restart, () => this.restart(), I_RESTART));
      res.append(acts);
      if (m.email_capture) res.append(this.emailForm(m.consent, m.consented === true));
      const titles = list.map((p) => str(p.title)).join(', ');
      const resumed = !!this.repeat;
      this.repeat = false;
      this.emit('results', {
        resumed,
        title: str(m.title),
        products: list.map((p) => ({
          id: str(p.id), title: str(p.title), brand: str(p.brand), price: p.price, currency: str(p.currency),
          link: safeUrl(p.link),
        })),
      });
      this.turn = { el: res, ctrl: acts, kind: 'products', titles: [str(m.title), titles].filter(Boolean).join(': ') };
      this.add(res);
      if (this.viewedObs) for (const li of ul.children) this.viewedObs.observe(li);
      this.say([str(m.title), str(m.intro), list.map((p) => str(p.title)).join(', ')].filter(Boolean).join('. '));
      const focus = this.wantFocus && this.isOpen;
      this.wantFocus = false;
      const head = res.querySelector('h3');
      if (focus && head) head.focus({ preventScroll: true });
      this.scrollTo(res);
    }

    card(p) {
      const t = this.t;
      const title = str(p.title);
      const li = h('li', { class: 'card', 'data-product': str(p.id) });
      const img = safeUrl(p.image);
      li.append(img ? pic(img, 'im') : h('div', { class: 'im', 'aria-hidden': 'true' }));
      const body = h('div', { class: 'cb' });
      if (p.brand) body.append(h('span', { class: 'brand', text: str(p.brand) }));
      body.append(h('h4', { class: 'ttl', text: title }));
      const meta = h('div', { class: 'meta' });
      if (typeof p.price === 'number' && Number.isFinite(p.price)) meta.append(h('span', { class: 'price', text: this.price(p.price, p.currency) }));
      if (typeof p.rating === 'number' && Number.isFinite(p.rating)) {
        const r = new Intl.NumberFormat(this.nf, { maximumFractionDigits: 1 }).format(p.rating);
        meta.append(h('span', { class: 'stars', role: 'img', 'aria-label': t.rating(r) }, '★ ' + r));
      }
      body.append(meta);
      const ex = p.explanation || {};
      const line = str(ex.line) || (Array.isArray(ex.matched) ? ex.matched.map(str).join(', ') : '');
      if (line) body.append(h('p', { class: 'why', text: line }));
      const href = safeUrl(p.link);
      const row = h('div', { class: 'cta-row' });
      if (href) {
        row.append(h('a', {
          class: 'view', href, 'aria-label': t.viewNamed(title),
          onclick: (e) => this.clicked(e, str(p.id), href),
        }, t.view));
      }
      if (this.cartMode()) {
        const b = h('button', { type: 'button', class: 'cart', 'aria-label': t.cartNamed(title) }, t.cart);
        b.addEventListener('click', () => this.addToCart(b, p, title));
        row.append(b);
      }
      if (row.childNodes.length) body.append(row);
      li.append(body);
      return li;
    }

    /**
     * One money format, the server's too (explanations, range labels, the `money` template filter): Intl's with the
     * plain symbol ($, ¥, €, £: not the US$ or JP¥ of an en-GB or en-AU page), the yen sign always the half-width ¥
     * (Intl writes ￥ under ja). `strict`: null for no currency. `label`: a whole amount without cents ("Up to $150"),
     * as the server's answer labels read.
     */
    price(v, cur, strict, label) {
      const o = { style: 'currency', currency: str(cur) || 'USD', currencyDisplay: 'narrowSymbol' };
      if (label && v % 1 === 0) o.minimumFractionDigits = 0;
      try {
        return new Intl.NumberFormat(this.nf, o)
          .format(v)
          .replace('￥', '¥');
      } catch {
        return strict ? null : `${v} ${str(cur)}`.trim();
      }
    }

    /** 'url' (data-add-to-cart is a URL template), 'fn' (window.shopkeepAddToCart) or '' (no button). */
    cartMode() {
      const c = str(this.cfg.cart).trim();
      if (c && c !== 'function') return 'url';
      return typeof W.shopkeepAddToCart === 'function' ? 'fn' : '';
    }
    async addToCart(b, p, title) {
      const t = this.t;
      const id = str(p.id);
      if (b.hasAttribute('data-done') || b.disabled) return;
      b.disabled = true;
      b.textContent = t.adding;
      this.emit('add-to-cart', { product: id, title, price: p.price, currency: str(p.currency) });
      let ok = false;
      try {
        if (this.cartMode() === 'url') {
          const url = new URL(str(this.cfg.cart).replace(/\{id\}/g, encodeURIComponent(id)), location.href);
          if (!/^https?:$/.test(url.protocol)) throw new Error('not an http(s) URL');
          const r = await fetch(url.href, { method: 'POST', credentials: 'include' });
          ok = r.ok;
        } else {
          ok = (await W.shopkeepAddToCart(id, { title, price: p.price, currency: str(p.currency) })) !== false;
        }
      } catch (err) {
        console.error('shopkeep: adding to the cart failed', err);
      }
      b.disabled = false;
      b.textContent = ok ? t.added : t.cartFailed;
      b.setAttribute('aria-label', `${b.textContent}: ${title}`);
      if (ok) {
        b.setAttribute('data-done', '');
        this.say(t.addedSaid(title));
        // a shop event of this shopper's, as track.js sends it (docs/events.md); the shop's cart said yes
        const event = { id: randomId('c-'), kind: 'added_to_cart', product: id, url: location.href.slice(0, 2048) };
        const session = keptId('sessionStorage', 'shopkeep.browse', 'b-');
        if (session) event.session = session;
        this.raw({ type: 'track', event });
      }
    }

    clicked(e, id, href) {
      // the shop may take over (a single-page app routes itself): preventDefault() on shopkeep:product-click
      if (!this.emit('product-click', { product: id, href }, true)) {
        e.preventDefault();
        this.raw({ type: 'event', kind: 'clicked', product: id });
        return;
      }
      const sent = this.raw({ type: 'event', kind: 'clicked', product: id });
      // new tab / window: the page stays, the event is delivered; otherwise wait for the send to flush
      if (!sent || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      const ws = this.ws;
      const t0 = Date.now();
      const go = () => {
        if (ws && ws.bufferedAmount > 0 && Date.now() - t0 < 400) return setTimeout(go, 20);
        // give the server a moment to read the frame before the socket closes with the page
        setTimeout(() => W.location.assign(href), 60);
        return undefined;
      };
      go();
    }

    // One action withdraws the consent (the server records it at once and cancels every queued email).
    stopEmailsButton(box, before) {
      const t = this.t;
      const stop = h('button', {
        type: 'button', class: 'ghost stop',
        onclick: () => {
          if (this.send({ type: 'consent', email: '', consent: false })) {
            box.replaceChildren(h('p', { class: 'help', role: 'status', text: t.emailsStopped }));
          }
        },
      }, t.stopEmails);
      box.replaceChildren(h('p', { class: 'help', role: 'status', text: before }), stop);
      return box;
    }

    emailForm(consent, consented) {
      const t = this.t;
      if (consented) return this.stopEmailsButton(h('div', { class: 'email' }), t.subscribed);
      const eid = this.id + '-em' + ++seq;
      const cid = this.id + '-ck' + seq;
      const email = h('input', { type: 'email', id: eid, autocomplete: 'email', required: true });
      const ck = h('input', { type: 'checkbox', id: cid });
      const bad = h('p', { class: 'bad', role: 'alert', hidden: true });
      const form = h('form', {
        class: 'email', novalidate: true,
        onsubmit: (e) => {
          e.preventDefault();
          const v = email.value.trim();
          bad.hidden = true;
          if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v)) {
            bad.textContent = t.emailInvalid;
            bad.hidden = false;
            email.focus();
            return;
          }
          if (!ck.checked) {
            bad.textContent = t.consentNeeded;
            bad.hidden = false;
            ck.focus();
            return;
          }
          if (this.send({ type: 'consent', email: v, consent: true })) {
            this.stopEmailsButton(form, t.emailSent(v));
          }
        },
      },
      h('h4', { text: t.emailTitle }),
      h('label', { for: eid, text: t.emailLabel }),
      email,
      h('div', { class: 'ck' }, ck, h('label', { for: cid, text: (consent && consent.text) || t.consent })),
      bad,
      h('button', { type: 'submit', class: 'btn' }, t.emailSend));
      return form;
    }

    // -------------------------------------------------------------- outgoing
    answer(payload, echo, fromControl) {
      return this.act(Object.assign({ type: 'answer' }, payload), echo, fromControl);
    }
    act(m, echo, fromControl = true) {
      if (!this.send(m)) return false;
      const turn = this.turn;
      if (turn && turn.kind === 'question' && m.type === 'answer') {
        const answer = Object.assign({}, m);
        delete answer.type;
        this.emit('answer', { question: str(turn.q.id), answer, label: echo || '' });
      }
      if (turn && turn.kind === 'question') this.remember('b', str(turn.q.text));
      else if (turn && turn.titles) this.remember('b', turn.titles);
      this.lock();
      if (echo) {
        this.add(h('div', { class: 'msg me', text: echo }));
        this.remember('m', echo);
      }
      this.wantFocus = fromControl !== false;
      this.scrollEnd();
      return true;
    }
    back() {
      this.act({ type: 'back' }, this.t.backSaid);
    }
    restart() {
      if (!this.started) return;
      if (this.send({ type: 'restart' })) {
        this.clear();
        this.wantFocus = true;
      }
    }
    lock() {
      this.pending = true;
      if (!this.turn) return;
      this.turn.el.setAttribute('data-pending', '');
      if (this.turn.ctrl) this.turn.ctrl.inert = true;
    }
    unlock() {
      if (!this.pending) return;
      this.pending = false;
      if (this.turn) this.turn.el.removeAttribute('data-pending');
      if (this.turn && this.turn.ctrl) {
        this.turn.ctrl.inert = false;
        if (this.wantFocus) {
          const f = this.turn.ctrl.querySelector('button:not(:disabled),input');
          if (f) f.focus({ preventScroll: true });
        }
      }
      this.wantFocus = false;
    }
    /** The current turn's controls are done with (a reply arrived): remove them. */
    drop() {
      clearTimeout(this.unlockTimer);
      this.pending = false;
      if (!this.turn) return;
      this.turn.el.removeAttribute('data-current');
      this.turn.el.removeAttribute('data-pending');
      if (this.turn.ctrl) this.turn.ctrl.remove();
      const q = this.turn.el.querySelector('.q');
      if (q) q.removeAttribute('tabindex');
    }

    // -------------------------------------------------------------- log
    /** Keep a line of the transcript for a reload (this tab only; the last 60 lines of at most 300 characters). */
    remember(who, text) {
      if (!text) return;
      this.hist.push([who, text.slice(0, 300)]);
      if (this.hist.length > 60) this.hist.splice(0, this.hist.length - 60);
      store.set(this.key + ':log', JSON.stringify(this.hist));
    }
    /** The transcript kept before a reload, shown above the current question (which the server sends again). */
    restore() {
      let kept = [];
      try {
        kept = JSON.parse(store.get(this.key + ':log') || '[]');
      } catch {
        kept = [];
      }
      this.hist = Array.isArray(kept) ? kept.filter((e) => Array.isArray(e) && typeof e[1] === 'string').slice(-60) : [];
      for (const [who, text] of this.hist)
        this.add(h('div', { class: who === 'm' ? 'msg me past' : 'msg bot past', text }));
    }
    /** Another finder in the same panel: this one's session and transcript stay kept for its return. */
    switchTo(flow) {
      if (flow === this.cfg.flow) return;
      const ws = this.ws;
      this.ws = null;
      if (ws) ws.close(1000);
      this.started = false;
      this.cfg.flow = flow;
      this.key = 'shopkeep:' + flow + (this.cfg.storeSuffix || '');
      this.reset();
      this.restore();
      if (this.isOpen) this.connect();
    }
    clear() {
      store.set(this.key + ':log', null);
      this.reset();
      this.hist = [];
    }
    reset() {
      this.log.replaceChildren();
      if (this.typingEl) this.log.append(this.typingEl);
      this.turn = null;
      this.pending = false;
      this.prog.hidden = true;
      if (this.viewedObs) this.viewedObs.disconnect();
    }
    add(el) {
      if (this.typingEl && this.typingEl.isConnected) this.log.insertBefore(el, this.typingEl);
      else this.log.append(el);
    }
    note(text, cls) {
      this.add(h('p', { class: cls === 'err' ? 'msg err' : 'note', role: cls === 'err' ? 'alert' : null, text }));
      this.scrollEnd();
    }
    say(text) {
      // re-set the live region so screen readers announce the new message
      this.live.textContent = '';
      clearTimeout(this.sayTimer);
      this.sayTimer = setTimeout(() => (this.live.textContent = text), 60);
    }
    typing(on) {
      clearTimeout(this.typingTimer);
      if (on) {
        if (!this.typingEl) {
          this.typingEl = h('div', { class: 'msg bot typing', 'aria-hidden': 'true', title: this.t.typing }, h('i'), h('i'), h('i'));
          this.log.append(this.typingEl);
          this.scrollEnd();
        }
        this.typingTimer = setTimeout(() => this.typing(false), 20000);
      } else if (this.typingEl) {
        this.typingEl.remove();
        this.typingEl = null;
      }
    }
    progress(step, steps, done) {
      const t = this.t;
      if (done) {
        this.barFill.style.width = '100%';
        this.stepText.textContent = t.done;
        this.bar.setAttribute('aria-valuemax', '1');
        this.bar.setAttribute('aria-valuenow', '1');
        this.bar.setAttribute('aria-valuetext', t.done);
        this.prog.hidden = false;
        return;
      }
      const n = Number(step);
      const m = Math.max(Number(steps), n);
      if (!Number.isFinite(n) || !Number.isFinite(m) || m <= 0) {
        this.prog.hidden = true;
        return;
      }
      const txt = t.step(n, m);
      this.stepText.textContent = txt;
      this.barFill.style.width = `${Math.round((n / m) * 100)}%`;
      this.bar.setAttribute('aria-valuemax', String(m));
      this.bar.setAttribute('aria-valuenow', String(n));
      this.bar.setAttribute('aria-valuetext', txt);
      this.prog.hidden = false;
    }
    scrollEnd() {
      requestAnimationFrame(() => (this.log.scrollTop = this.log.scrollHeight));
    }
    scrollTo(el) {
      requestAnimationFrame(() => {
        const top = el.offsetTop - 8;
        // show the whole new turn if it fits, else its start
        const fits = el.offsetHeight + 24 < this.log.clientHeight;
        this.log.scrollTop = fits ? this.log.scrollHeight : top;
      });
    }
  }

  // ---------------------------------------------------------------- boot
  // The shopper's random visitor id, kept in localStorage and shared with track.js (docs/privacy.md).
  const randomId = (prefix) =>
    prefix + Array.from(crypto.getRandomValues(new Uint8Array(16)), (x) => x.toString(16).padStart(2, '0')).join('');
  /** An id kept in `kind` (local or session storage) under `key` (made on first use), as track.js keeps it; '' without storage. */
  function keptId(kind, key, prefix) {
    try {
      const storage = W[kind];
      let id = storage.getItem(key);
      if (!id) {
        id = randomId(prefix);
        storage.setItem(key, id);
      }
      return id;
    } catch (e) {
      return '';
    }
  }
  const visitorId = () => keptId('localStorage', 'shopkeep.visitor', 'v-');

  /** Where this visit came from, for segments (docs/segments.md): the page's referrer and its UTM parameters. */
  function visitSource() {
    const out = {};
    try {
      if (D.referrer) out.referrer = D.referrer.slice(0, 2048);
      const q = new URLSearchParams(location.search);
      const utm = {};
      for (const k of ['source', 'medium', 'campaign']) {
        const v = q.get('utm_' + k);
        if (v) utm[k] = v.slice(0, 128);
      }
      if (Object.keys(utm).length) out.utm = utm;
    } catch {
      /* an unusual page: no source */
    }
    return out;
  }

  function cfgFrom(el, fallback) {
    const d = el.dataset;
    return {
      flow: d.flow || (fallback && fallback.flow),
      locale: d.locale || (fallback && fallback.locale) || '',
      theme: d.theme || (fallback && fallback.theme) || '',
      position: d.position || (fallback && fallback.position) || 'right',
      visitor: d.visitor || (fallback && fallback.visitor) || '',
      customer: d.customer || (fallback && fallback.customer) || '',
      signature: d.customerSignature || (fallback && fallback.signature) || '',
      open: d.open,
      cart: d.addToCart != null ? d.addToCart : fallback && fallback.cart,
      context: d.context || (fallback && fallback.context) || '',
      cta: d.cta || (fallback && fallback.cta) || '',
      scheme: d.colorScheme || (fallback && fallback.scheme) || 'auto',
      autoOpen: d.autoOpen || '',
    };
  }

  function launcher(cfg) {
    const host = h('div', { id: 'shopkeep-widget', 'data-shopkeep': 'launcher' });
    D.body.append(host);
    return new Chat(host, cfg);
  }

  /**
   * Opens the launcher's panel by itself once: after `when` seconds on this page, or ("exit") when the pointer
   * leaves through the top of the window on a desktop. At most once a day per visitor (localStorage), never on a
   * narrow screen (a full-screen panel nobody asked for), never while the shopper is typing in the page.
   */
  function autoOpen(c, when) {
    const key = 'shopkeep.autoOpened:' + c.cfg.flow;
    let last = 0;
    try {
      last = Number(localStorage.getItem(key)) || 0;
    } catch {
      return;
    }
    if (Date.now() - last < 864e5) return;
    const go = () => {
      if (c.isOpen || (W.matchMedia && W.matchMedia(NARROW).matches)) return;
      const a = D.activeElement;
      if (a && /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName)) return;
      try {
        localStorage.setItem(key, String(Date.now()));
      } catch {
        /* no storage: still at most once on this page */
      }
      c.open(false);
    };
    if (when === 'exit') {
      if (!W.matchMedia || !W.matchMedia('(pointer:fine)').matches) return;
      const out = (e) => {
        if (e.relatedTarget || e.clientY > 0) return;
        D.removeEventListener('mouseout', out);
        go();
      };
      D.addEventListener('mouseout', out);
    } else {
      const secs = Number(when);
      if (Number.isFinite(secs) && secs >= 0) setTimeout(go, secs * 1000);
    }
  }

  function mountInline(el, cfg, n) {
    if (el.shadowRoot || el.hasAttribute('data-shopkeep-ready') || !cfg.flow) return null;
    el.setAttribute('data-shopkeep-ready', '');
    cfg.inline = true;
    cfg.storeSuffix = ':inline:' + (el.id || n);
    const c = new Chat(el, cfg);
    c.open(false);
    return c;
  }

  // An email's resume link (/v1/resume/…) lands here with ?shopkeep_flow=…&shopkeep_resume=TOKEN: the launcher of
  // that finder takes the token, opens and continues the conversation; the token leaves the address bar at once.
  function resumeFromLink(c) {
    let url;
    try {
      url = new URL(W.location.href);
    } catch {
      return false;
    }
    const tok = url.searchParams.get('shopkeep_resume');
    const flow = url.searchParams.get('shopkeep_flow');
    if (!tok || flow !== c.cfg.flow) return false;
    store.set(c.key, tok);
    url.searchParams.delete('shopkeep_resume');
    url.searchParams.delete('shopkeep_flow');
    try {
      W.history.replaceState(W.history.state, '', url.href);
    } catch {
      /* the address keeps the used token: harmless, it was moved server-side */
    }
    return true;
  }

  function boot() {
    const sc = cfgFrom(SCRIPT);
    let n = 0;
    const mountSel = SCRIPT.dataset.shopkeepMount;
    if (mountSel && sc.flow) {
      let target = null;
      try {
        target = D.querySelector(mountSel);
      } catch {
        target = null;
      }
      if (target) mountInline(target, Object.assign({}, sc), n++);
    }
    for (const el of D.querySelectorAll('[data-shopkeep-inline]')) mountInline(el, cfgFrom(el, sc), n++);
    if (sc.flow && !mountSel) {
      const c = launcher(sc);
      const resumed = resumeFromLink(c);
      const saved = store.get(c.key + ':open');
      if (resumed || saved === '1' || (saved == null && /^(true|1|yes)$/i.test(sc.open || ''))) c.open(false);
      else if (sc.autoOpen) autoOpen(c, sc.autoOpen);
    }
    // A page CSP without the server in connect-src blocks the socket and the access check alike: say which line.
    const warned = {};
    D.addEventListener('securitypolicyviolation', (e) => {
      const dir = String(e.effectiveDirective || e.violatedDirective || '');
      let origin = '';
      try {
        origin = new URL(e.blockedURI).host;
      } catch {
        return;
      }
      if (/^img-src/.test(dir)) {
        // one of the widget's pictures (from shopkeep or the catalog's CDN): say which line shows them, once per host
        const ours = instances.some((c) => [...c.root.querySelectorAll('img')].some((i) => i.src === e.blockedURI));
        if (ours && !warned[origin]) {
          warned[origin] = 1;
          console.warn(`shopkeep: this page's Content-Security-Policy blocks the product pictures. Add to it: img-src ${new URL(e.blockedURI).origin} (see docs/embedding.md).`);
        }
        return;
      }
      if (!/^(connect|default)-src/.test(dir) || origin !== BASE.host) return;
      const wsOrigin = new URL(WS_URL).origin;
      for (const c of instances)
        c.refuse(
          `shopkeep: this page's Content-Security-Policy blocks the chat. Add to it: ` +
            `connect-src ${BASE.origin} ${wsOrigin} (see docs/embedding.md).`,
        );
    });
    W.addEventListener('pagehide', () => {
      for (const c of instances) {
        c.stopped = true;
        clearTimeout(c.retryTimer);
        c.retryTimer = 0;
      }
    });
    W.addEventListener('load', () => instances.forEach((c) => c.palette()));
    W.addEventListener('pageshow', (e) => {
      if (e.persisted) for (const c of instances) if (c.isOpen) c.connect();
    });
    W.addEventListener('online', () => {
      for (const c of instances)
        if (c.retryTimer) {
          clearTimeout(c.retryTimer);
          c.retryTimer = 0;
          c.connect();
        }
    });
  }

  W.Shopkeep = {
    loaded: true,
    version: 1,
    instances,
    /**
     * Opens the launcher's panel; with {flow}, on that finder (a launcher is made if the page has none); with
     * {context: productId} (a product page), its "recommended for you" strip is about that product.
     */
    open(opts) {
      const flow = opts && typeof opts.flow === 'string' && opts.flow.trim();
      const context = opts && typeof opts.context === 'string' && opts.context.trim();
      let c = instances.find((i) => !i.inline);
      if (!c) {
        if (!flow) return;
        c = launcher(Object.assign(cfgFrom(SCRIPT), { flow }, context ? { context } : {}));
      } else {
        if (context && context !== c.cfg.context) {
          c.cfg.context = context;
          if (c.started) c.recommend();
        }
        if (flow) c.switchTo(flow);
      }
      c.open(true);
    },
    close() {
      const c = instances.find((i) => !i.inline);
      if (c) c.close(true);
    },
  };
  if (D.readyState === 'loading') D.addEventListener('DOMContentLoaded', boot, { once: true });
  else boot();
})();

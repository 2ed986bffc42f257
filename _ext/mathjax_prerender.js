// Typeset the math of built HTML pages at build time (MathJax 3, TeX -> CHTML with hidden MathML
// for screen readers), so that pages load no MathJax and nothing shifts when math renders.
//   node _ext/mathjax_prerender.js MATHJAX_JS_DIR FONT_DIR PAGE.html...
// MATHJAX_JS_DIR: mathjax-full's js/ folder (scripts/fetch_assets.sh puts it in .vendor/);
// FONT_DIR: the served woff-v2 folder, which each page's stylesheet links to relatively.
// Rewrites each page in place: every \(...\) and \[...\] inside Sphinx's math elements becomes an
// <mjx-container>, and the page's <head> gets the stylesheet of the characters it uses. A TeX
// error (an unknown macro, unbalanced braces) is printed with its page and stops with status 1.
"use strict";
const fs = require("fs");
const path = require("path");

const [mjDir, fontDir, ...pages] = process.argv.slice(2);
const need = (m) => require(path.join(path.resolve(mjDir), m));
const { mathjax } = need("mathjax.js");
const { TeX } = need("input/tex.js");
const { CHTML } = need("output/chtml.js");
const { liteAdaptor } = need("adaptors/liteAdaptor.js");
const { RegisterHTMLHandler } = need("handlers/html.js");
const { AssistiveMmlHandler } = need("a11y/assistive-mml.js");
need("input/tex/base/BaseConfiguration.js");
need("input/tex/ams/AmsConfiguration.js");

// The browser's MathJax scales math so that its x-height matches the text's (matchFontHeight);
// here the text is the theme's 16 px system sans-serif, whose x-height is about 0.53 em (TeX's
// fonts: 0.442 em).
const EM = 16;
const EX = 8.5;
const SCALE = EX / EM / 0.442;
const adaptor = liteAdaptor();
AssistiveMmlHandler(RegisterHTMLHandler(adaptor));

// Sphinx writes inline math as <span class="math ...">\(..\)</span>, display math as
// <div class="math ..." [id=..]>[<span class="eqno">..</span>]\[..\]</div>, and an AMS environment
// of MyST's amsmath extension bare, \begin{align}..\end{align}, in such a <div>.
const ELEMENT = /(<(span|div) class="math notranslate nohighlight"[^>]*>)([\s\S]*?)(<\/\2>)/g;
const TEX = /\\\(([\s\S]*?)\\\)|\\\[([\s\S]*?)\\\]|(\\begin\{([a-zA-Z*]+)\}[\s\S]*?\\end\{\4\})/g;
const ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'" };
const unescape = (s) => s.replace(/&(amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e]);

let failures = 0;
for (const page of pages) {
  const errors = [];
  const fontURL = path.relative(path.dirname(page), fontDir).split(path.sep).join("/");
  const tex = new TeX({ packages: ["base", "ams"], formatError: (jax, err) => { throw err; } });
  const chtml = new CHTML({ fontURL, adaptiveCSS: true });
  const doc = mathjax.document("", { InputJax: tex, OutputJax: chtml });
  let html = fs.readFileSync(page, "utf8");
  let count = 0;
  html = html.replace(ELEMENT, (all, open, tag, body, close) => open + body.replace(TEX, (m, inl, disp, env) => {
    const display = inl === undefined;
    const source = unescape(inl !== undefined ? inl : disp !== undefined ? disp : env);
    try {
      count += 1;
      return adaptor.outerHTML(doc.convert(source, { display, em: EM, ex: EX, scale: SCALE }));
    } catch (err) {
      errors.push(`${page}: ${err.message} in TeX: ${source.trim().slice(0, 120)}`);
      return m;
    }
  }) + close);
  if (errors.length) {
    failures += errors.length;
    errors.forEach((e) => console.error(e));
    continue;
  }
  if (count === 0) continue;
  const style = `<style id="MJX-CHTML-styles">${adaptor.textContent(chtml.styleSheet(doc))}</style>`;
  html = html.replace("</head>", `${style}\n</head>`);
  fs.writeFileSync(page + ".tmp", html);
  fs.renameSync(page + ".tmp", page);
  console.log(`${path.basename(page)}: ${count} expressions`);
}
process.exit(failures ? 1 : 0);

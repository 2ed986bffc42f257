/* The page side of scripts/build_pdf.py, run in Chromium on the single-page book
   (_build/singlehtml).
   Loaded before the page's own scripts (Playwright's add_init_script): it answers every
   IntersectionObserver at once, so the site's lazy figure drawer (gsfigures.js) draws every figure,
   and it defines window.gsPrint, whose steps build_pdf.py calls in order. */
"use strict";
window.IntersectionObserver = class {
  constructor(callback) { this.callback = callback; }
  observe(target) {
    setTimeout(() => {
      const box = target.getBoundingClientRect();
      this.callback([{isIntersecting: true, target, intersectionRatio: 1, boundingClientRect: box,
                      intersectionRect: box, rootBounds: null, time: performance.now()}], this);
    }, 0);
  }
  unobserve() {} disconnect() {} takeRecords() { return []; }
};
window.addEventListener('load', () => {
  const wait = () => window.MathJax && MathJax.startup && MathJax.startup.promise
      ? MathJax.startup.promise.then(() => { window.__gsMathDone = true; })
      : setTimeout(wait, 100);
  wait();
});

// Every figure drawn and every equation typeset.
function ready() {
  // Math is typeset at build time (_ext/gsbook_math.py): wait for MathJax only where it runs.
  const math = !document.querySelector('script[src*="mathjax"]') || window.__gsMathDone;
  const gds = [...document.querySelectorAll('div.gs-figure')];
  return math && gds.every(gd => gd._fullLayout && gd.querySelector('.main-svg'));
}

// Each plotly figure becomes an <img> of plotly's own SVG, drawn at the printed column's width.
async function staticFigures(width) {
  for (const gd of [...document.querySelectorAll('div.gs-figure')]) {
    const height = (gd.layout && gd.layout.height) || gd.clientHeight || 450;
    const img = document.createElement('img');
    img.src = await Plotly.toImage(gd, {format: 'svg', width, height});
    img.className = 'gs-print-figure';
    img.alt = gd.getAttribute('aria-label') || 'Figure';
    gd.replaceWith(img);
  }
}

// singlehtml nests each chapter in the landing page's "Contents" (its title an <h3>): chapters
// become <h1>, their sections <h2>, ..., for the bookmarks and the page breaks.
function headings() {
  const chapters = [...document.querySelectorAll('span[id^="document-"] + section')];
  for (const ch of chapters) {
    const shift = Number(ch.querySelector('h1, h2, h3, h4, h5, h6').tagName[1]) - 1;
    for (const h of [...ch.querySelectorAll('h1, h2, h3, h4, h5, h6')]) {
      const level = Math.max(1, Number(h.tagName[1]) - shift);
      const copy = document.createElement('h' + level);
      for (const a of h.attributes) copy.setAttribute(a.name, a.value);
      copy.append(...h.childNodes);
      h.replaceWith(copy);
    }
  }
// Sections of the same title in two chapters ("Training") share an id: later ones get their own,
// and so do the links to them from inside their chapter.
  const seen = new Set();
  chapters.forEach((ch, k) => {
    for (const sec of [ch, ...ch.querySelectorAll('section[id]')]) {
      if (seen.has(sec.id)) {
        const old = '#' + sec.id;
        sec.id = sec.id + '-' + k;
        ch.querySelectorAll(`a[href="${old}"]`).forEach(a => { a.href = '#' + sec.id; });
      }
      seen.add(sec.id);
    }
  });
  return chapters.length;
}

// Solutions (sphinx-exercise) move, chapter by chapter, to a chapter of their own before the
// bibliography; each keeps its link to its exercise, and the exercise gets one to it.
function solutions() {
  const solutions = [...document.querySelectorAll('article .solution')];
  if (!solutions.length) return 0;
  const part = document.createElement('section');
  part.id = 'gs-solutions';
  part.innerHTML = '<h1>Solutions to the exercises</h1>';
  let chapter = null;
  for (const sol of solutions) {
    const h1 = sol.closest('section:has(> h1)').querySelector(':scope > h1');
    if (h1 !== chapter) {
      chapter = h1;
      const h2 = document.createElement('h2');
      h2.textContent = h1.textContent.replace(/#$/, '');
      part.appendChild(h2);
    }
    part.appendChild(sol);
    const exercise = sol.querySelector('.admonition-title a[href^="#"]');
    const target = exercise && document.getElementById(exercise.getAttribute('href').slice(1));
    if (target && sol.id) {  // the exercise points to its solution, now chapters away
      const p = target.appendChild(document.createElement('p'));
      p.className = 'gs-solution-ref';
      p.innerHTML = '<a></a>';
      p.firstChild.href = '#' + sol.id;
      p.firstChild.textContent = 'Solution at the end of the book';
    }
  }
  const list = document.querySelector('article .citation-list');  // sphinxcontrib-bibtex
  const bib = (list && list.closest('section:has(> h1)')) ||
              [...document.querySelectorAll('article section:has(> h1)')].pop();
  bib.parentNode.insertBefore(part, bib);
  return solutions.length;
}

// The contents: every chapter (h1) and its sections (h2), linked, with an empty page-number slot;
// parts ({"book/04_toy_task": "Experiments"}: the toc's captions) above their first chapter.
function contents(parts) {
  const chapters = [...document.querySelectorAll('article section:has(> h1)')].slice(1);
  const item = (section, heading) => {
    const li = document.createElement('li');
    const title = heading.textContent.replace(/#$/, '').trim();
    li.innerHTML = '<span class="gs-toc-line"><a></a><span class="gs-toc-dots"></span>' +
                   '<span class="gs-toc-page"></span></span>';
    li.querySelector('a').href = '#' + section.id;
    li.querySelector('a').textContent = title;
    li.querySelector('.gs-toc-page').dataset.target = section.id;
    return li;
  };
  const nav = document.createElement('nav');
  nav.className = 'gs-print-toc';
  nav.setAttribute('aria-label', 'Contents');
  const ol = nav.appendChild(document.createElement('ol'));
  for (const ch of chapters) {
    const doc = ch.previousElementSibling && ch.previousElementSibling.id.replace(/^document-/, '');
    if (parts[doc]) {
      const part = ol.appendChild(document.createElement('li'));
      part.className = 'gs-toc-part';
      part.textContent = parts[doc];
    }
    const li = ol.appendChild(item(ch, ch.querySelector(':scope > h1')));
    const subs = [...ch.querySelectorAll(':scope > section:has(> h2)')];
    if (subs.length) {
      const sub = li.appendChild(document.createElement('ol'));
      subs.forEach(s => sub.appendChild(item(s, s.querySelector(':scope > h2'))));
    }
  }
  const contents = document.querySelector('#contents > h2');
  if (contents) contents.after(nav);
  else document.querySelector('article section > h1').after(nav);
  return chapters.length;
}

// The printed headings' text, in order (the PDF's bookmarks, one per heading).
function headingTitles() {
  return [...document.querySelectorAll('article :is(h1, h2, h3, h4, h5, h6)')]
    .filter(h => h.getClientRects().length)
    .map(h => h.textContent.replace(/#$/, '').replace(/\s+/g, ' ').trim());
}

// The anchors whose pages the contents show, and the pages the first print found for them.
function contentsTargets() {
  return [...document.querySelectorAll('.gs-toc-page')].map(s => s.dataset.target);
}

function setContentsPages(pages) {
  for (const slot of document.querySelectorAll('.gs-toc-page')) {
    slot.textContent = pages[slot.dataset.target] || '';
  }
}

window.gsPrint = {ready, staticFigures, headings, solutions, contents, headingTitles,
                  contentsTargets, setContentsPages};

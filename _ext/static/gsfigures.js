/* Draws the book's plotly figures (gsutils.book._figure_html: a sized <div class="gs-figure"> and
   its JSON in <script class="gs-figure-data">) with the page's deferred plotly.js, each one when it
   comes near the viewport. Loaded with `defer` after plotly, on pages that have figures. */
(function () {
  "use strict";
  function draw(div) {
    if (div.dataset.gsDrawn) return;
    div.dataset.gsDrawn = "1";
    var data = document.querySelector('script.gs-figure-data[data-for="' + div.id + '"]');
    if (!data || !window.Plotly) return;
    var fig = JSON.parse(data.textContent);
    window.Plotly.newPlot(div, fig.data, fig.layout, fig.config).then(function () {
      if (fig.frames && fig.frames.length) return window.Plotly.addFrames(div, fig.frames);
    });
  }
  function start() {
    var divs = Array.prototype.slice.call(document.querySelectorAll("div.gs-figure"));
    if (!("IntersectionObserver" in window)) { divs.forEach(draw); return; }
    var seen = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        if (e.isIntersecting) { seen.unobserve(e.target); draw(e.target); }
      });
    }, {rootMargin: "300px 0px"});
    divs.forEach(function (d) { seen.observe(d); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

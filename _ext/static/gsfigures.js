/* Draws the book's plotly figures (gsutils.book._figure_html: a sized <div class="gs-figure"> and
   its JSON in <script class="gs-figure-data">, or at its data-src where the site moved it), each
   one when it comes near the viewport. plotly.js
   (this script's data-plotly, beside it in _static) is loaded when the first figure does, so a
   page's first paint never waits for it. Loaded with `defer` on pages that have figures. */
(function () {
  "use strict";
  var me = document.currentScript;
  var plotlyUrl = new URL(me.getAttribute("data-plotly"), me.src).href;
  var plotly = null;
  function loadPlotly() {
    if (!plotly) {
      plotly = new Promise(function (resolve, reject) {
        if (window.Plotly) return resolve(window.Plotly);
        var s = document.createElement("script");
        s.src = plotlyUrl;
        s.onload = function () { resolve(window.Plotly); };
        s.onerror = reject;
        document.head.appendChild(s);
      });
    }
    return plotly;
  }
  function draw(div) {
    if (div.dataset.gsDrawn) return;
    div.dataset.gsDrawn = "1";
    var data = document.querySelector('script.gs-figure-data[data-for="' + div.id + '"]');
    if (!data) return;
    var src = data.getAttribute("data-src");  // the site moves the JSON out of the page
    var json = src ? fetch(src).then(function (r) { return r.json(); })
                   : Promise.resolve(JSON.parse(data.textContent));
    Promise.all([loadPlotly(), json]).then(function (got) {
      var Plotly = got[0], fig = got[1];
      return Plotly.newPlot(div, fig.data, fig.layout, fig.config).then(function () {
        if (fig.frames && fig.frames.length) return Plotly.addFrames(div, fig.frames);
      });
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

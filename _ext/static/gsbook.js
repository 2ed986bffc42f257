/* Every box that scrolls sideways (a wide table, code block, cell output or display equation on a
   phone) gets a keyboard tab stop, and loses it when it fits again (axe: scrollable-region-
   focusable). Rechecked when the page is resized and after MathJax has typeset. Deferred, on
   every page. */
(function () {
  "use strict";
  var BOXES = "pre, .pst-scrollable-table-container, .cell_output > .output, mjx-container[display]";
  var timer = null;
  function mark() {
    document.querySelectorAll(BOXES).forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) box.setAttribute("tabindex", "0");
      else if (box.getAttribute("tabindex") === "0") box.setAttribute("tabindex", "-1");
    });
  }
  function soon() { clearTimeout(timer); timer = setTimeout(mark, 100); }
  function start() {
    mark();
    if ("ResizeObserver" in window) new ResizeObserver(soon).observe(document.documentElement);
    else window.addEventListener("resize", soon);
    var mj = window.MathJax;
    if (mj && mj.startup && mj.startup.promise) mj.startup.promise.then(mark);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

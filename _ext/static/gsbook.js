/* Every box that scrolls (a wide table, code block, cell output or display equation on a phone)
   gets a keyboard tab stop, and loses it when it fits again (axe: scrollable-region-focusable;
   the theme's own page-wide pass is off, _ext/gsbook_speed.py). A box is checked whenever it comes near the viewport, and again after a resize:
   reading the width of a box out of view would lay out its section, which gsbook.css lets the
   browser skip, and on a long chapter that blocks a phone for a second. Deferred, on every page. */
(function () {
  "use strict";
  var BOXES = "pre, .pst-scrollable-table-container, .cell_output > .output, .nboutput > .output_area, " +
    ".jp-RenderedHTMLCommon, mjx-container[display]";
  if (!("IntersectionObserver" in window)) return;
  function check(box) {
    if (box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1) {
      box.setAttribute("tabindex", "0");
    } else if (box.getAttribute("tabindex") === "0") box.setAttribute("tabindex", "-1");
  }
  var near = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) { if (entry.isIntersecting) check(entry.target); });
  }, { rootMargin: "200px 0px" });
  var boxes = [];
  var timer = null;
  function watch() {  // (re)observing reports each box's state again, so a resize rechecks
    boxes.forEach(function (box) { near.unobserve(box); });
    boxes = Array.prototype.slice.call(document.querySelectorAll(BOXES));
    boxes.forEach(function (box) { near.observe(box); });
  }
  window.addEventListener("resize", function () { clearTimeout(timer); timer = setTimeout(watch, 150); });
  window.addEventListener("load", watch);
})();

/* Every box that scrolls sideways (a wide table, code block, cell output or display equation on a
   phone) gets a keyboard tab stop, and loses it when it fits again (axe: scrollable-region-
   focusable). Checked once the page has loaded and settled, and after each resize; all sizes are
   read before any attribute is written, so the check costs one layout. Deferred, on every page. */
(function () {
  "use strict";
  var BOXES = "pre, .pst-scrollable-table-container, .cell_output > .output, mjx-container[display]";
  var timer = null;
  function mark() {
    var boxes = Array.prototype.slice.call(document.querySelectorAll(BOXES));
    var wide = boxes.map(function (box) { return box.scrollWidth > box.clientWidth + 1; });
    boxes.forEach(function (box, i) {
      if (wide[i]) box.setAttribute("tabindex", "0");
      else if (box.getAttribute("tabindex") === "0") box.setAttribute("tabindex", "-1");
    });
  }
  function soon(ms) { clearTimeout(timer); timer = setTimeout(mark, ms); }
  window.addEventListener("resize", function () { soon(150); });
  window.addEventListener("load", function () { soon(500); });
})();

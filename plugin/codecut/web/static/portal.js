// Copy buttons: copy data-copy to the clipboard. Without script the code and link stay
// visible and selectable, so nothing is lost; the buttons are hidden until this runs.
"use strict";
document.documentElement.classList.add("js");
document.addEventListener("click", function (event) {
  var button = event.target.closest("button.copy");
  if (!button || !navigator.clipboard) return;
  var label = button.textContent;
  navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
    button.textContent = "Copied";
    button.classList.add("done");
    setTimeout(function () { button.textContent = label; button.classList.remove("done"); }, 1600);
  });
});

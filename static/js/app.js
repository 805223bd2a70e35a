// Opora's only script besides htmx: send the CSRF token with every htmx request.
// (A listener, not hx-headers, so nothing depends on attribute inheritance.)
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) {
    event.detail.headers["X-CSRFToken"] = meta.getAttribute("content");
  }
});

// Elements marked data-autofocus take the focus when htmx swaps them in (inline editing).
document.addEventListener("htmx:afterSwap", function (event) {
  var target = event.detail.target && event.detail.target.querySelector
    ? event.detail.target.querySelector("[data-autofocus]")
    : null;
  if (target) {
    target.focus();
  }
});

// Live updates arrive as out-of-band swaps. Never replace something the user is editing:
// their save will meet the newer version and show the conflict instead of losing the edit.
document.addEventListener("htmx:oobBeforeSwap", function (event) {
  var target = event.detail.target;
  if (target && (target.hasAttribute("data-editing") || target.querySelector("[data-editing]"))) {
    event.preventDefault();
    target.classList.add("changed-elsewhere");
    var warning = target.querySelector(".changed-warning");
    if (warning) {
      warning.hidden = false;
    }
  }
});

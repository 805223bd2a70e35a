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

// Read-only fields meant for copying (one-time login links): a tap selects the whole value,
// and their «Копировать» button (hidden without JavaScript) puts it on the clipboard.
document.addEventListener("focusin", function (event) {
  if (event.target.matches && event.target.matches(".copy-field")) {
    event.target.select();
  }
});
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-copy]");
  var field = button && document.getElementById(button.getAttribute("data-copy"));
  if (field && navigator.clipboard) {
    navigator.clipboard.writeText(field.value).then(function () {
      button.textContent = button.getAttribute("data-copied");
    });
  }
});
document.querySelectorAll("[data-copy]").forEach(function (button) {
  button.hidden = !navigator.clipboard;
});

// Small progressive enhancements; every page works without them.

// Back from a popup page (the cancel page's Back or Escape): the fragment names the control that opened it, which
// gets the focus back (SPEC 14).
document.addEventListener("DOMContentLoaded", () => {
  const opener = window.location.hash && document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
  if (opener && opener.matches("a[href], button") && document.activeElement === document.body) opener.focus();
});
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-autosubmit]");
  if (select) select.form.requestSubmit();
});

// A form sent with errors (SPEC 14): the focus goes to its error summary (partials/error_summary.html) as soon as
// the page is parsed, before any autofocus field takes it; the summary's links focus the field in error (for a
// radio group, its checked or first enabled radio) with its label in view.
(() => {
  const summary = document.querySelector("[data-error-summary]");
  if (!summary) return;
  summary.focus();
  summary.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#']");
    const target = link && document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!target) return;
    event.preventDefault();
    let field = target;
    if (target.type === "radio" && target.form) {
      const radios = Array.from(target.form.elements).filter((element) => element.name === target.name);
      field = radios.find((radio) => radio.checked) || radios.find((radio) => !radio.disabled) || target;
    }
    const label = field.type === "radio" ? field.closest("fieldset") : field.labels && field.labels[0];
    (label || field).scrollIntoView({ block: "center" });
    field.focus({ preventScroll: true });
  });
})();

// A form sent with errors (SPEC 14): the focus goes to its error summary (partials/error_summary.html) as soon as
// the page is parsed, before any autofocus field takes it; the summary's links, in the fields' order on the page,
// focus the field in error (for a radio group, its checked or first enabled radio) with its label in view.
(() => {
  const summary = document.querySelector("[data-error-summary]");
  if (!summary) return;
  const target = (link) => document.getElementById(decodeURIComponent(link.hash.slice(1)));
  // The links in the order of the fields on the page (the form's own order may differ from its layout).
  const list = summary.querySelector("ul");
  const field = (item) => target(item.querySelector("a"));
  const items = Array.from(list.children).filter(field);
  const follows = (a, b) => field(a).compareDocumentPosition(field(b)) & Node.DOCUMENT_POSITION_FOLLOWING;
  items.sort((a, b) => (follows(a, b) ? -1 : 1)).forEach((item) => list.append(item));
  summary.focus();
  summary.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#']");
    const linked = link && target(link);
    if (!linked) return;
    event.preventDefault();
    let field = linked;
    if (linked.type === "radio" && linked.form) {
      const radios = Array.from(linked.form.elements).filter((element) => element.name === linked.name);
      field = radios.find((radio) => radio.checked) || radios.find((radio) => !radio.disabled) || linked;
    }
    const label = field.type === "radio" ? field.closest("fieldset") : field.labels && field.labels[0];
    (label || field).scrollIntoView({ block: "center" });
    field.focus({ preventScroll: true });
  });
})();

// The cancel page (SPEC 5.6): the penalty follows the date without a reload (htmx), and the penalty-free button
// fills the date in place. Progressive enhancement: without JavaScript both post the form back instead.
(() => {
  const form = document.getElementById("cancel-form");
  if (!form) return;
  const input = form.querySelector("input[name='cancellation_date']");
  input.setAttribute("hx-get", form.dataset.penaltyUrl);
  input.setAttribute("hx-trigger", "change, input changed delay:400ms");
  input.setAttribute("hx-target", "#cancel-penalty");
  input.setAttribute("hx-swap", "innerHTML");
  const penaltyFree = form.querySelector("[data-penalty-free-date]");
  // A plain button once it works in place: Enter in a field then sends the form with Confirm cancellation, its
  // first submit button, instead of choosing the penalty-free date.
  penaltyFree.type = "button";
  penaltyFree.addEventListener("click", (event) => {
    event.preventDefault();
    input.value = event.currentTarget.dataset.penaltyFreeDate;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });
  // The page is the cancel popup (SPEC 14): its title takes the focus (unless the error summary of a form sent
  // with errors has it), and Escape closes it like Back, which leads to My Product with the focus on the opener.
  const title = document.getElementById("cancel-dialog-title");
  if (title && document.activeElement === document.body) title.focus();
  // Only from the page itself or the popup: an Escape closing the menu panel or a dropdown is theirs.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.defaultPrevented) return;
    if (event.target !== document.body && !event.target.closest(".cancel-dialog")) return;
    window.location.assign(form.querySelector("[data-cancel-back]").href);
  });
  // A date typed while the page was still loading came before htmx listened: once htmx has set up the input
  // (its DOMContentLoaded listener runs before this one), ask for the penalty of what is in the field now.
  document.addEventListener("DOMContentLoaded", () => {
    if (input.value !== input.defaultValue) htmx.trigger(input, "change");
  });
})();

// The cancel pages (SPEC 5.6): the customer's and the operators' `Cancel on behalf`. The penalty follows the date
// without a reload (htmx), and the penalty-free button fills the date in place, `Show penalty` shows it in place.
// The customer's page asks by GET (the date alone); the operators' form posts (data-penalty-method="post": htmx
// then sends the whole form, its CSRF token included, never in a URL, SPEC 13). Progressive enhancement: without
// JavaScript the buttons post the form back instead.
(() => {
  const form = document.getElementById("cancel-form");
  if (!form) return;
  const input = form.querySelector("input[name='cancellation_date']");
  input.setAttribute(form.dataset.penaltyMethod === "post" ? "hx-post" : "hx-get", form.dataset.penaltyUrl);
  input.setAttribute("hx-trigger", "change, input changed delay:400ms");
  input.setAttribute("hx-target", "#cancel-penalty");
  input.setAttribute("hx-swap", "innerHTML");
  const showPenalty = (event) => {
    event.preventDefault();
    if (event.currentTarget.dataset.penaltyFreeDate) input.value = event.currentTarget.dataset.penaltyFreeDate;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  };
  // Plain buttons once they work in place: Enter in a field then sends the form with its first submit button
  // (Confirm cancellation, or the operator's action), instead of choosing the penalty-free date.
  form.querySelectorAll("[data-penalty-free-date], [data-show-penalty]").forEach((button) => {
    button.type = "button";
    button.addEventListener("click", showPenalty);
  });
  // The page is the cancel popup (SPEC 14): its title takes the focus (unless the error summary of a form sent
  // with errors has it), and Escape closes it like Back, which leads to My Product with the focus on the opener.
  const title = document.getElementById("cancel-dialog-title");
  if (title && document.activeElement === document.body) title.focus();
  // Only from the page itself or the popup: an Escape closing the menu panel or a dropdown is theirs.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.defaultPrevented) return;
    if (event.target !== document.body && !event.target.closest(".cancel-dialog")) return;
    const back = form.querySelector("[data-cancel-back]");
    if (back) window.location.assign(back.href);
  });
  // A date typed while the page was still loading came before htmx listened: once htmx has set up the input
  // (its DOMContentLoaded listener runs before this one), ask for the penalty of what is in the field now.
  document.addEventListener("DOMContentLoaded", () => {
    if (input.value !== input.defaultValue) htmx.trigger(input, "change");
  });
})();

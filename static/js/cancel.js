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
  form.querySelectorAll("[data-penalty-free-date], [data-show-penalty]").forEach((button) => {
    button.addEventListener("click", showPenalty);
  });
  // A date typed while the page was still loading came before htmx listened: once htmx has set up the input
  // (its DOMContentLoaded listener runs before this one), ask for the penalty of what is in the field now.
  document.addEventListener("DOMContentLoaded", () => {
    if (input.value !== input.defaultValue) htmx.trigger(input, "change");
  });
})();

// The application wizard's step 3 (SPEC 5.1): show the name field the account type chooses, send that name
// to the availability check (htmx), and preview the account ID. Without JavaScript both name fields show and
// the server still checks everything when the step is submitted.
(() => {
  const form = () => document.querySelector("form[data-apply-information]");

  const accountType = (root) => {
    const checked = root.querySelector("input[name$='account_type']:checked");
    return checked ? checked.value : "group";
  };

  const nameInput = (root, kind) => root.querySelector(`[data-name-field='${kind}'] input`);

  const clearResult = (root) => {
    const result = root.querySelector("#name-check-result");
    if (result) result.replaceChildren();
  };

  const updatePreview = (root) => {
    const preview = root.querySelector("[data-account-id-preview]");
    if (!preview) return;
    const kind = accountType(root);
    const id = root.querySelector("input[name$='admin_id']").value.trim() || "ID";
    const name = nameInput(root, kind).value.trim() || kind;
    preview.textContent = `${id}@${name.toLowerCase()}`;
  };

  const showChosenNameField = (root) => {
    const kind = accountType(root);
    root.querySelectorAll("[data-name-field]").forEach((wrapper) => {
      wrapper.hidden = wrapper.dataset.nameField !== kind;
    });
    updatePreview(root);
  };

  document.addEventListener("DOMContentLoaded", () => {
    const root = form();
    if (!root) return;
    showChosenNameField(root);
    root.addEventListener("change", (event) => {
      if (event.target.matches("input[name$='account_type']")) {
        clearResult(root);
        showChosenNameField(root);
      }
    });
    root.addEventListener("input", (event) => {
      if (event.target.closest("[data-name-field]")) clearResult(root);
      updatePreview(root);
    });
  });

  // The button asks about exactly one name: ?group_name=... or ?domain_name=... (SPEC 9).
  document.addEventListener("htmx:configRequest", (event) => {
    const button = event.detail.elt;
    if (!button.matches || !button.matches("[data-name-check]")) return;
    const root = form();
    const kind = accountType(root);
    const parameters = event.detail.parameters;
    for (const key of Array.from(parameters.keys())) parameters.delete(key);
    parameters.set(kind === "domain" ? "domain_name" : "group_name", nameInput(root, kind).value);
  });

  // A refusal (too many checks: 429) is still an answer to show next to the field.
  document.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "name-check-result" && event.detail.xhr.status >= 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();

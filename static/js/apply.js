// The application wizard's step 3 (SPEC 5.1): show the name field the account type chooses, send that name
// to the availability check (htmx), and preview the account ID. Without JavaScript both name fields show and
// the server still checks everything when the step is submitted.
// The preview is the server's (issue 20): the fields' own rules decide whether the admin ID and the name make a
// true account ID, so it never shows one the fields refuse (`Admin!@ab`); until they do, a neutral placeholder.
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

  let previewTimer = null;
  let previewAsked = 0;
  const updatePreview = (root) => {
    const preview = root.querySelector("[data-account-id-preview]");
    if (!preview) return;
    clearTimeout(previewTimer);
    previewTimer = setTimeout(async () => {
      const kind = accountType(root);
      const query = new URLSearchParams({
        account_type: kind,
        name: nameInput(root, kind).value,
        admin_id: root.querySelector("input[name$='admin_id']").value,
      });
      const asked = ++previewAsked;
      try {
        const response = await fetch(`${preview.dataset.url}?${query}`, { credentials: "same-origin" });
        // Only the answer to the latest question counts (an earlier one may arrive late).
        if (response.ok && asked === previewAsked) preview.innerHTML = await response.text();
      } catch {
        // Offline: the preview keeps what it showed; the step is checked when it is submitted.
      }
    }, 150);
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

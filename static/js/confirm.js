// Destructive actions ask first (SPEC 10, issue 12). A form with data-confirm shows its question in a Bootstrap
// modal; confirming posts the form with confirmed=1. Without JavaScript the server answers the first post with
// a confirmation page, so every action still asks, and both ways work with the keyboard alone.
(() => {
  let dialog = null;
  let pending = null;
  let confirmed = false;

  const build = () => {
    const element = document.createElement("div");
    element.className = "modal fade";
    element.id = "confirm-modal";
    element.tabIndex = -1;
    element.setAttribute("aria-labelledby", "confirm-modal-title");
    element.setAttribute("aria-hidden", "true");
    element.innerHTML = `
      <div class="modal-dialog modal-dialog-centered">
        <div class="modal-content">
          <div class="modal-header"><h2 class="modal-title h5" id="confirm-modal-title"></h2></div>
          <div class="modal-body"><p class="mb-0" data-confirm-message></p></div>
          <div class="modal-footer">
            <button type="button" class="btn btn-outline-secondary" data-bs-dismiss="modal" data-confirm-back></button>
            <button type="button" class="btn btn-danger" data-confirm-ok></button>
          </div>
        </div>
      </div>`;
    document.body.append(element);
    // Confirming posts at once (not after the fade-out: a hide asked during the fade-in would be ignored).
    element.querySelector("[data-confirm-ok]").addEventListener("click", () => {
      if (!pending || confirmed) return;
      confirmed = true;
      const { form, submitter } = pending;
      const hidden = (name, value) => {
        const input = document.createElement("input");
        input.type = "hidden";
        input.name = name;
        input.value = value;
        form.append(input);
      };
      hidden("confirmed", "1");
      if (submitter && submitter.name) hidden(submitter.name, submitter.value);
      form.submit();
    });
    element.addEventListener("shown.bs.modal", () => element.querySelector("[data-confirm-ok]").focus());
    element.addEventListener("hidden.bs.modal", () => {
      if (!confirmed && pending && pending.submitter) pending.submitter.focus();
      if (!confirmed) pending = null;
    });
    return element;
  };

  const ask = (form, submitter, question) => {
    dialog = dialog || build();
    pending = { form, submitter };
    confirmed = false;
    dialog.querySelector("#confirm-modal-title").textContent = question.title;
    dialog.querySelector("[data-confirm-message]").textContent = question.message;
    dialog.querySelector("[data-confirm-ok]").textContent = question.button;
    dialog.querySelector("[data-confirm-back]").textContent = question.back;
    bootstrap.Modal.getOrCreateInstance(dialog).show();
  };

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.matches("form[data-confirm]") || form.querySelector("input[name='confirmed']")) return;
    if (typeof bootstrap === "undefined") return; // the server asks instead
    event.preventDefault();
    const { confirmTitle: title, confirm: message, confirmButton: button, confirmBack: back } = form.dataset;
    ask(form, event.submitter, { title, message, button, back });
  });

  // A question that depends on what is typed (works_console/confirm.py): the server checks the form first. Its
  // question comes back as JSON and is asked here; any other answer (the field's errors) is shown by posting
  // the form as it is, so the page with the errors is the server's, as without JavaScript.
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.matches("form[data-confirm-check]") || typeof bootstrap === "undefined") return;
    event.preventDefault();
    const submitter = event.submitter;
    let question = null;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form, submitter),
        headers: { "X-Confirm-Check": "1" },
        credentials: "same-origin",
      });
      const type = response.headers.get("Content-Type") || "";
      if (response.ok && type.startsWith("application/json")) question = await response.json();
    } catch {
      question = null; // the network failed: the form's own post tells
    }
    if (question) ask(form, submitter, question);
    else form.submit();
  });
})();

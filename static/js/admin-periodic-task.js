// django-celery-beat's crontab help on the periodic task form (Django admin), without inline script.
(() => {
  const $ = window.django.jQuery;
  const readableCrontabs = JSON.parse($("#readable-crontabs").text());
  const originalCrontabHelp = document.getElementById("periodic-task-overrides").dataset.crontabHelp;
  $(".field-crontab_translation").hide();
  $(".field-crontab").change(() => {
    const help = $(".field-crontab .help");
    help.text(originalCrontabHelp);
    help.append("<br>", document.createTextNode(`Translation: ${readableCrontabs[$("#id_crontab").val()]}`));
  });
})();

// bdg-excel serve: the few things a plain form cannot do. The page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // period selector: show the chosen period at once
  document.querySelectorAll("form.period select").forEach(function (sel) {
    sel.addEventListener("change", function () { sel.form.submit(); });
  });
  // the buttons that really send e-mail ask first (drafts do not)
  document.querySelectorAll("form.mail-step").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      var button = ev.submitter;
      if (button && button.value === "gui" && !window.confirm(form.dataset.confirm)) {
        ev.preventDefault();
      }
    });
  });
  // a running step: follow its progress, show the summary when it ends
  var state = document.querySelector("#job-state[data-state='running']");
  if (state && window.fetch) {
    var bar = document.querySelector("progress");
    var count = document.getElementById("job-count");
    var poll = function () {
      fetch(state.dataset.poll, {cache: "no-store"}).then(function (r) { return r.json(); })
        .then(function (job) {
          if (job.state !== "running") { window.location.reload(); return; }
          if (job.total) {
            bar.max = job.total; bar.value = job.done;
            count.textContent = " " + job.done + "/" + job.total;
          }
          window.setTimeout(poll, 700);
        }, function () { window.setTimeout(poll, 2000); });
    };
    window.setTimeout(poll, 500);
  }
  // drop files onto the zone: they go into the file field and the form is sent
  var zone = document.getElementById("dropzone");
  var input = document.getElementById("tep");
  if (zone && input) {
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (ev) { ev.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (ev) {
      ev.preventDefault();
      if (ev.dataTransfer && ev.dataTransfer.files.length) {
        input.files = ev.dataTransfer.files;
        input.form.submit();
      }
    });
  }
});

/* The import form's progress bar: the file is sent with XMLHttpRequest (whose upload
   progress fetch cannot report) to /api/1/imports, then the job is followed until it is
   done. Without this script the form posts itself and a plain page follows the job. */
(function () {
  "use strict";
  var form = document.getElementById("upload");
  if (!form || !window.FormData || !window.XMLHttpRequest) { return; }
  var meta = document.querySelector('meta[name="csrf-token"]');
  var box = document.getElementById("upload-progress");
  var sent = document.getElementById("upload-bar");
  var imported = document.getElementById("import-bar");
  var status = document.getElementById("upload-status");
  function say(text) { status.textContent = text; }
  function follow(id) {
    fetch("/api/1/imports/" + id, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        if (job.bytes_total) { imported.value = Math.round(100 * job.bytes_done / job.bytes_total); }
        if (job.status === "running") { setTimeout(function () { follow(id); }, 700); return; }
        imported.value = 100;
        form.dataset.job = String(id);
        form.dataset.state = job.status;
        say(job.status === "done" ? status.dataset.done
          .replace("{fixes}", job.fixes).replace("{dups}", job.duplicates)
          .replace("{bad}", job.rejected) : status.dataset.failed);
      });
  }
  form.addEventListener("submit", function (event) {
    var file = document.getElementById("file").files[0];
    if (!file) { return; }
    event.preventDefault();
    box.hidden = false;
    var device = document.getElementById("device").value;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/1/imports" + (device ? "?device=" + encodeURIComponent(device) : ""));
    if (meta) { xhr.setRequestHeader("X-CSRF-Token", meta.content); }
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { sent.value = Math.round(100 * e.loaded / e.total); }
    });
    xhr.addEventListener("load", function () {
      if (xhr.status !== 202) { say(status.dataset.failed + " " + xhr.responseText); return; }
      sent.value = 100;
      follow(JSON.parse(xhr.responseText).id);
    });
    xhr.addEventListener("error", function () { say(status.dataset.failed); });
    var body = new FormData();
    body.append("file", file, file.name);
    xhr.send(body);
  });
})();

// Upload page enhancements: drop a file on the zone, and a progress bar while a large file is sent.
// Without JavaScript the form posts as usual.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) return;
  var input = document.getElementById("file");
  var zone = document.getElementById("dropzone");
  var bar = document.getElementById("upload-progress");
  var max = parseInt(form.getAttribute("data-max-bytes") || "0", 10);

  ["dragenter", "dragover"].forEach(function (t) {
    zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (t) {
    zone.addEventListener(t, function () { zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (e) {
    e.preventDefault();
    if (e.dataTransfer && e.dataTransfer.files.length) input.files = e.dataTransfer.files;
  });

  // The help link follows the chosen format.
  var format = document.getElementById("format");
  var help = document.getElementById("format-help-link");
  if (format && help) {
    format.addEventListener("change", function () {
      var chosen = format.options[format.selectedIndex];
      help.href = chosen.getAttribute("data-help") || "/help/question-format";
    });
  }

  form.addEventListener("submit", function (e) {
    var f = input.files && input.files[0];
    if (!f || !window.XMLHttpRequest || !window.FormData) return;
    if (max && f.size > max) {
      e.preventDefault();
      alert("The file is larger than the limit of " + Math.round(max / 1048576) + " MiB.");
      return;
    }
    e.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    bar.hidden = false;
    xhr.upload.addEventListener("progress", function (ev) {
      if (ev.lengthComputable) bar.value = Math.round((ev.loaded / ev.total) * 100);
    });
    xhr.addEventListener("load", function () {
      if (xhr.responseURL && xhr.responseURL.indexOf("/instructor/upload") === -1) {
        window.location = xhr.responseURL;
      } else {
        document.open(); document.write(xhr.responseText); document.close();
      }
    });
    xhr.addEventListener("error", function () { form.submit(); });
    xhr.send(new FormData(form));
  });
})();

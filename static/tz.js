// Fills hidden time-zone fields with the browser's IANA time zone (e.g. Europe/Paris), so an account shows
// dates in its owner's zone from the first page. Without JavaScript the field stays empty and UTC is used.
(function () {
  var zone = '';
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch (e) { zone = ''; }
  var fields = document.querySelectorAll('input[data-time-zone]');
  for (var i = 0; i < fields.length; i++) { if (!fields[i].value) { fields[i].value = zone; } }
})();

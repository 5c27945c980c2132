// Live SMS length for the template editor (admin/sms_template_edit.html).
// Same rule as samad_ivr/sms/text.py sms_parts(): GSM-7 160 / 153 per part (extension
// characters cost two), otherwise UCS-2 70 / 67 per part counted in UTF-16 units.
// Placeholders are filled with the page's sample values as admin_sms.sample_message()
// does. The server's count, shown on load and after saving, is the authoritative one.
(function () {
  "use strict";
  var GSM_BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM_EXTENSION = "^{}\\[~]|€\f";
  var PLACEHOLDER = /\{\{|\}\}|\{([^{}]*)\}/g;
  var FA_DIGITS = "۰۱۲۳۴۵۶۷۸۹";

  function faDigits(n) {
    return String(n).replace(/[0-9]/g, function (d) { return FA_DIGITS[Number(d)]; });
  }

  function fill(body, samples) {
    return body.replace(PLACEHOLDER, function (token, name) {
      if (token === "{{" || token === "}}") { return token[0]; }
      return Object.prototype.hasOwnProperty.call(samples, name) ? samples[name] : token;
    });
  }

  function smsParts(text) {
    var gsm = true;
    var septets = 0;
    for (var ch of text) {
      if (GSM_BASIC.indexOf(ch) >= 0) { septets += 1; }
      else if (GSM_EXTENSION.indexOf(ch) >= 0) { septets += 2; }
      else { gsm = false; break; }
    }
    var units = gsm ? septets : text.length; // a JS string's length is in UTF-16 units
    var single = gsm ? 160 : 70;
    var multi = gsm ? 153 : 67;
    return {
      encoding: gsm ? "GSM-7" : "UCS-2", units: units, single: single, multi: multi,
      parts: units <= single ? 1 : Math.ceil(units / multi)
    };
  }

  function setUp() {
    var area = document.getElementById("sms-body");
    var box = document.getElementById("sms-count");
    if (!area || !box) { return; }
    var samples = JSON.parse(area.getAttribute("data-samples") || "{}");
    var maxParts = Number(box.getAttribute("data-max-parts") || "3");
    var preview = document.getElementById("sms-preview");
    function update() {
      // Browsers submit CRLF; the server turns it into LF, as textarea.value already is.
      var text = fill(area.value.trim(), samples);
      var p = smsParts(text);
      document.getElementById("sms-chars").textContent = faDigits(p.units);
      document.getElementById("sms-encoding").textContent = p.encoding;
      document.getElementById("sms-parts").textContent = faDigits(p.parts);
      document.getElementById("sms-rule").textContent = p.parts === 1
        ? "تا " + faDigits(p.single) + " نویسه در یک بخش"
        : faDigits(p.multi) + " نویسه در هر بخش";
      box.classList.toggle("error", p.parts > maxParts);
      if (preview) { preview.textContent = text; }
    }
    area.addEventListener("input", update);
    update();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();

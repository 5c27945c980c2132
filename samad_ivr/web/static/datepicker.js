// The Jalali date picker of every console.  Convention: a template marks a date field
// with `data-jdp` (the picker's own attribute), e.g.
//   <input name="date" data-jdp value="{{ form.date }}" dir="ltr">
// and nothing else; base.html loads the picker (@majidh1/jalalidatepicker, served under
// /vendor/jalalidatepicker/ by samad_ivr/web/widgets.py) and this file on every page,
// and fields added later (fragments) work too.
//
// Typing a date by hand stays possible: the field is never made read-only, and the
// servers parse 1404/01/15, ۱۴۰۴/۱/۱۵, 1404-01-15 … (samad_ivr/admin/jalali.py).
// Once a person types, the calendar steps aside (it would cover the fields and the
// button below it) and comes back on a click into the field; Tab to another field
// closes it.
//
// People read Persian digits, but the picker reads the field only as ASCII yyyy/mm/dd.
// So a field shows ۱۴۰۴/۰۱/۱۵, and only while the picker opens (synchronously, no paint
// in between) does it hold 1404/01/15; a picked day is written back in Persian digits.
// We open the picker ourselves, just after the focus has settled (a microtask), instead
// of the picker's own focusin listener: rewriting the value inside the focus event
// would lose the select-all of a field entered with Tab, and typing would append.
(function () {
  "use strict";
  var picker = window.jalaliDatepicker;
  if (!picker) { return; } // its files are missing (bootstrap not run): plain text fields
  var SELECTOR = "input[data-jdp]";
  var FA_DIGITS = "۰۱۲۳۴۵۶۷۸۹";
  var DATE = /^\s*(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*$/;

  function asciiDigits(text) {
    return text
      .replace(/[۰-۹]/g, function (d) { return String(FA_DIGITS.indexOf(d)); })
      .replace(/[٠-٩]/g, function (d) { return String(d.charCodeAt(0) - 0x660); });
  }

  function persianDigits(text) {
    return text.replace(/[0-9]/g, function (d) { return FA_DIGITS[Number(d)]; });
  }

  function pad(n) { return n.length === 1 ? "0" + n : n; }

  // "۱۴۰۴-۱-۵" -> "1404/01/05"; null for anything that is not a whole date.
  function pickerValue(text) {
    var m = DATE.exec(asciiDigits(text));
    return m ? m[1] + "/" + pad(m[2]) + "/" + pad(m[3]) : null;
  }

  function shownValue(text) {
    var value = pickerValue(text);
    return value === null ? text : persianDigits(value);
  }

  function isDateField(target) {
    return target instanceof HTMLInputElement && target.matches(SELECTOR);
  }

  // Replace the text and keep what was selected (all of it, or the caret).
  function rewrite(input, text) {
    var old = input.value;
    if (text === old) { return; }
    var start = input.selectionStart, end = input.selectionEnd;
    var whole = old.length > 0 && start === 0 && end === old.length;
    input.value = text;
    if (document.activeElement !== input || start === null || end === null) { return; }
    if (whole) {
      input.setSelectionRange(0, text.length);
    } else {
      input.setSelectionRange(Math.min(start, text.length), Math.min(end, text.length));
    }
  }

  function forPeople(input) { rewrite(input, shownValue(input.value)); }

  var started = false;

  function shown() {
    var container = document.querySelector("jdp-container");
    return container !== null && container.style.visibility === "visible";
  }

  function open(input) {
    if (!started) { return; }
    var value = pickerValue(input.value);
    if (value !== null) { rewrite(input, value); }
    picker.show(input);
    forPeople(input);
  }

  document.addEventListener("focusin", function (event) {
    var target = event.target;
    if (isDateField(target)) {
      queueMicrotask(function () { if (document.activeElement === target) { open(target); } });
    } else if (!(target instanceof Element && target.closest("jdp-container"))) {
      picker.hide();
    }
  });
  document.addEventListener("jdp:change", function (event) {
    if (isDateField(event.target)) { forPeople(event.target); }
  });
  document.addEventListener("input", function (event) {
    // The picker's own writes dispatch untrusted input events; a person's typing is trusted.
    if (isDateField(event.target) && event.isTrusted) { picker.hide(); }
  });
  document.addEventListener("click", function (event) {
    // Back after typing or picking, for a field that kept the focus.
    if (isDateField(event.target) && !shown()) { open(event.target); }
  });

  function start() {
    document.querySelectorAll(SELECTOR).forEach(function (input) {
      forPeople(input);
      input.setAttribute("autocomplete", "off"); // the browser's list would cover the calendar
    });
    picker.startWatch({
      autoShow: false, // opened by the focusin listener above
      persianDigits: true,
      autoReadOnlyInput: false, // typing must stay possible, on phones too
      showCloseBtn: true,
    });
    started = true;
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

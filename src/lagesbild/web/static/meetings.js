// Meetings pages: forms that change something for good (lock a briefing, retire a goal)
// ask first; the question is the form's data-confirm text.
(function () {
  'use strict';
  document.querySelectorAll('form[data-confirm]').forEach(function (f) {
    f.addEventListener('submit', function (ev) {
      if (!window.confirm(f.dataset.confirm)) ev.preventDefault();
    });
  });
})();

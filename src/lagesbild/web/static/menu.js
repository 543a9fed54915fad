// The top menu folds behind a "Menu" button on narrow screens (the CSS decides when); without
// this script the menu simply stays open.
(function () {
  'use strict';
  const header = document.querySelector('header.top');
  const button = header && header.querySelector('.menu-toggle');
  if (!button) return;
  header.classList.add('collapsible');
  button.hidden = false;
  button.addEventListener('click', () => {
    const open = header.classList.toggle('open');
    button.setAttribute('aria-expanded', String(open));
  });
  document.addEventListener('keydown', ev => {
    if (ev.key === 'Escape' && header.classList.contains('open')) {
      header.classList.remove('open');
      button.setAttribute('aria-expanded', 'false');
      button.focus();
    }
  });
})();

// The top menu folds behind a "Menu" button on narrow screens (the CSS decides when); without
// this script the menu simply stays open.
(function () {
  'use strict';
  const header = document.querySelector('header.top');
  const button = header && header.querySelector('.menu-toggle');
  if (!button) return;
  // the menu's groups open by their label (a click or a tap; hover and focus open them too on a wide screen)
  const groups = [...header.querySelectorAll('.menu .group')];
  function closeGroups(except) {
    groups.forEach(g => {
      if (g === except) return;
      g.classList.remove('open');
      const b = g.querySelector('button.group-label');
      if (b) b.setAttribute('aria-expanded', 'false');
    });
  }
  groups.forEach(g => {
    const b = g.querySelector('button.group-label');
    if (!b) return;
    if (g.classList.contains('here')) b.setAttribute('aria-expanded', 'true');
    b.addEventListener('click', () => {
      closeGroups(g);
      const open = g.classList.toggle('open') || g.classList.contains('here') && header.classList.contains('open');
      b.setAttribute('aria-expanded', String(open));
    });
  });
  document.addEventListener('click', ev => { if (!header.contains(ev.target)) closeGroups(); });
  header.classList.add('collapsible');
  button.hidden = false;
  button.addEventListener('click', () => {
    const open = header.classList.toggle('open');
    button.setAttribute('aria-expanded', String(open));
  });
  document.addEventListener('keydown', ev => {
    if (ev.key === 'Escape' && groups.some(g => g.classList.contains('open'))) {
      const g = groups.find(x => x.classList.contains('open'));
      closeGroups();
      const b = g.querySelector('button.group-label');
      if (b) b.focus();
      return;
    }
    if (ev.key === 'Escape' && header.classList.contains('open')) {
      header.classList.remove('open');
      button.setAttribute('aria-expanded', 'false');
      button.focus();
    }
  });
})();

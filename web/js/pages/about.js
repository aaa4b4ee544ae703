// SPDX-License-Identifier: AGPL-3.0-or-later
// About poreclear: the version, the licence (AGPL-3.0-or-later), where this build's source is
// (the offer of AGPL-3.0 section 13) and the licence text and third-party notices, which the
// server serves to signed-in users (docs/licensing.md). Linked from every page's footer.

import { api } from '../api.js';
import { h, fill } from '../dom.js';
import { startPage, pageHead } from '../app.js';

startPage({
    nav: 'about',
    title: 'About',
    render: async (main) => {
        const about = await api.get('/api/about');
        const source = about.source_url
            ? h('a', { href: about.source_url, id: 'about-source', rel: 'noopener' }, about.source_url)
            : h('span', { id: 'about-source' }, 'not set when this copy was built');
        fill(main,
            pageHead('About poreclear', [{ href: '/', label: 'Clients' }, { label: 'About' }]),
            h('section', { class: 'card', 'aria-labelledby': 'about-h' },
                h('h2', { id: 'about-h' }, 'This copy'),
                h('dl', { class: 'facts', id: 'about-facts' },
                    h('dt', null, 'Version'), h('dd', { id: 'about-version' }, about.version),
                    h('dt', null, 'Licence'), h('dd', { id: 'about-licence' }, `${about.licence_name} (${about.licence})`),
                    h('dt', null, 'Source'), h('dd', null, source, h('p', { class: 'hint', id: 'about-source-note' }, about.source_note)))),
            h('section', { class: 'card', 'aria-labelledby': 'terms-h' },
                h('h2', { id: 'terms-h' }, 'Your rights'),
                h('p', null, 'poreclear is free software: you may use it, study it, share it and change it under the terms of the GNU Affero General Public License, version 3 or any later version. It comes with no warranty.'),
                h('p', null, 'If whoever runs this server has changed it, the licence asks them to offer you the complete source of the version you are using, at no charge — the source address above is that offer.'),
                h('ul', { class: 'about-links' },
                    h('li', null, h('a', { href: about.license_url, id: 'about-license-link' }, 'The licence text (LICENSE)')),
                    h('li', null, h('a', { href: about.notices_url, id: 'about-notices-link' }, 'Third-party notices (THIRD-PARTY.md)'), ': the libraries poreclear uses, their versions and licences.'))));
    },
});

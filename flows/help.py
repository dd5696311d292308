"""The "Info & bantuan" pages (sosialisasi): what a person flips through with next/back.

This module owns only the reading order of the help pages and their catalog message ids.
The page texts live in the catalogs (locales/*/LC_MESSAGES/messages.po); building the replies
and the next/back buttons is the conversation's job.
"""

from flows.core import N_

PAGES: tuple[str, ...] = (
    N_("info.page.how"),
    N_("info.page.signs_grooming"),
    N_("info.page.signs_exploitation"),
    N_("info.page.uptd_ppa"),
    N_("info.page.laws"),
    N_("info.page.lpsk"),
    N_("info.page.safety"),
    N_("info.page.after_report"),
)

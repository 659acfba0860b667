"""Workspace names as people write them (issue 19): in Unicode on every back-office page, with the stored ASCII
(punycode) form beside it, and found by either form."""

from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.safestring import SafeString

from workspaces.validators import normalize_domain_name, unicode_name


def name_with_ascii(name: str) -> SafeString | str:
    """`テスト13550.jp (xn--13550-…)`: the Unicode form, and the stored one beside it when they differ."""
    written = unicode_name(name)
    if written == name:
        return name
    return format_html('{} <span class="ascii-name">({})</span>', written, name)


def ascii_search_term(term: str) -> str | None:
    """The search term with each word in the stored ASCII form (`テスト13550` -> `xn--13550-…`, an account ID's
    domain too), or None when no word changes. A word that does not convert stays as typed."""
    words = []
    for word in term.split():
        if word.isascii():
            words.append(word)
            continue
        local, at, name = word.rpartition("@")  # an account ID: admin@テスト.jp
        try:
            words.append(f"{local}{at}{normalize_domain_name(name)}")
        except ValidationError:  # not a name: searched as typed
            words.append(word)
    ascii_term = " ".join(words)
    return ascii_term if ascii_term != " ".join(term.split()) else None


class UnicodeNameSearch:
    """A ModelAdmin mixin: a search finds the rows by the Unicode form of their names too."""

    def get_search_results(self, request, queryset, search_term: str):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        ascii_term = ascii_search_term(search_term)
        if ascii_term is not None:
            more, more_duplicates = super().get_search_results(request, queryset, ascii_term)
            found, may_have_duplicates = found | more, may_have_duplicates or more_duplicates
        return found, may_have_duplicates

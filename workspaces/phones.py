"""Company phone numbers with an explicit country (SPEC 5.1, 7.2; issue 12).

The number is parsed in the country chosen beside it, must be valid there, and is stored in E.164; pages show
the international form. Nothing is reinterpreted silently: `03-1234-5678` is Tokyo with Japan chosen and
Gyeonggi with Korea chosen, and the chosen country is always on the screen next to it.
"""

import babel
import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import localized_choices
from phonenumber_field.phonenumber import PhoneNumber

# SPEC 5.1: the default country follows the UI language (ko and en: Korea, ja: Japan).
DEFAULT_COUNTRY_BY_LANGUAGE = {"ko": "KR", "ja": "JP", "en": "KR"}
DEFAULT_COUNTRY = "KR"
# One example per country, the same in the field's help text and in its error (issue 20), in the national form
# people dial. Korea and Japan, the console's own countries, get the numbers people know there (a Seoul and a
# Tokyo line); any other country gets the example phonenumbers keeps for it.
PHONE_EXAMPLES = {"KR": "02-1234-5678", "JP": "03-1234-5678"}


def default_phone_country(language: str | None) -> str:
    return DEFAULT_COUNTRY_BY_LANGUAGE.get((language or "").split("-")[0], DEFAULT_COUNTRY)


def phone_country_choices(language: str | None) -> list[tuple[str, str]]:
    """Every country with a calling code, named in ``language`` (babel), e.g. `("JP", "日本 +81")`, by name."""
    choices = [(code, label) for code, label in localized_choices(language or "en") if code]
    return sorted(choices, key=lambda choice: choice[1])


def country_name(country: str, language: str | None) -> str:
    return babel.Locale.parse(translation.to_locale(language or "en")).territories.get(country, country)


def phone_example(country: str) -> str:
    """The example number of ``country`` as dialled there (``""`` for a country without one)."""
    if country in PHONE_EXAMPLES:
        return PHONE_EXAMPLES[country]
    example = phonenumbers.example_number(country)
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL) if example else ""


def phone_help_text() -> str:
    return _("As dialled in the chosen country, such as %(korea)s in Korea or %(japan)s in Japan.") % {
        "korea": phone_example("KR"),
        "japan": phone_example("JP"),
    }


def parse_phone_in_country(number: str, country: str) -> PhoneNumber:
    """The number as dialled in ``country`` (a leading `+` dials abroad), valid in that country, or a
    ValidationError: a number of another country names both countries; an invalid one shows an example."""
    language = translation.get_language()
    try:
        phone = PhoneNumber.from_string(number, region=country)
    except phonenumbers.NumberParseException:
        phone = None
    if phone is not None and phonenumbers.is_valid_number_for_region(phone, country):
        return phone
    own_country = phonenumbers.region_code_for_number(phone) if phone is not None and phone.is_valid() else None
    if own_country and own_country != country:
        raise ValidationError(
            _("This is a number of %(own)s. Choose %(own)s as the country, or enter a number of %(country)s."),
            code="phone_of_another_country",
            params={"own": country_name(own_country, language), "country": country_name(country, language)},
        )
    raise ValidationError(
        _("Enter a valid phone number of %(country)s, such as %(example)s."),
        code="invalid_phone",
        params={"country": country_name(country, language), "example": phone_example(country)},
    )


class CompanyPhoneFormMixin(forms.Form):
    """`Country` (SPEC 9) and `Company phone number`: ``cleaned_data["company_phone"]`` is a PhoneNumber
    parsed in the chosen country. Render ``company_phone_country`` beside ``company_phone``."""

    company_phone_country = forms.ChoiceField(
        label=_("Country"), choices=[], error_messages={"invalid_choice": _("Choose a country from the list.")}
    )
    company_phone = forms.CharField(
        label=_("Company phone number"),
        max_length=40,
        help_text=lazy(phone_help_text, str)(),
        widget=forms.TextInput(attrs={"autocomplete": "tel-national", "inputmode": "tel", "type": "tel"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        language = translation.get_language()
        country = self.fields["company_phone_country"]
        country.choices = phone_country_choices(language)
        country.widget.attrs["autocomplete"] = "country"
        phone = self.initial.get("company_phone")
        if isinstance(phone, PhoneNumber) and phone.is_valid():
            # An existing number: its own country and its national form, so that saving again changes nothing.
            self.initial["company_phone_country"] = phonenumbers.region_code_for_number(phone)
            self.initial["company_phone"] = phone.as_national
        self.initial.setdefault("company_phone_country", default_phone_country(language))

    def clean(self) -> dict:
        cleaned = super().clean()
        number, country = cleaned.get("company_phone"), cleaned.get("company_phone_country")
        if number and country:
            try:
                cleaned["company_phone"] = parse_phone_in_country(number, country)
            except ValidationError as error:
                self.add_error("company_phone", error)
        return cleaned
